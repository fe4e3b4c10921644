/// Round robin with per-key minimum spacing: the next key in turn that is ready; never sleeps on a busy key.
struct RoundRobinSelector: KeySelector {
    let spacing: Int64
    private var cursor = 0

    init(minimumDelay: Duration) { self.spacing = minimumDelay.nanoseconds }

    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        let count = entries.count
        guard count > 0 else { return nil }
        if self.cursor >= count { self.cursor = 0 }
        var index = self.cursor
        for _ in 0..<count {
            if entries[index].isReady(cost: cost, at: now, spacing: self.spacing) {
                self.cursor = index + 1 == count ? 0 : index + 1
                return index
            }
            index = index + 1 == count ? 0 : index + 1
        }
        return nil
    }
}
