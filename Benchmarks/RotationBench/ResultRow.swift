import KeyRotation

/// One line of the report: a pool (a strategy or the baseline) in one scenario variant, with its figures.
struct ResultRow: Sendable {
    var scenario: String
    var variant: String
    var pool: String
    /// How time was driven: `virtual-async` (the real `acquire` on a `TestClock`), `wall-clock`, or `micro`.
    var driver: String
    /// Every figure, in display order: name → value.
    var figures: [(name: String, value: Double)]
    /// Each key's share of the successful requests, and its entitled share (for the SVG and the JSON).
    var keyShares: [Double] = []
    var entitledShares: [Double] = []
    /// Quota use per time bucket, in percent of the entitlement (for the SVG).
    var useOverTime: [Double] = []
    var notes: [String] = []

    subscript(_ name: String) -> Double? { self.figures.first { $0.name == name }?.value }
}

extension ResultRow {
    /// The figures of a scenario run.
    init(workload: Workload, pool: String, driver: String, record: RunRecord, realNanoseconds: Int64) {
        let seconds = workload.duration.seconds
        let successes = record.servedPerKey.reduce(0, +)
        let entitled = workload.keys.map(\.entitlement)
        let served = record.servedPerKey.map(Double.init)
        let normalized = zip(served, entitled).map { $1 > 0 ? $0 / $1 : $0 }
        let waits = record.waits.sorted()
        let completed = record.jobsServed + record.jobsLost
        var figures: [(String, Double)] = [
            ("served", Double(successes)),
            ("served_per_s", Double(successes) / seconds),
            ("served_per_min", Double(successes) / seconds * 60),
            ("quota_use_pct", workload.totalEntitlement > 0 ? Double(successes) / workload.totalEntitlement * 100 : 0),
            ("http_429", Double(record.status429)),
            ("rate_429_pct", record.attempts > 0 ? Double(record.status429) / Double(record.attempts) * 100 : 0),
            ("http_401", Double(record.status401)),
            ("http_5xx_or_reset", Double(record.status5xx + record.resets)),
            ("jobs", Double(completed)),
            ("lost", Double(record.jobsLost)),
            ("attempts", Double(record.attempts)),
            ("extra_attempts", Double(record.attempts - completed)),
            ("acquire_failures", Double(record.acquireFailures)),
            ("wait_p50_ms", Double(Fairness.percentile(waits, 50)) / 1e6),
            ("wait_p99_ms", Double(Fairness.percentile(waits, 99)) / 1e6),
            ("wait_max_ms", Double(waits.last ?? 0) / 1e6),
            ("jain_keys", Fairness.jain(normalized)),
            ("jain_callers", Fairness.jain(record.servedPerCaller.map(Double.init))),
            ("max_min_share", Fairness.maxOverMin(normalized)),
            ("share_error_pct", Fairness.weightedShareError(served: served, entitled: entitled)),
            ("recovery_s", Double(record.worstRecovery) / 1e9),
            ("drain_spread_pct", Self.drainSpread(record.servedPerKeyPerBucket, entitled: entitled)),
            ("real_ms", Double(realNanoseconds) / 1e6),
        ]
        if record.stalled { figures.append(("stalled", 1)) }
        self.init(scenario: workload.scenario, variant: workload.variant, pool: pool, driver: driver, figures: figures)
        self.keyShares = served.map { successes > 0 ? $0 / Double(successes) : 0 }
        let totalEntitled = entitled.reduce(0, +)
        self.entitledShares = entitled.map { totalEntitled > 0 ? $0 / totalEntitled : 0 }
        let perBucket = workload.totalEntitlement / Double(workload.buckets)
        self.useOverTime = record.servedPerBucket.map { perBucket > 0 ? Double($0) / perBucket * 100 : 0 }
        if record.stalled { self.notes.append("stalled: the virtual driver found no quiet state or no next event") }
    }

    /// The widest gap, at any bucket, between the most and the least drained key (cumulative use over
    /// entitlement), in percentage points.
    private static func drainSpread(_ perKey: [[Int]], entitled: [Double]) -> Double {
        guard let buckets = perKey.first?.count, perKey.count > 1 else { return 0 }
        var cumulative = Array(repeating: 0.0, count: perKey.count)
        var widest = 0.0
        for bucket in 0..<buckets {
            for key in perKey.indices { cumulative[key] += Double(perKey[key][bucket]) }
            let drained = zip(cumulative, entitled).map { $1 > 0 ? $0 / $1 : 0 }
            widest = max(widest, (drained.max() ?? 0) - (drained.min() ?? 0))
        }
        return widest * 100
    }
}
