/// Fairness and distribution figures.
enum Fairness {
    /// Jain's index: (Σx)² / (n·Σx²); 1 when every x is equal, 1/n when one takes all. 1 for an empty or all-zero
    /// input.
    static func jain(_ values: [Double]) -> Double {
        let sum = values.reduce(0, +)
        let squares = values.reduce(0) { $0 + $1 * $1 }
        guard !values.isEmpty, squares > 0 else { return 1 }
        return sum * sum / (Double(values.count) * squares)
    }

    /// The largest over the smallest value (infinite when the smallest is 0 and the largest is not).
    static func maxOverMin(_ values: [Double]) -> Double {
        guard let high = values.max(), let low = values.min() else { return 1 }
        if high == 0 { return 1 }
        return low > 0 ? high / low : .infinity
    }

    /// The worst relative gap between each key's share of `served` and its share of `entitled`, in percent.
    static func weightedShareError(served: [Double], entitled: [Double]) -> Double {
        let total = served.reduce(0, +)
        let totalEntitled = entitled.reduce(0, +)
        guard total > 0, totalEntitled > 0 else { return 0 }
        var worst = 0.0
        for (value, entitlement) in zip(served, entitled) where entitlement > 0 {
            worst = max(worst, abs((value / total) / (entitlement / totalEntitled) - 1))
        }
        return worst * 100
    }

    /// The `p`-th percentile (0...100) by nearest rank, of values sorted ascending.
    static func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank - 1, 0), sorted.count - 1)]
    }
}
