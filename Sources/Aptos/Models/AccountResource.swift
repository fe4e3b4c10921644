/// A Move resource held by an account: `{type, data}` from `GET /v1/accounts/{address}/resource(s)`.
public struct AccountResource: Codable, Hashable, Sendable {
    /// The resource's struct tag, e.g. `0x1::account::Account`.
    public var type: String
    /// The resource's fields, as sent (u64 values are strings).
    public var data: JSONValue

    /// Creates a resource.
    public init(type: String, data: JSONValue) {
        self.type = type
        self.data = data
    }
}
