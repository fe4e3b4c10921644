import KeyRotation
import KeyRotationStore
import Synchronization

extension VirusTotalClient {
    /// Drains the lookups whose ETA has come from the persistent queue.
    ///
    /// Each item leaves the queue only in the transaction that stores its answer; an item whose keys are still
    /// limited gets a new ETA, one that fails for good (a bad request) is dropped and reported. Items are claimed
    /// for 10 minutes, so two processes draining one store don't repeat each other.
    ///
    /// - Parameters:
    ///   - limit: At most this many items. Default 100.
    ///   - options: How long to wait for a key per item. Default ``LookupOptions/default``.
    /// - Returns: One result per item, in queue order; empty without a store.
    public func runQueue(limit: Int = 100, options: LookupOptions = .default) async -> [LookupResult] {
        guard let storage = self.configuration.storage else { return [] }
        let now = self.rotator.now()
        let claimed = try? storage.requests.claimDue(
            at: now,
            kind: Self.queueKind,
            limit: max(0, limit),
            lease: .seconds(600)
        )
        guard let items = claimed else { return [] }
        var results: [LookupResult] = []
        for item in items {
            guard let ioc = try? IOC.parse(cacheKey: item.payload) else {
                _ = try? storage.requests.complete(id: item.id)
                continue
            }
            self.count { $0.lookups += 1 }
            if let cached = self.cachedAnswer(for: ioc) {
                self.count { $0.cacheHits += 1 }
                _ = try? storage.requests.complete(id: item.id)
                results.append(cached)
                continue
            }
            var itemOptions = options
            itemOptions.queuesWhenLimited = false
            let result = await self.fetch(ioc, options: itemOptions, queueItem: item.id)
            if let error = result.error {
                if error.isTransient {
                    try? storage.requests.reschedule(id: item.id, eta: self.rotator.now().advanced(by: .seconds(60)))
                } else {
                    _ = try? storage.requests.complete(id: item.id)
                }
            }
            results.append(result)
        }
        return results
    }
}
