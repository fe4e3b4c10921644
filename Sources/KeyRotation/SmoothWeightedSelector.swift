/// Smooth weighted round robin, as nginx does it: every ready key gains its weight, the richest is picked and
/// pays the total back. Weights {5, 1, 1} give `a a b a c a a`, spread rather than bunched.
struct SmoothWeightedSelector: KeySelector {
    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int? {
        // Through a buffer pointer: the entries are read in place, never copied (a copy retains every reference
        // a KeyEntry holds).
        entries.withUnsafeMutableBufferPointer { buffer in
            var best = -1
            var bestWeight = Int.min
            var total = 0
            for index in buffer.indices where buffer[index].isReady(cost: cost, at: now, spacing: 0) {
                buffer[index].currentWeight += buffer[index].weight
                total += buffer[index].weight
                if buffer[index].currentWeight > bestWeight {
                    best = index
                    bestWeight = buffer[index].currentWeight
                }
            }
            guard best >= 0 else { return nil }
            buffer[best].currentWeight -= total
            return best
        }
    }
}
