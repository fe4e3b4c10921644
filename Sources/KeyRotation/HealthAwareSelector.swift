/// Power of two choices on load: two random ready keys, the one with the lower latency EWMA × (in flight + 1)
/// × failure penalty wins. Only successful requests feed the latency, so a key that fails fast (quick 429s or
/// 5xx) never looks attractive: its failure score raises its load instead.
struct HealthAwareSelector: KeySelector {
    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        let count = entries.count
        guard count > 0 else { return nil }
        var first: Int?
        var second: Int?
        // Random probes first (cheap for big pools), then a scan from a random start so a ready key is always found.
        for _ in 0..<min(count, 8) {
            let index = Int(random.next() % UInt64(count))
            guard index != first, entries[index].isReady(cost: cost, at: now, spacing: 0) else { continue }
            if first == nil { first = index } else { second = index; break }
        }
        if second == nil {
            let start = Int(random.next() % UInt64(count))
            var index = start
            for _ in 0..<count {
                if index != first, entries[index].isReady(cost: cost, at: now, spacing: 0) {
                    if first == nil { first = index } else { second = index; break }
                }
                index = index + 1 == count ? 0 : index + 1
            }
        }
        guard let first else { return nil }
        guard let second else { return first }
        // The latency range of the two candidates that have one (no array: this runs on every lease).
        let latencies = (entries[first].latencyEWMA, entries[second].latencyEWMA)
        var (fastest, slowest): (Double, Double)
        switch (latencies.0 > 0, latencies.1 > 0) {
        case (true, true): (fastest, slowest) = (min(latencies.0, latencies.1), max(latencies.0, latencies.1))
        case (true, false): (fastest, slowest) = (latencies.0, latencies.0)
        case (false, true): (fastest, slowest) = (latencies.1, latencies.1)
        case (false, false): (fastest, slowest) = (1_000_000, 1_000_000)
        }
        let firstLoad = entries[first].load(at: now, fastest: fastest, slowest: slowest)
        let secondLoad = entries[second].load(at: now, fastest: fastest, slowest: slowest)
        return firstLoad <= secondLoad ? first : second
    }
}
