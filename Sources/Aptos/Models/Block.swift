/// A block: `GET /v1/blocks/by_height/{height}` or `/by_version/{version}`.
public struct Block: Decodable, Hashable, Sendable {
    /// The block's height.
    public var blockHeight: UInt64
    /// The block's hash.
    public var blockHash: String
    /// The block's time, in microseconds since the Unix epoch.
    public var blockTimestampMicroseconds: UInt64
    /// The first transaction version in the block.
    public var firstVersion: UInt64
    /// The last transaction version in the block.
    public var lastVersion: UInt64
    /// The block's transactions; `nil` when asked `with_transactions=false`.
    public var transactions: [Transaction]?

    private enum CodingKeys: String, CodingKey {
        case blockHeight = "block_height", blockHash = "block_hash", blockTimestamp = "block_timestamp"
        case firstVersion = "first_version", lastVersion = "last_version", transactions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.blockHeight = try container.decodeUInt64(forKey: .blockHeight)
        self.blockHash = try container.decode(String.self, forKey: .blockHash)
        self.blockTimestampMicroseconds = try container.decodeUInt64(forKey: .blockTimestamp)
        self.firstVersion = try container.decodeUInt64(forKey: .firstVersion)
        self.lastVersion = try container.decodeUInt64(forKey: .lastVersion)
        self.transactions = try container.decodeIfPresent([Transaction].self, forKey: .transactions)
    }

    /// The versions the block spans.
    public var versions: ClosedRange<UInt64> {
        min(self.firstVersion, self.lastVersion)...max(self.firstVersion, self.lastVersion)
    }
}
