import KeyRotation

/// One key's rows in the store, read and written through a connection inside a transaction.
///
/// Evaluating reads only; recording writes. ``SQLiteKeyStateStore`` runs both in one `BEGIN IMMEDIATE`
/// transaction, so no other process writes between the decision and the record.
struct KeyUsage {
    /// What the limits say about a use of `cost` units now.
    struct Decision {
        /// What the tightest counting limit has left after the use, if any counts.
        var remaining: Int?
        /// The earliest instant every limit and the block allow the use, when that is not now.
        var notBefore: Timestamp?
    }

    let connection: SQLiteConnection
    let fingerprint: String

    func evaluate(cost: Int, limits: [StoredLimit], at now: Timestamp) throws -> Decision {
        var decision = Decision()
        func refuse(until instant: Timestamp) {
            decision.notBefore = max(decision.notBefore ?? instant, instant)
        }
        func remain(_ count: Int) {
            decision.remaining = min(decision.remaining ?? count, count)
        }
        let state = try self.connection.queryRow(
            "SELECT block_until, last_use_at FROM key_state WHERE fingerprint = ?",
            [.text(self.fingerprint)]
        )
        if let until = state?.optionalTimestamp(0), until > now {
            refuse(until: until)
        }
        for limit in limits {
            switch limit {
            case .calendar(let quota, let period):
                guard cost <= quota else {
                    refuse(until: .distantFuture)
                    continue
                }
                let used = try self.windowUsage(limit, start: period.start(containing: now)) ?? 0
                if used + cost <= quota {
                    remain(quota - used - cost)
                } else {
                    refuse(until: period.end(containing: now))
                }
            case .strict(let quota, let window):
                guard cost <= quota else {
                    refuse(until: .distantFuture)
                    continue
                }
                let inWindow: [SQLiteValue] = [
                    .text(self.fingerprint), .text(limit.descriptor), .integer(now.nanosecondsSinceEpoch &- window),
                ]
                let used =
                    try self.connection.queryRow(
                        """
                        SELECT coalesce(sum(cost), 0) FROM key_use_log
                        WHERE fingerprint = ? AND descriptor = ? AND used_at > ?
                        """,
                        inWindow
                    )?.int(0) ?? 0
                if used + cost <= quota {
                    remain(quota - used - cost)
                    continue
                }
                let uses = try self.connection.query(
                    """
                    SELECT used_at, cost FROM key_use_log
                    WHERE fingerprint = ? AND descriptor = ? AND used_at > ? ORDER BY used_at, id
                    """,
                    inWindow
                )
                // The oldest uses leave the window first; the key may go once enough units have left.
                var excess = used + cost - quota
                for use in uses {
                    excess -= use.int(1)
                    if excess <= 0 {
                        refuse(until: Timestamp(nanosecondsSinceEpoch: use.int64(0).addingSaturating(window)))
                        break
                    }
                }
            case .spacing(let interval):
                if let last = state?.optionalInt64(1) {
                    let next = Timestamp(nanosecondsSinceEpoch: last.addingSaturating(interval))
                    if now < next { refuse(until: next) }
                }
            case .gcra(let interval, let burst):
                guard cost <= burst else {
                    refuse(until: .distantFuture)
                    continue
                }
                let arrival = try self.theoreticalArrival(limit) ?? now.nanosecondsSinceEpoch
                let next = Self.nextArrival(arrival, cost: cost, interval: interval, at: now)
                let allowedAt = next &- Int64(burst) * interval
                if now.nanosecondsSinceEpoch >= allowedAt {
                    remain(Int((now.nanosecondsSinceEpoch &+ Int64(burst) * interval &- next) / interval))
                } else {
                    refuse(until: Timestamp(nanosecondsSinceEpoch: allowedAt))
                }
            }
        }
        return decision
    }

