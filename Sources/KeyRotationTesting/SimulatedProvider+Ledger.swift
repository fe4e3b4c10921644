/// The chain the simulated Aptos and Nodit node API serves: its head, its pruning horizon and how fast it grows.
public struct SimulatedLedger: Hashable, Sendable {
    /// The chain id (`X-Aptos-Chain-Id`). Default 1 (mainnet).
    public var chainID: Int
    /// The newest version when the provider starts. Default 3,665,938,240.
    public var headVersion: UInt64
    /// The oldest version still held; reads below it answer 410 `version_pruned`. Default 0.
    public var oldestVersion: UInt64
    /// How many versions the head gains per second of the provider's clock. Default 0 (a still chain).
    public var versionsPerSecond: Double
    /// Versions per block: version `v` is in block `v / versionsPerBlock`, and the first version of each block
    /// is a `block_metadata_transaction`. Default 8.
    public var versionsPerBlock: UInt64
    /// The epoch (`X-Aptos-Epoch`). Default 13,473.
    public var epoch: UInt64

    /// Creates a ledger; every parameter has the default its property documents.
    public init(
        chainID: Int = 1,
        headVersion: UInt64 = 3_665_938_240,
        oldestVersion: UInt64 = 0,
        versionsPerSecond: Double = 0,
        versionsPerBlock: UInt64 = 8,
        epoch: UInt64 = 13_473
    ) {
        precondition(oldestVersion <= headVersion, "the oldest version is at most the head")
        precondition(versionsPerSecond >= 0 && versionsPerBlock >= 1, "a ledger grows forward in blocks of ≥ 1")
        self.chainID = chainID
        self.headVersion = headVersion
        self.oldestVersion = oldestVersion
        self.versionsPerSecond = versionsPerSecond
        self.versionsPerBlock = versionsPerBlock
        self.epoch = epoch
    }
}

extension SimulatedProvider {
    /// The simulated chain; see ``SimulatedLedger``.
    public typealias Ledger = SimulatedLedger
}
