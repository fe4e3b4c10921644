public import KeyRotationStore

/// Where a ``TransactionStream`` keeps its progress: the next version to deliver, saved after each page the
/// consumer has taken.
public protocol TransactionCheckpoint: Sendable {
    /// The saved next version, or `nil` when the stream never ran.
    func load() throws -> UInt64?
    /// Saves `nextVersion`; a value below the saved one must leave it unchanged.
    func save(nextVersion: UInt64) throws
}

/// A checkpoint in SQLite (``CheckpointStore``), under a name, so one file can hold several streams.
public struct SQLiteTransactionCheckpoint: TransactionCheckpoint {
    /// The store.
    public let store: CheckpointStore
    /// The checkpoint's name (`aptos.mainnet.transactions`).
    public let name: String

    /// Uses `name` in `store`.
    public init(store: CheckpointStore, name: String) {
        self.store = store
        self.name = name
    }

    /// Opens (or creates) the SQLite file at `path` and uses `name` in it.
    ///
    /// - Throws: The store's error when the file can't be opened.
    public init(path: String, name: String) throws {
        self.init(store: CheckpointStore(database: try SQLiteDatabase(path: path)), name: name)
    }

    /// The saved next version.
    public func load() throws -> UInt64? { try self.store.value(self.name) }

    /// Moves the saved next version forward.
    public func save(nextVersion: UInt64) throws { try self.store.advance(self.name, to: nextVersion) }
}
