/// The node's view of the chain: `GET /v1/`.
public struct LedgerInfo: Decodable, Hashable, Sendable {
    /// The chain id: 1 on mainnet, 2 on testnet.
    public var chainID: Int
    /// The current epoch.
    public var epoch: UInt64
    /// The latest committed version.
    public var ledgerVersion: UInt64
    /// The oldest version the node holds (0 on an archive node).
    public var oldestLedgerVersion: UInt64
    /// The ledger's time, in microseconds since the Unix epoch.
    public var ledgerTimestampMicroseconds: UInt64
    /// The latest block.
    public var blockHeight: UInt64
    /// The oldest block the node holds.
    public var oldestBlockHeight: UInt64
    /// The node's role (`full_node`, `validator`).
    public var nodeRole: String
    /// The commit the node was built from, if it says.
    public var gitHash: String?

    private enum CodingKeys: String, CodingKey {
        case chainID = "chain_id", epoch, ledgerVersion = "ledger_version"
        case oldestLedgerVersion = "oldest_ledger_version", ledgerTimestamp = "ledger_timestamp"
        case blockHeight = "block_height", oldestBlockHeight = "oldest_block_height", nodeRole = "node_role"
        case gitHash = "git_hash"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.chainID = try container.decodeInt(forKey: .chainID)
        self.epoch = try container.decodeUInt64(forKey: .epoch)
        self.ledgerVersion = try container.decodeUInt64(forKey: .ledgerVersion)
        self.oldestLedgerVersion = try container.decodeUInt64(forKey: .oldestLedgerVersion)
        self.ledgerTimestampMicroseconds = try container.decodeUInt64(forKey: .ledgerTimestamp)
        self.blockHeight = try container.decodeUInt64(forKey: .blockHeight)
        self.oldestBlockHeight = try container.decodeUInt64(forKey: .oldestBlockHeight)
        self.nodeRole = try container.decodeIfPresent(String.self, forKey: .nodeRole) ?? ""
        self.gitHash = try container.decodeIfPresent(String.self, forKey: .gitHash)
    }
}
