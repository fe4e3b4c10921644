public import KeyRotation

/// Full provider reports, one per (resource id, type), with the time they were fetched.
///
/// Whether a stored report is still good is the caller's choice: ``fresh(id:type:ttl:at:)`` answers `nil` for a
/// report older than the TTL, and a caller who wants to force a refresh just doesn't ask.
public struct ReportStore: Sendable {
    /// How long a report stays fresh unless told otherwise: 45 minutes.
    public static let defaultTTL: Duration = .seconds(45 * 60)

    /// The database the reports live in.
    public let database: SQLiteDatabase
    /// How long a report stays fresh; zero keeps reports forever. Default ``defaultTTL``.
    public var ttl: Duration

    /// Uses an open database.
    public init(database: SQLiteDatabase, ttl: Duration = ReportStore.defaultTTL) {
        precondition(ttl >= .zero, "a report TTL can't be negative")
        self.database = database
        self.ttl = ttl
    }

    /// Inserts or replaces the report for its (id, type); an older report never replaces a newer one.
    public func upsert(_ report: StoredReport) throws {
        try self.database.transaction { connection in
            try Self.upsert(report, in: connection)
        }
    }

    /// The stored report for (id, type), however old.
    public func report(id: String, type: String) throws -> StoredReport? {
        try self.database.read { connection in
            try connection.queryRow(
                "SELECT \(Self.columns) FROM reports WHERE resource_id = ? AND type = ?",
                [.text(id), .text(type)]
            ).map(Self.decode)
        }
    }

    /// The stored report for (id, type) if it is fresh at `now`, else `nil`.
    ///
    /// - Parameters:
    ///   - ttl: How long a report stays fresh; default the store's ``ttl``; zero means forever.
    ///   - now: The instant to judge freshness at.
    public func fresh(id: String, type: String, ttl: Duration? = nil, at now: Timestamp) throws -> StoredReport? {
        let ttl = ttl ?? self.ttl
        guard let report = try self.report(id: id, type: type), report.isFresh(ttl: ttl, at: now) else { return nil }
        return report
    }

    /// Reports, newest first, optionally of one type, one page at a time.
    public func list(type: String? = nil, limit: Int = 100, offset: Int = 0) throws -> [StoredReport] {
        precondition(limit >= 0 && offset >= 0, "a page needs a limit and an offset of at least 0")
        return try self.database.read { connection in
            try connection.query(
                """
                SELECT \(Self.columns) FROM reports WHERE (?1 IS NULL OR type = ?1)
                ORDER BY fetched_at DESC, type, resource_id LIMIT ?2 OFFSET ?3
                """,
                [.optionalText(type), .int(limit), .int(offset)]
            ).map(Self.decode)
        }
    }

    /// How many reports are stored, optionally of one type.
    public func count(type: String? = nil) throws -> Int {
        try self.database.read { connection in
            try connection.queryRow(
                "SELECT count(*) FROM reports WHERE (?1 IS NULL OR type = ?1)",
                [.optionalText(type)]
            )?.int(0) ?? 0
        }
    }

    /// Deletes the reports that are no longer fresh at `now`; a TTL of zero deletes nothing.
    ///
    /// - Returns: How many were deleted.
    @discardableResult
    public func purgeExpired(ttl: Duration? = nil, at now: Timestamp) throws -> Int {
        let ttl = ttl ?? self.ttl
        guard ttl > .zero else { return 0 }
        let cutoff = now.nanosecondsSinceEpoch.addingSaturating(-ttl.nanoseconds)
        return try self.database.transaction { connection in
            try connection.execute("DELETE FROM reports WHERE fetched_at <= ?", [.integer(cutoff)])
            return connection.changes
        }
    }

    /// Deletes the report for (id, type); returns whether there was one.
    @discardableResult
    public func remove(id: String, type: String) throws -> Bool {
        try self.database.transaction { connection in
            try connection.execute("DELETE FROM reports WHERE resource_id = ? AND type = ?", [.text(id), .text(type)])
            return connection.changes > 0
        }
    }

    static let columns = "resource_id, type, payload, fetched_at, key_id"

    static func decode(_ row: SQLiteRow) -> StoredReport {
        StoredReport(
            id: row.text(0),
            type: row.text(1),
            payload: row.blob(2),
            fetchedAt: row.timestamp(3),
            keyID: row.optionalText(4).map { KeyID($0) }
        )
    }

    static func upsert(_ report: StoredReport, in connection: SQLiteConnection) throws {
        try connection.execute(
            """
            INSERT INTO reports (resource_id, type, payload, fetched_at, key_id) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (resource_id, type) DO UPDATE SET payload = ?3, fetched_at = ?4, key_id = ?5
            WHERE ?4 >= reports.fetched_at
            """,
            [
                .text(report.id),
                .text(report.type),
                .blob(report.payload),
                .timestamp(report.fetchedAt),
                .optionalText(report.keyID?.rawValue),
            ]
        )
    }
}
