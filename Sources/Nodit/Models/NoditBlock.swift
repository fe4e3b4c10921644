import Aptos

/// A block from the Web3 Data API (`blockchain/getBlockByHashOrNumber`).
public struct NoditBlock: Decodable, Hashable, Sendable {
    /// The block's hash.
    public var hash: String
    /// The block's height.
    public var height: UInt64
    /// The block's time, in microseconds since the Unix epoch.
    public var timestampMicroseconds: UInt64?
    /// The first transaction version in the block.
    public var firstVersion: UInt64
    /// The last transaction version in the block.
    public var lastVersion: UInt64
    /// How many transactions the block holds.
    public var transactionsCount: Int?
    /// The versions of the block's transactions, when sent.
    public var transactions: [UInt64]?

    private enum CodingKeys: String, CodingKey {
        case hash, height, timestamp, firstVersion, lastVersion, transactionsCount, transactions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.hash = try container.decode(String.self, forKey: .hash)
        self.height = try container.decodeUInt64(forKey: .height)
        self.timestampMicroseconds = try container.decodeUInt64IfPresent(forKey: .timestamp)
        self.firstVersion = try container.decodeUInt64(forKey: .firstVersion)
        self.lastVersion = try container.decodeUInt64(forKey: .lastVersion)
        self.transactionsCount = try container.decodeIntIfPresent(forKey: .transactionsCount)
        self.transactions = try container.decodeIfPresent([JSONValue].self, forKey: .transactions)?
            .compactMap(\.uint64Value)
    }
}
