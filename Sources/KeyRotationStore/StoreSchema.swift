import KeyRotation

/// The store's tables, versioned by `PRAGMA user_version` and migrated forward only.
///
/// Each migration moves the schema from version `index` to `index + 1`; a file whose version is higher than
/// ``current`` was written by a newer SDK and is refused, never rewritten.
enum StoreSchema {
    /// The schema version this SDK writes.
    static var current: Int { Self.migrations.count }

    /// Migrations in order; append, never edit a shipped one.
    static let migrations: [String] = [
        // 1: key state, reports, request queue, checkpoints.
        """
        CREATE TABLE key_state (
            fingerprint TEXT PRIMARY KEY,
            block_reason TEXT,
            block_until INTEGER,
            last_use_at INTEGER,
            last_outcome TEXT,
            last_outcome_at INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE key_window_usage (
            fingerprint TEXT NOT NULL,
            descriptor TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            used INTEGER NOT NULL,
            PRIMARY KEY (fingerprint, descriptor, window_start)
        ) WITHOUT ROWID;
        CREATE TABLE key_use_log (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            descriptor TEXT NOT NULL,
            used_at INTEGER NOT NULL,
            cost INTEGER NOT NULL
        );
        CREATE INDEX key_use_log_by_key ON key_use_log (fingerprint, descriptor, used_at);
        CREATE TABLE key_arrival (
            fingerprint TEXT NOT NULL,
            descriptor TEXT NOT NULL,
            theoretical_arrival INTEGER NOT NULL,
            PRIMARY KEY (fingerprint, descriptor)
        ) WITHOUT ROWID;
        CREATE TABLE reports (
            resource_id TEXT NOT NULL,
            type TEXT NOT NULL,
            payload BLOB NOT NULL,
            fetched_at INTEGER NOT NULL,
            key_id TEXT
        );
        CREATE UNIQUE INDEX reports_by_resource ON reports (resource_id, type);
        CREATE INDEX reports_by_age ON reports (fetched_at);
        CREATE INDEX reports_by_type ON reports (type, fetched_at);
        CREATE TABLE request_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            eta INTEGER NOT NULL,
            enqueued_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            UNIQUE (kind, payload)
        );
        CREATE INDEX request_queue_by_eta ON request_queue (eta, id);
        CREATE TABLE checkpoints (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """
    ]

    /// Reads the file's version, refuses a newer one and applies missing migrations in one transaction.
    static func migrate(_ connection: SQLiteConnection) throws {
        let version = try Self.version(connection)
        try Self.refuseNewer(version, path: connection.path)
        if version == Self.current { return }
        try connection.execute("BEGIN IMMEDIATE")
        do {
            // Another process may have migrated between the first read and the lock.
            let locked = try Self.version(connection)
            try Self.refuseNewer(locked, path: connection.path)
            for migration in Self.migrations.dropFirst(locked) {
                try connection.executeScript(migration)
            }
            try connection.execute("PRAGMA user_version = \(Self.current)")
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private static func version(_ connection: SQLiteConnection) throws -> Int {
        try connection.queryRow("PRAGMA user_version")?.int(0) ?? 0
    }

    private static func refuseNewer(_ version: Int, path: String) throws {
        if version > Self.current {
            throw KeyStateStoreError(
                .schemaTooNew,
                "the store at \(path) has schema version \(version), newer than this SDK's \(Self.current); "
                    + "update the SDK, or use another file"
            )
        }
    }
}