    /// Moves a use recorded at `acquiredAt` to `completedAt` (the latest instant the provider can have seen it), in
    /// rolling windows and the key's last-use time, so spacing and windows count from there for every process.
    func settle(acquiredAt: Timestamp, completedAt: Timestamp, limits: [StoredLimit]) throws {
        try self.connection.execute(
            "UPDATE key_state SET last_use_at = max(last_use_at, ?1) WHERE fingerprint = ?2 AND last_use_at = ?3",
            [.timestamp(completedAt), .text(self.fingerprint), .timestamp(acquiredAt)]
        )
        var settled: Set<String> = []
        for limit in limits where settled.insert(limit.descriptor).inserted {
            guard case .strict = limit else { continue }
            try self.connection.execute(
                """
                UPDATE key_use_log SET used_at = ?1 WHERE id = (
                    SELECT id FROM key_use_log WHERE fingerprint = ?2 AND descriptor = ?3 AND used_at = ?4
                    ORDER BY id DESC LIMIT 1
                )
                """,
                [.timestamp(completedAt), .text(self.fingerprint), .text(limit.descriptor), .timestamp(acquiredAt)]
            )
        }
    }

    func record(cost: Int, limits: [StoredLimit], at now: Timestamp) throws {
        try self.connection.execute(
            """
            INSERT INTO key_state (fingerprint, last_use_at) VALUES (?1, ?2)
            ON CONFLICT (fingerprint) DO UPDATE SET last_use_at = ?2
            """,
            [.text(self.fingerprint), .timestamp(now)]
        )
        var recorded: Set<String> = []
        for limit in limits where recorded.insert(limit.descriptor).inserted {
            switch limit {
            case .calendar(_, let period):
                let start = period.start(containing: now)
                if try self.windowUsage(limit, start: start) == nil {
                    try self.connection.execute(
                        "DELETE FROM key_window_usage WHERE fingerprint = ? AND descriptor = ? AND window_start < ?",
                        [.text(self.fingerprint), .text(limit.descriptor), .timestamp(start)]
                    )
                }
                try self.addWindowUsage(limit, start: start, cost: cost)
            case .strict(_, let window):
                try self.connection.execute(
                    "DELETE FROM key_use_log WHERE fingerprint = ? AND descriptor = ? AND used_at <= ?",
                    [.text(self.fingerprint), .text(limit.descriptor), .integer(now.nanosecondsSinceEpoch &- window)]
                )
                try self.connection.execute(
                    "INSERT INTO key_use_log (fingerprint, descriptor, used_at, cost) VALUES (?, ?, ?, ?)",
                    [.text(self.fingerprint), .text(limit.descriptor), .timestamp(now), .int(cost)]
                )
            case .spacing:
                break  // the key's last use time, written above
            case .gcra(let interval, _):
                let arrival = try self.theoreticalArrival(limit) ?? now.nanosecondsSinceEpoch
                try self.setTheoreticalArrival(
                    limit,
                    Self.nextArrival(arrival, cost: cost, interval: interval, at: now)
                )
            }
        }
    }

    func refund(cost: Int, limits: [StoredLimit], at now: Timestamp) throws {
        var refunded: Set<String> = []
        for limit in limits where refunded.insert(limit.descriptor).inserted {
            switch limit {
            case .calendar(_, let period):
                try self.connection.execute(
                    """
                    UPDATE key_window_usage SET used = max(0, used - ?)
                    WHERE fingerprint = ? AND descriptor = ? AND window_start = ?
                    """,
                    [
                        .int(cost), .text(self.fingerprint), .text(limit.descriptor),
                        .timestamp(period.start(containing: now)),
                    ]
                )
            case .strict(_, let window):
                let uses = try self.connection.query(
                    """
                    SELECT id, cost FROM key_use_log
                    WHERE fingerprint = ? AND descriptor = ? AND used_at > ? ORDER BY used_at DESC, id DESC
                    """,
                    [.text(self.fingerprint), .text(limit.descriptor), .integer(now.nanosecondsSinceEpoch &- window)]
                )
                var left = cost
                for use in uses where left > 0 {
                    let take = min(left, use.int(1))
                    left -= take
                    if take == use.int(1) {
                        try self.connection.execute("DELETE FROM key_use_log WHERE id = ?", [.integer(use.int64(0))])
                    } else {
                        try self.connection.execute(
                            "UPDATE key_use_log SET cost = cost - ? WHERE id = ?",
                            [.int(take), .integer(use.int64(0))]
                        )
                    }
                }
            case .spacing:
                break
            case .gcra(let interval, _):
                guard let arrival = try self.theoreticalArrival(limit) else { continue }
                let back = arrival &- Int64(cost) * interval
                try self.setTheoreticalArrival(limit, max(back, now.nanosecondsSinceEpoch))
            }
        }
    }

