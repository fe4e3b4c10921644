/// The body of `POST /v1/view`: a view function and its arguments. The answer is `[JSONValue]`.
public struct ViewRequest: Encodable, Hashable, Sendable {
    /// The function, `address::module::function`, e.g. `0x1::coin::balance`.
    public var function: String
    /// Type arguments, e.g. `["0x1::aptos_coin::AptosCoin"]`. Default empty.
    public var typeArguments: [String]
    /// Arguments as JSON (u64 and addresses as strings). Default empty.
    public var arguments: [JSONValue]

    /// Creates a view request.
    public init(function: String, typeArguments: [String] = [], arguments: [JSONValue] = []) {
        self.function = function
        self.typeArguments = typeArguments
        self.arguments = arguments
    }

    private enum CodingKeys: String, CodingKey {
        case function, typeArguments = "type_arguments", arguments
    }
}
