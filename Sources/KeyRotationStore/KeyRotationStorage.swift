public import Foundation
import KeyRotation

/// One SQLite file holding everything KeyRotation persists: key state, reports, the request queue and checkpoints.
///
/// ```swift
/// let storage = try KeyRotationStorage(path: KeyRotationStorage.defaultPath())
/// let fresh = try storage.reports.fresh(id: "example.com", type: "domain", at: now)
/// ```
///
/// All four stores share one ``SQLiteDatabase``, so ``transaction(_:)`` can store a result and dequeue its
/// request, or store a page and advance a checkpoint, atomically.
public struct KeyRotationStorage: Sendable {
    /// How to open the storage.
    public struct Configuration: Hashable, Sendable {
        /// Busy timeout and integrity check of the file. Default ``SQLiteDatabase/Configuration-swift.struct/init()``.
        public var database = SQLiteDatabase.Configuration()
        /// How long a report stays fresh; zero keeps reports forever. Default 45 minutes.
        public var reportTTL: Duration = ReportStore.defaultTTL

        /// Creates the default configuration.
        public init() {}
    }

    /// The shared database.
    public let database: SQLiteDatabase
    /// Key usage, blocks and outcomes; pass it to the rotator as its ``KeyStateStore``.
    public let keyState: SQLiteKeyStateStore
    /// Provider reports by (resource id, type).
    public let reports: ReportStore
    /// Requests waiting for their ETA.
    public let requests: RequestQueue
    /// Named forward-only progress markers.
    public let checkpoints: CheckpointStore

    /// Opens (creating if needed) the storage file at `path`.
    ///
    /// - Throws: ``KeyStateStoreError``: `.unreadable`, `.corrupt` (never reset: move the file aside or delete
    ///   it), `.schemaTooNew`, `.busy`.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.init(
            database: try SQLiteDatabase(path: path, configuration: configuration.database),
            configuration: configuration
        )
    }

    /// Uses an open database.
    public init(database: SQLiteDatabase, configuration: Configuration = Configuration()) {
        self.database = database
        self.keyState = SQLiteKeyStateStore(database: database)
        self.reports = ReportStore(database: database, ttl: configuration.reportTTL)
        self.requests = RequestQueue(database: database)
        self.checkpoints = CheckpointStore(database: database)
    }

    /// Runs `body` in one write transaction: everything it does is committed together, or not at all if it throws.
    ///
    /// Use the ``StorageTransaction`` it is given, not the stores: they would wait for this same transaction.
    ///
    /// ```swift
    /// try storage.transaction { transaction in
    ///     try transaction.upsert(report)
    ///     try transaction.complete(requestID: item.id)
    /// }
    /// ```
    public func transaction<R: Sendable>(_ body: @Sendable (StorageTransaction) throws -> R) throws -> R {
        try self.database.transaction { connection in
            try body(StorageTransaction(connection: connection))
        }
    }

    /// The default store file: `$KEYROTATION_STORE`, else `$XDG_DATA_HOME/keyrotation/state.sqlite`, else
    /// `~/.local/share/keyrotation/state.sqlite`; its directory is created if missing.
    ///
    /// - Parameter environment: The variables to read; default the process's.
    /// - Throws: ``KeyStateStoreError/Code/unreadable`` if the directory can't be created.
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String {
        let path: String
        if let explicit = environment["KEYROTATION_STORE"], !explicit.isEmpty {
            path = explicit
        } else if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            path = data + "/keyrotation/state.sqlite"
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            path = home + "/.local/share/keyrotation/state.sqlite"
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw KeyStateStoreError.unreadable(
                path: path,
                detail: "can't create the directory \(directory.path): \(error.localizedDescription)"
            )
        }
        return path
    }
}
