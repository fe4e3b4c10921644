import KeyRotation
import KeyRotationTesting

/// Scenario 5, unknown limits: the provider allows 60 requests per UTC minute per key (4 keys) but the pool is told
/// nothing; its 429s carry the exact `Retry-After`, or none. 4 callers, 50–150 ms per request. The naive baseline
/// knows no limit either: it spaces each key by a guessed 250 ms (4/s, four times what the provider allows).
struct UnknownLimitsScenario: WorkloadScenario {
    let name = "unknown-limits"
    let title = "5. Unknown limits: 4 keys × 60/min enforced, nothing told; 429 with and without Retry-After"
    let columns = [
        Column("req/s", "served_per_s", decimals: 2),
        Column("quota use %", "quota_use_pct", decimals: 2),
        Column("429", "http_429"),
        Column("429 rate %", "rate_429_pct", decimals: 2),
        Column("lost", "lost"),
        Column("wait p99 ms", "wait_p99_ms", decimals: 0),
    ]

    func workloads(_ options: BenchOptions) -> [Workload] {
        let duration = Duration.seconds(options.quick ? 60 : 300)
        return [(SimulatedRetryAfter.exact, "Retry-After exact"), (.none, "no Retry-After")].map {
            retryAfter,
            variant in
            let keys = (0..<4).map { index in
                KeySpec(
                    label: "u\(index)",
                    clientLimits: [],
                    behaviour: SimulatedKeyBehaviour(limits: [.fixedWindow(60, per: .minute)], retryAfter: retryAfter),
                    entitlement: duration.seconds
                )
            }
            return Workload(
                scenario: self.name,
                variant: variant,
                keys: keys,
                callers: 4,
                latency: .uniform(.milliseconds(50), .milliseconds(150)),
                duration: duration,
                baselineMinimumDelay: .milliseconds(250)
            )
        }
    }
}
