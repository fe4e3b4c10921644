public import KeyRotation

/// Key state in an SQLite file: usage per limit window, health blocks and last outcomes, shared by every process
/// that opens the same file.
///
/// ``admit(fingerprint:cost:limits:at:)`` decides and records inside one `BEGIN IMMEDIATE` transaction, so two
/// processes can never both take a key's last unit. Limits are kept as:
/// - ``RateLimit/calendar(_:per:)``: a count per UTC window; refused until the window ends.
/// - ``RateLimit/strict(_:per:)``: a log of uses; refused until enough of the oldest leave the window.
/// - ``RateLimit/minimumSpacing(_:)``: the last use; refused until it is that far behind.
/// - ``RateLimit/tokenBucket(capacity:refillInterval:)`` and ``RateLimit/gcra(rate:per:burst:)``: a theoretical
///   arrival time (GCRA; a bucket of C tokens refilling one per I is GCRA with interval I and burst C).
///
/// Keys are identified by ``APIKey/fingerprint`` only; key material never reaches the file.
public struct SQLiteKeyStateStore: KeyStateStore {
    /// The database the state lives in.
    public let database: SQLiteDatabase

    /// Uses an open database (for instance ``KeyRotationStorage/database``).
    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Opens the store file at `path`.
    ///
    /// - Throws: ``KeyStateStoreError`` as ``SQLiteDatabase/init(path:configuration:)`` does.
    public init(path: String, configuration: SQLiteDatabase.Configuration = .init()) throws {
        self.database = try SQLiteDatabase(path: path, configuration: configuration)
    }

    /// Decides, inside one write transaction, whether the key may spend `cost` units now, and records the use.
    ///
    /// A block still in force refuses until its end; a `cost` larger than a limit's capacity is refused for good
    /// (``Timestamp/distantFuture``). When several limits refuse, the answer is the latest of their ETAs.
    public func admit(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission {
        precondition(cost >= 0, "a use costs at least 0 units")
        return try self.database.transaction { connection in
            let state = KeyUsage(connection: connection, fingerprint: fingerprint)
            let decision = try state.evaluate(cost: cost, limits: limits.map(StoredLimit.init), at: now)
            guard decision.notBefore == nil else {
                return .notBefore(decision.notBefore ?? .distantFuture)
            }
            try state.record(cost: cost, limits: limits.map(StoredLimit.init), at: now)
            return .admitted(remaining: decision.remaining)
        }
    }

    /// Moves a use from the instant it was admitted to the instant its request completed (rolling windows, spacing).
    public func settle(
        fingerprint: String,
        cost: Int,
        acquiredAt: Timestamp,
        completedAt: Timestamp,
        limits: [RateLimit]
    ) throws {
        guard completedAt > acquiredAt else { return }
        try self.database.transaction { connection in
            try KeyUsage(connection: connection, fingerprint: fingerprint)
                .settle(acquiredAt: acquiredAt, completedAt: completedAt, limits: limits.map(StoredLimit.init))
        }
    }

    /// Gives back `cost` units in the current window of each limit (a use that did not count).
    public func refund(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws {
        guard cost > 0 else { return }
        try self.database.transaction { connection in
            try KeyUsage(connection: connection, fingerprint: fingerprint)
                .refund(cost: cost, limits: limits.map(StoredLimit.init), at: now)
        }
    }

    /// Persists a health block, or clears it when `block` is `nil`.
    public func setBlock(_ block: StoredBlock?, fingerprint: String) throws {
        try self.database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO key_state (fingerprint, block_reason, block_until) VALUES (?1, ?2, ?3)
                ON CONFLICT (fingerprint) DO UPDATE SET block_reason = ?2, block_until = ?3
                """,
                [
                    .text(fingerprint),
                    .optionalText(block?.reason.rawValue),
                    block.map { .timestamp($0.until) } ?? .null,
                ]
            )
        }
    }

    /// The blocks of these keys that are still in force at `now` (a block ends at its `until`).
    public func blocks(fingerprints: [String], at now: Timestamp) throws -> [String: StoredBlock] {
        try self.database.read { connection in
            var blocks: [String: StoredBlock] = [:]
            for fingerprint in Set(fingerprints) {
                let row = try connection.queryRow(
                    "SELECT block_reason, block_until FROM key_state WHERE fingerprint = ? AND block_until > ?",
                    [.text(fingerprint), .timestamp(now)]
                )
                if let row, let reason = row.optionalText(0).flatMap(StoredBlock.Reason.init(rawValue:)) {
                    blocks[fingerprint] = StoredBlock(reason: reason, until: row.timestamp(1))
                }
            }
            return blocks
        }
    }

    /// Raises the usage of the calendar window the server spoke about, so that used = limit − `remaining`.
    ///
    /// The window is the calendar limit whose current window ends at `resetAt` (or ends nearest to it); without
    /// `resetAt`, the shortest calendar period. Usage is never lowered: the store keeps the larger of what it
    /// counted and what the server says. Other kinds of limits ignore observations.
    public func observe(
        remaining: Int,
        resetAt: Timestamp?,
        fingerprint: String,
        limits: [RateLimit],
        at now: Timestamp
    ) throws {
        try self.database.transaction { connection in
            try KeyUsage(connection: connection, fingerprint: fingerprint)
                .observe(remaining: remaining, resetAt: resetAt, limits: limits.map(StoredLimit.init), at: now)
        }
    }

    /// What ``admit(fingerprint:cost:limits:at:)`` would answer at `now`, recording nothing.
    public func peek(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission {
        try self.database.read { connection in
            let decision = try KeyUsage(connection: connection, fingerprint: fingerprint)
                .evaluate(cost: cost, limits: limits.map(StoredLimit.init), at: now)
            if let notBefore = decision.notBefore { return .notBefore(notBefore) }
            return .admitted(remaining: decision.remaining)
        }
    }

    /// What the tightest counting limit has left at `now`, without recording a use (`nil` if none counts).
    public func remaining(fingerprint: String, limits: [RateLimit], at now: Timestamp) throws -> Int? {
        try self.database.read { connection in
            try KeyUsage(connection: connection, fingerprint: fingerprint)
                .evaluate(cost: 0, limits: limits.map(StoredLimit.init), at: now)
                .remaining
        }
    }

    /// Records how the key's last call went (a short label such as `success` or `rateLimited`).
    public func recordOutcome(_ outcome: String, fingerprint: String, at now: Timestamp) throws {
        try self.database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO key_state (fingerprint, last_outcome, last_outcome_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (fingerprint) DO UPDATE SET last_outcome = ?2, last_outcome_at = ?3
                """,
                [.text(fingerprint), .text(outcome), .timestamp(now)]
            )
        }
    }

    /// The key's last recorded outcome and when it happened.
    public func lastOutcome(fingerprint: String) throws -> StoredOutcome? {
        try self.database.read { connection in
            let row = try connection.queryRow(
                "SELECT last_outcome, last_outcome_at FROM key_state WHERE fingerprint = ?",
                [.text(fingerprint)]
            )
            guard let row, let outcome = row.optionalText(0), let at = row.optionalTimestamp(1) else { return nil }
            return StoredOutcome(outcome: outcome, at: at)
        }
    }

    /// Forgets everything recorded about a key (usage, blocks, outcomes).
    public func forget(fingerprint: String) throws {
        try self.database.transaction { connection in
            for table in ["key_state", "key_window_usage", "key_use_log", "key_arrival"] {
                try connection.execute("DELETE FROM \(table) WHERE fingerprint = ?", [.text(fingerprint)])
            }
        }
    }
}
