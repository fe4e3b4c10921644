/// A snapshot of a pool: per key and in total.
public struct PoolStatistics: Hashable, Sendable {
    /// One key's figures.
    public struct Key: Hashable, Sendable {
        /// The key's id (never the key).
        public var id: KeyID
        /// Its health state.
        public var state: KeyHealth.State
        /// Its weight.
        public var weight: Int
        /// Leases taken.
        public var uses: Int
        /// Leases out now.
        public var inFlight: Int
        /// 429s reported.
        public var rateLimited: Int
        /// Transient failures reported.
        public var failures: Int
        /// Its limits and what each has left (`nil` for spacing).
        public var remaining: [(limit: RateLimit, remaining: Int?)]
        /// When it can serve one unit (`nil`: now).
        public var nextAvailable: Timestamp?
        /// Latency EWMA of successful requests.
        public var latency: Duration?
        /// The spacing learned from 429s the key's limits did not predict (`nil`: none).
        public var learnedSpacing: Duration?

        public static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.id == rhs.id && lhs.state == rhs.state && lhs.uses == rhs.uses && lhs.inFlight == rhs.inFlight
                && lhs.nextAvailable == rhs.nextAvailable && lhs.rateLimited == rhs.rateLimited
                && lhs.remaining.map(\.remaining) == rhs.remaining.map(\.remaining)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.id)
            hasher.combine(self.uses)
        }
    }

    /// Per key, in pool order.
    public var keys: [Key]
    /// Leases handed out.
    public var acquires: Int
    /// Leases on a different key than the one before.
    public var rotations: Int
    /// `acquire` calls that had to wait.
    public var waits: Int
    /// 429s reported.
    public var rateLimited: Int
    /// Tasks waiting now.
    public var waiters: Int
    /// When the pool can serve one unit (`nil`: now, or never when every key is invalid).
    public var nextAvailable: Timestamp?
}
