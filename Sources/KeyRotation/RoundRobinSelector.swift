/// Round robin with per-key minimum spacing: the next key in turn that is ready; never sleeps on a busy key.
///
/// With `spreadsUses`, grants are also spaced `minimumDelay / keys` apart across the pool, so a pool of 100 keys at
/// 100 ms hands out one key a millisecond rather than 100 keys every 100 ms.
struct RoundRobinSelector: KeySelector {
    let spacing: Int64
    let spreadsUses: Bool
    private var cursor = 0
    /// With `spreadsUses`: the earliest instant of the next grant.
    private(set) var nextGrant = Timestamp.epoch

    init(minimumDelay: Duration, spreadsUses: Bool) {
        self.spacing = minimumDelay.nanoseconds
        self.spreadsUses = spreadsUses && minimumDelay > .zero
    }

    /// When the pool's cadence allows the next grant, if it paces grants at all.
    func earliestGrant(keyCount: Int) -> Timestamp? {
        self.spreadsUses && keyCount > 1 ? self.nextGrant : nil
    }

    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        let count = entries.count
        guard count > 0 else { return nil }
        if self.spreadsUses && count > 1 && now < self.nextGrant { return nil }
        if self.cursor >= count { self.cursor = 0 }
        var index = self.cursor
        for _ in 0..<count {
            if entries[index].isReady(cost: cost, at: now, spacing: self.spacing) {
                self.cursor = index + 1 == count ? 0 : index + 1
                if self.spreadsUses {
                    // The cadence runs from the previous slot (one slot of slack absorbs a late timer), so waiters
                    // are served one slot apart instead of all at the instant the keys free up.
                    let step = self.spacing / Int64(count)
                    let slack = self.nextGrant == .epoch ? 0 : step  // no slack before the first grant
                    let slot = max(self.nextGrant, now.advanced(by: .nanoseconds(-slack)))
                    self.nextGrant = slot.advanced(by: .nanoseconds(step))
                }
                return index
            }
            index = index + 1 == count ? 0 : index + 1
        }
        return nil
    }
}
