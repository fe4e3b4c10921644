/// Named progress markers (a ledger version, a page cursor) that only move forward.
///
/// ``advance(_:to:)`` reads and writes in one transaction, so concurrent writers can't move a checkpoint back.
public struct CheckpointStore: Sendable {
    /// The database the checkpoints live in.
    public let database: SQLiteDatabase

    /// Uses an open database.
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// The checkpoint's value, or `nil` if it was never set.
    public func value(_ name: String) throws -> UInt64? {
        try self.database.read { connection in
            try Self.value(name, in: connection)
        }
    }

    /// Moves the checkpoint forward to `value`; a smaller value changes nothing.
    ///
    /// - Returns: The checkpoint's value afterwards (`value`, or the larger one already stored).
    @discardableResult
    public func advance(_ name: String, to value: UInt64) throws -> UInt64 {
        try self.database.transaction { connection in
            try Self.advance(name, to: value, in: connection)
        }
    }

    static func value(_ name: String, in connection: SQLiteConnection) throws -> UInt64? {
        // SQLite integers are signed: the UInt64 is stored by its bit pattern and compared here, not in SQL.
        try connection.queryRow("SELECT value FROM checkpoints WHERE name = ?", [.text(name)])
            .map { UInt64(bitPattern: $0.int64(0)) }
    }

    static func advance(_ name: String, to value: UInt64, in connection: SQLiteConnection) throws -> UInt64 {
        if let current = try Self.value(name, in: connection), current >= value {
            return current
        }
        try connection.execute(
            "INSERT INTO checkpoints (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
            [.text(name), .integer(Int64(bitPattern: value))]
        )
        return value
    }
}
