/// Prefer healthy keys, then the most quota left, then the least recently used: drains equal quotas evenly and
/// keeps the key with the most headroom for bursts.
struct MostRemainingQuotaSelector: KeySelector {
    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        // Through a buffer pointer: the entries are read in place, never copied.
        entries.withUnsafeBufferPointer { buffer in
            var best: Int?
            var bestHealthy = false
            var bestRemaining = Int.min
            var bestLastUse = Int.max
            for index in buffer.indices where buffer[index].isReady(cost: cost, at: now, spacing: 0) {
                let healthy = buffer[index].health.availability(at: now) == .available
                let remaining = buffer[index].remaining(at: now)
                let lastUse = buffer[index].lastUseSequence
                let better: Bool
                if best == nil {
                    better = true
                } else if healthy != bestHealthy {
                    better = healthy
                } else if remaining != bestRemaining {
                    better = remaining > bestRemaining
                } else {
                    better = lastUse < bestLastUse
                }
                if better {
                    best = index
                    bestHealthy = healthy
                    bestRemaining = remaining
                    bestLastUse = lastUse
                }
            }
            return best
        }
    }
}
