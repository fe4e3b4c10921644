import KeyRotation
import KeyRotationStore

/// What `keys status` shows: per key its id, state and quota left, never the key. The `--json` form.
struct KeyStatusReport: Hashable, Sendable, Encodable {
    /// One key.
    struct Key: Hashable, Sendable, Encodable {
        /// The key's id (`vt-1`).
        var id: String
        /// `available`, `cooling-down`, `invalid`, `quota-exhausted`, `circuit-open` or `probing`.
        var state: String
        /// Until when the state holds (ISO 8601, UTC), if it is a block.
        var until: String?
        /// Uses of the key: the most that one of its limit windows counts in the store (today's for `500/day`),
        /// or the leases taken in this process when there are more.
        var uses: Int
        /// Leases out now.
        var inFlight: Int
        /// The key's weight.
        var weight: Int
        /// Each limit and what it has left.
        var limits: [Limit]
        /// When the key can serve again (ISO 8601, UTC); absent when it can now.
        var nextAvailable: String?
    }

    /// One limit of a key.
    struct Limit: Hashable, Sendable, Encodable {
        /// The limit as text (`4/1m`, `500/day UTC`).
        var limit: String
        /// Units left in its current window (absent for spacing rules).
        var remaining: Int?
    }

    /// The provider's command-line name.
    var provider: String
    /// The strategy in use.
    var strategy: String
    /// The keys, in pool order.
    var keys: [Key]

    /// Builds the report from a pool snapshot.
    init(provider: CLIProvider, strategy: SelectionStrategy, statistics: PoolStatistics) {
        self.provider = provider.name
        self.strategy = strategy.description
        self.keys = statistics.keys.map { key in
            let (state, until) = Self.describe(key.state)
            return Key(
                id: key.id.rawValue,
                state: state,
                until: until.map { "\($0)" },
                uses: key.uses,
                inFlight: key.inFlight,
                weight: key.weight,
                limits: key.remaining.map { Limit(limit: "\($0.limit)", remaining: $0.remaining) },
                nextAvailable: key.nextAvailable.map { "\($0)" }
            )
        }
    }

    /// Lowers what each limit has left to what `store` counts for it, and raises the uses to the most one of the
    /// key's windows counts: a new pool knows how many uses of a rolling window earlier runs left in the store but
    /// not their instants, so it can't count them itself (it keeps such a key out until the window has room, but
    /// would show the window as unused), and its own use count starts at zero.
    mutating func countUses(in store: SQLiteKeyStateStore, keys: [APIKey], at now: Timestamp) {
        for key in keys {
            guard let index = self.keys.firstIndex(where: { $0.id == key.id.rawValue }) else { continue }
            for (part, limit) in key.limits.enumerated() where self.keys[index].limits.indices.contains(part) {
                guard let left = (try? store.remaining(fingerprint: key.fingerprint, limits: [limit], at: now)) ?? nil
                else { continue }
                let shown = self.keys[index].limits[part].remaining
                self.keys[index].limits[part].remaining = shown.map { min($0, left) } ?? left
                if limit.countsUsesInWindows, let capacity = limit.capacity {
                    self.keys[index].uses = max(self.keys[index].uses, capacity - left)
                }
            }
        }
    }

    /// The report as an aligned table: one column per distinct limit.
    func table() -> TextTable {
        var limitNames: [String] = []
        for key in self.keys {
            for limit in key.limits where !limitNames.contains(limit.limit) { limitNames.append(limit.limit) }
        }
        var columns: [TextTable.Column] = ["KEY", "STATE", "USES"]
        columns += limitNames.isEmpty ? [TextTable.Column("LIMITS")] : limitNames.map { TextTable.Column("LEFT \($0)") }
        columns.append(TextTable.Column("NEXT AVAILABLE", alignment: .left))
        var table = TextTable(columns: columns)
        for key in self.keys {
            var row = [key.id, key.state, "\(key.uses)"]
            if limitNames.isEmpty {
                row.append("none known")
            } else {
                for name in limitNames {
                    let limit = key.limits.first { $0.limit == name }
                    row.append(limit.map { $0.remaining.map(String.init) ?? "-" } ?? "")
                }
            }
            row.append(key.nextAvailable ?? "now")
            table.append(row)
        }
        return table
    }

    private static func describe(_ state: KeyHealth.State) -> (String, Timestamp?) {
        switch state {
        case .available: ("available", nil)
        case .coolingDown(let until): ("cooling-down", until)
        case .invalid(let until): ("invalid", until)
        case .quotaExhausted(let until): ("quota-exhausted", until)
        case .circuitOpen(let until): ("circuit-open", until)
        case .probing(let since, _): ("probing", since)
        }
    }
}
