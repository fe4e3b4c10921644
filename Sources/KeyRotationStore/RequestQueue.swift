public import KeyRotation

/// A persistent queue of requests that could not run yet, each with an ETA.
///
/// An item leaves the queue only when the caller says it is done, ideally in the same transaction that stores
/// its result (``complete(id:storing:)`` or ``KeyRotationStorage/transaction(_:)``): a process killed while
/// draining loses nothing and repeats at most the items it had in flight.
///
/// ```swift
/// for item in try queue.due(at: now, limit: 50) {
///     let report = try await fetch(item.payload)
///     try queue.complete(id: item.id, storing: report)  // stored and dequeued together
/// }
/// ```
public struct RequestQueue: Sendable {
    /// The database the queue lives in.
    public let database: SQLiteDatabase

    /// Uses an open database.
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Queues a request, once: an item with the same kind and payload is returned unchanged.
    ///
    /// - Parameters:
    ///   - kind: What kind of request it is.
    ///   - payload: What to request.
    ///   - eta: The earliest instant worth trying it.
    ///   - now: When it is queued.
    /// - Returns: The queued item (the existing one if it was already queued).
    @discardableResult
    public func enqueue(kind: String, payload: String, eta: Timestamp, at now: Timestamp) throws -> QueuedRequest {
        try self.database.transaction { connection in
            try Self.enqueue(kind: kind, payload: payload, eta: eta, at: now, in: connection)
        }
    }

    /// Items whose ETA has come at `now`, earliest first, optionally of one kind; they stay queued until completed.
    public func due(at now: Timestamp, kind: String? = nil, limit: Int = 100) throws -> [QueuedRequest] {
        precondition(limit >= 0, "a limit is at least 0")
        return try self.database.read { connection in
            try Self.due(at: now, kind: kind, limit: limit, in: connection)
        }
    }

    /// Takes due items (of one kind, when given) for this drainer: moves their ETA to `now + lease` so that other
    /// drainers skip them. Items of other kinds are left for their own drainers.
    ///
    /// If this process dies before completing them, they become due again when the lease ends.
    public func claimDue(
        at now: Timestamp,
        kind: String? = nil,
        limit: Int = 100,
        lease: Duration
    ) throws -> [QueuedRequest] {
        precondition(limit >= 0 && lease >= .zero, "a limit and a lease are at least 0")
        return try self.database.transaction { connection in
            let items = try Self.due(at: now, kind: kind, limit: limit, in: connection)
            for item in items {
                try Self.reschedule(id: item.id, eta: now.advanced(by: lease), in: connection)
            }
            return items
        }
    }

    /// Removes a finished item; returns whether it was still queued.
    @discardableResult
    public func complete(id: Int64) throws -> Bool {
        try self.database.transaction { connection in
            try Self.complete(id: id, in: connection)
        }
    }

    /// Stores the item's result and removes the item in one transaction.
    ///
    /// - Returns: Whether the item was still queued (the report is stored either way).
    @discardableResult
    public func complete(id: Int64, storing report: StoredReport) throws -> Bool {
        try self.database.transaction { connection in
            try ReportStore.upsert(report, in: connection)
            return try Self.complete(id: id, in: connection)
        }
    }

    /// Moves an item's ETA (it could not run yet) and counts the attempt.
    public func reschedule(id: Int64, eta: Timestamp) throws {
        try self.database.transaction { connection in
            try Self.reschedule(id: id, eta: eta, in: connection)
        }
    }

    /// How many items are queued, optionally of one kind.
    public func count(kind: String? = nil) throws -> Int {
        try self.database.read { connection in
            try connection.queryRow(
                "SELECT count(*) FROM request_queue WHERE (?1 IS NULL OR kind = ?1)",
                [.optionalText(kind)]
            )?.int(0) ?? 0
        }
    }

    /// The earliest ETA in the queue, or `nil` when it is empty.
    public func nextETA() throws -> Timestamp? {
        try self.database.read { connection in
            try connection.queryRow("SELECT min(eta) FROM request_queue")?.optionalTimestamp(0)
        }
    }

    /// The queued item for this kind and payload, if any.
    public func item(kind: String, payload: String) throws -> QueuedRequest? {
        try self.database.read { connection in
            try connection.queryRow(
                "SELECT \(Self.columns) FROM request_queue WHERE kind = ? AND payload = ?",
                [.text(kind), .text(payload)]
            ).map(Self.decode)
        }
    }

    static let columns = "id, kind, payload, eta, enqueued_at, attempts"

    static func due(at now: Timestamp, kind: String?, limit: Int, in connection: SQLiteConnection) throws
        -> [QueuedRequest]
    {
        try connection.query(
            """
            SELECT \(Self.columns) FROM request_queue WHERE eta <= ?1 AND (?2 IS NULL OR kind = ?2)
            ORDER BY eta, id LIMIT ?3
            """,
            [.timestamp(now), .optionalText(kind), .int(limit)]
        ).map(Self.decode)
    }

    static func decode(_ row: SQLiteRow) -> QueuedRequest {
        QueuedRequest(
            id: row.int64(0),
            kind: row.text(1),
            payload: row.text(2),
            eta: row.timestamp(3),
            enqueuedAt: row.timestamp(4),
            attempts: row.int(5)
        )
    }

    static func enqueue(
        kind: String,
        payload: String,
        eta: Timestamp,
        at now: Timestamp,
        in connection: SQLiteConnection
    ) throws -> QueuedRequest {
        try connection.execute(
            """
            INSERT INTO request_queue (kind, payload, eta, enqueued_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (kind, payload) DO NOTHING
            """,
            [.text(kind), .text(payload), .timestamp(eta), .timestamp(now)]
        )
        let row = try connection.queryRow(
            "SELECT \(Self.columns) FROM request_queue WHERE kind = ? AND payload = ?",
            [.text(kind), .text(payload)]
        )
        guard let row else {
            throw KeyStateStoreError(.unavailable, "the store at \(connection.path) lost a queued request; retry")
        }
        return Self.decode(row)
    }

    static func complete(id: Int64, in connection: SQLiteConnection) throws -> Bool {
        try connection.execute("DELETE FROM request_queue WHERE id = ?", [.integer(id)])
        return connection.changes > 0
    }

    static func reschedule(id: Int64, eta: Timestamp, in connection: SQLiteConnection) throws {
        try connection.execute(
            "UPDATE request_queue SET eta = ?, attempts = attempts + 1 WHERE id = ?",
            [.timestamp(eta), .integer(id)]
        )
    }
}
