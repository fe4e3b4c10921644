/// Which side of a transaction an account is on, for `getTransactionsByAccount`.
public struct NoditRelation: Hashable, Sendable, CustomStringConvertible {
    /// The wire value: `from`, `to` or `both`.
    public let rawValue: String
    private init(_ rawValue: String) { self.rawValue = rawValue }
    /// Transactions the account sent.
    public static let from = Self("from")
    /// Transactions to the account.
    public static let to = Self("to")
    /// Both.
    public static let both = Self("both")
    public var description: String { self.rawValue }
}