    func observe(remaining: Int, resetAt: Timestamp?, limits: [StoredLimit], at now: Timestamp) throws {
        let calendars = limits.filter { $0.periodRank != .max }
        let targets: [StoredLimit]
        if let resetAt {
            func distance(_ limit: StoredLimit) -> UInt64 {
                guard case .calendar(_, let period) = limit else { return .max }
                let end = period.end(containing: now).nanosecondsSinceEpoch
                let (difference, overflow) = end.subtractingReportingOverflow(resetAt.nanosecondsSinceEpoch)
                return overflow ? .max : difference.magnitude
            }
            let nearest = calendars.map(distance).min()
            targets = calendars.filter { distance($0) == nearest }
        } else {
            let shortest = calendars.map(\.periodRank).min()
            targets = calendars.filter { $0.periodRank == shortest }
        }
        for limit in targets {
            guard case .calendar(let quota, let period) = limit else { continue }
            let used = max(0, quota - max(0, remaining))
            let start = period.start(containing: now)
            try self.connection.execute(
                """
                INSERT INTO key_window_usage (fingerprint, descriptor, window_start, used) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (fingerprint, descriptor, window_start) DO UPDATE SET used = max(used, ?4)
                """,
                [.text(self.fingerprint), .text(limit.descriptor), .timestamp(start), .int(used)]
            )
        }
    }

    /// GCRA: the arrival after `cost` more units, starting no earlier than now.
    private static func nextArrival(_ arrival: Int64, cost: Int, interval: Int64, at now: Timestamp) -> Int64 {
        max(arrival, now.nanosecondsSinceEpoch).addingSaturating(Int64(cost) * interval)
    }

    private func windowUsage(_ limit: StoredLimit, start: Timestamp) throws -> Int? {
        try self.connection.queryRow(
            "SELECT used FROM key_window_usage WHERE fingerprint = ? AND descriptor = ? AND window_start = ?",
            [.text(self.fingerprint), .text(limit.descriptor), .timestamp(start)]
        )?.int(0)
    }

    private func addWindowUsage(_ limit: StoredLimit, start: Timestamp, cost: Int) throws {
        try self.connection.execute(
            """
            INSERT INTO key_window_usage (fingerprint, descriptor, window_start, used) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (fingerprint, descriptor, window_start) DO UPDATE SET used = used + ?4
            """,
            [.text(self.fingerprint), .text(limit.descriptor), .timestamp(start), .int(cost)]
        )
    }

    private func theoreticalArrival(_ limit: StoredLimit) throws -> Int64? {
        try self.connection.queryRow(
            "SELECT theoretical_arrival FROM key_arrival WHERE fingerprint = ? AND descriptor = ?",
            [.text(self.fingerprint), .text(limit.descriptor)]
        )?.int64(0)
    }

    private func setTheoreticalArrival(_ limit: StoredLimit, _ arrival: Int64) throws {
        try self.connection.execute(
            """
            INSERT INTO key_arrival (fingerprint, descriptor, theoretical_arrival) VALUES (?1, ?2, ?3)
            ON CONFLICT (fingerprint, descriptor) DO UPDATE SET theoretical_arrival = ?3
            """,
            [.text(self.fingerprint), .text(limit.descriptor), .integer(arrival)]
        )
    }
}
