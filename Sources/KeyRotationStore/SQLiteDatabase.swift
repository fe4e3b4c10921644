import CSQLite
import KeyRotation
import Synchronization

/// One SQLite file, opened in WAL mode, shared safely by every thread of a process and by several processes.
///
/// Opening checks the file before trusting it: the header must be SQLite's and the file no shorter than the header
/// says, `PRAGMA quick_check` must pass, and the schema version (`PRAGMA user_version`) must not be newer than
/// this SDK's. A damaged file is reported as ``KeyStateStoreError/Code/corrupt``, never reset: it may hold quota
/// usage that keeps keys within their limits. Older schemas are migrated forward in one transaction.
///
/// The connection sits behind a `Mutex`: one thread at a time uses it, and nothing awaits while holding it.
/// Several processes coordinate through SQLite's file locks; writers wait up to
/// ``Configuration-swift.struct/busyTimeout`` for each other.
public final class SQLiteDatabase: Sendable {
    /// How to open the file.
    public struct Configuration: Hashable, Sendable {
        /// How long a write waits for another process's transaction before failing with
        /// ``KeyStateStoreError/Code/busy``. Default 5 seconds.
        public var busyTimeout: Duration = .seconds(5)
        /// Whether opening runs `PRAGMA quick_check` (linear in the file's size). Default `true`.
        public var verifiesIntegrityOnOpen = true

        /// Creates the default configuration.
        public init() {}

        /// Creates a configuration.
        public init(busyTimeout: Duration = .seconds(5), verifiesIntegrityOnOpen: Bool = true) {
            precondition(busyTimeout >= .zero, "the busy timeout can't be negative")
            self.busyTimeout = busyTimeout
            self.verifiesIntegrityOnOpen = verifiesIntegrityOnOpen
        }
    }

    /// The file's path.
    public let path: String
    private let connection: Mutex<SQLiteConnection>

    /// Opens (creating if needed) the store file at `path` and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - path: The file; its directory must exist.
    ///   - configuration: Busy timeout and integrity check.
    /// - Throws: ``KeyStateStoreError``: `.unreadable` (can't open), `.corrupt` (damaged: move it aside or delete
    ///   it), `.schemaTooNew` (written by a newer SDK), `.busy` (another process held it too long).
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        try SQLiteFileCheck.validate(path: path)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let detail = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw KeyStateStoreError.sqlite(code: code, detail: detail, path: path)
        }
        sqlite3_extended_result_codes(handle, 1)
        let connection = SQLiteConnection(path: path, handle: handle)
        connection.isLent = true
        try Self.prepare(connection, configuration: configuration)
        connection.isLent = false
        self.connection = Mutex(connection)
    }

    deinit {
        self.connection.withLock { $0.close() }
    }

    /// Runs `body` inside one `BEGIN IMMEDIATE` transaction: committed if it returns, rolled back if it throws.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock first, so a read-modify-write inside `body` can't race another
    /// process. Don't call other methods of this database (or of stores on it) inside `body`: use the
    /// connection it is given.
    package func transaction<R: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> R) throws -> R {
        try self.withConnection { connection in
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
                return result
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` with the connection outside any explicit transaction (each statement is its own).
    package func read<R: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> R) throws -> R {
        try self.withConnection(body)
    }

    private func withConnection<R: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> R) throws -> R {
        let outcome: Result<R, any Error> = self.connection.withLock { connection in
            connection.isLent = true
            defer { connection.isLent = false }
            return Result { try body(connection) }
        }
        return try outcome.get()
    }

    private static func prepare(_ connection: SQLiteConnection, configuration: Configuration) throws {
        let milliseconds = configuration.busyTimeout.nanoseconds / 1_000_000
        try connection.execute("PRAGMA busy_timeout = \(min(milliseconds, Int64(Int32.max)))")
        // Switching a new file to WAL and creating its schema can race another process doing the same; SQLite
        // then answers "busy" without waiting (it would deadlock otherwise), so these steps retry on their own.
        let attempts = max(1, Int(milliseconds / Self.openRetryMilliseconds))
        let mode = try Self.retryingWhenBusy(attempts: attempts) {
            try connection.queryRow("PRAGMA journal_mode = WAL")?.text(0) ?? ""
        }
        if mode.lowercased() != "wal" {
            throw KeyStateStoreError.unreadable(path: connection.path, detail: "can't switch to WAL mode: \(mode)")
        }
        try connection.execute("PRAGMA synchronous = NORMAL")
        if configuration.verifiesIntegrityOnOpen {
            let problems = try connection.query("PRAGMA quick_check").map { $0.text(0) }
            if problems != ["ok"] {
                let detail = problems.prefix(3).joined(separator: "; ")
                throw KeyStateStoreError.corrupt(path: connection.path, detail: "integrity check: \(detail)")
            }
        }
        try Self.retryingWhenBusy(attempts: attempts) { try StoreSchema.migrate(connection) }
    }

    private static let openRetryMilliseconds: Int64 = 10

    private static func retryingWhenBusy<R>(attempts: Int, _ body: () throws -> R) throws -> R {
        for _ in 1..<attempts {
            do {
                return try body()
            } catch let error as KeyStateStoreError where error.code == .busy {
                sqlite3_sleep(Int32(Self.openRetryMilliseconds))
            }
        }
        return try body()
    }
}
