/// A Move module an account published: its bytecode (hex) and, when the node sends it, its ABI.
public struct AccountModule: Decodable, Hashable, Sendable {
    /// The module's bytecode, `0x`-prefixed hex.
    public var bytecode: String
    /// The module's ABI (name, functions, structs), as sent; `nil` when absent.
    public var abi: JSONValue?

    /// Creates a module.
    public init(bytecode: String, abi: JSONValue? = nil) {
        self.bytecode = bytecode
        self.abi = abi
    }
}
