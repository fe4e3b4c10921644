/// Smooth weighted round robin, as nginx does it: every ready key gains its weight, the richest is picked and
/// pays the total back. Weights {5, 1, 1} give `a a b a c a a`, spread rather than bunched.
struct SmoothWeightedSelector: KeySelector {
    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        var best: Int?
        var total = 0
        for index in entries.indices where entries[index].isReady(cost: cost, at: now, spacing: 0) {
            entries[index].currentWeight += entries[index].weight
            total += entries[index].weight
            if best == nil || entries[index].currentWeight > entries[best!].currentWeight { best = index }
        }
        if let best { entries[best].currentWeight -= total }
        return best
    }
}
