public import KeyRotation

/// A snapshot of a ``VirusTotalClient``: lookups, cache use, the queue and every key.
public struct VirusTotalStatistics: Hashable, Sendable {
    /// One key of the pool.
    public struct Key: Hashable, Sendable {
        /// The key's public id.
        public var id: KeyID
        /// Its health: `available`, `cooling-down`, `invalid`, `exhausted`, `circuit-open` or `probing`.
        public var state: String
        /// Requests it served.
        public var uses: Int
        /// The quota it has left now (the tightest of its limits), when known.
        public var remainingQuota: Int?
    }

    /// Lookups asked for (valid indicators; duplicates within one ``VirusTotalClient/enrich(_:concurrency:options:)``
    /// count once).
    public var totalRequests: Int
    /// Requests sent to VirusTotal that got an answer (report or not found).
    public var upstreamRequests: Int
    /// Lookups served from the store or the in-memory cache.
    public var cacheHits: Int
    /// ``cacheHits`` over ``totalRequests``; 0 when nothing was asked.
    public var cacheHitRatio: Double {
        self.totalRequests == 0 ? 0 : Double(self.cacheHits) / Double(self.totalRequests)
    }
    /// Lookups waiting in the persistent queue.
    public var queueDepth: Int
    /// Answers in the in-memory cache.
    public var cacheSize: Int
    /// Reports in the store (0 without a store).
    public var storedReports: Int
    /// Lookups that failed.
    public var failedRequests: Int
    /// Times the pool switched from one key to another.
    public var keyRotations: Int
    /// Every key, in pool order.
    public var keys: [Key]
}
