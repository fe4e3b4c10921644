import KeyRotation
import KeyRotationTesting

/// Scenario 2, uneven keys: three keys at 4/min and one at 30/min (weights 2, 2, 2, 15), limits known to the pool
/// (rolling minutes, as the provider enforces them). 8 callers, 50–150 ms per request. The naive baseline spaces
/// every key by the common 15 s (4/min).
struct UnevenKeysScenario: WorkloadScenario {
    let name = "uneven"
    let title = "2. Uneven keys: 3 × 4/min + 1 × 30/min, limits known"
    let columns = [
        Column("req/min", "served_per_min", decimals: 2),
        Column("quota use %", "quota_use_pct", decimals: 2),
        Column("429", "http_429"),
        Column("share err %", "share_error_pct", decimals: 2),
        Column("Jain keys (weighted)", "jain_keys", decimals: 4),
        Column("max/min", "max_min_share", decimals: 3),
        Column("wait p99 ms", "wait_p99_ms", decimals: 0),
    ]

    func workloads(_ options: BenchOptions) -> [Workload] {
        let duration = Duration.seconds(options.quick ? 180 : 3600)
        let plans: [(label: String, perMinute: Int, weight: Int)] = [
            ("a", 4, 2), ("b", 4, 2), ("c", 4, 2), ("d", 30, 15),
        ]
        let keys = plans.map { plan in
            KeySpec(
                label: plan.label,
                weight: plan.weight,
                clientLimits: [.perMinute(plan.perMinute)],
                behaviour: SimulatedKeyBehaviour(limits: [.rolling(plan.perMinute, window: .seconds(60))]),
                entitlement: Double(plan.perMinute) * duration.seconds / 60
            )
        }
        return [
            Workload(
                scenario: self.name,
                variant: "42/min in total",
                keys: keys,
                callers: 8,
                latency: .uniform(.milliseconds(50), .milliseconds(150)),
                duration: duration,
                baselineMinimumDelay: .seconds(15)
            )
        ]
    }
}
