import KeyRotation
import KeyRotationTesting

/// Scenario 3, the VirusTotal free tier: 5 keys at 4 per UTC minute and 500 per UTC day (known to the pool, as the
/// VirusTotal client configures them), over a simulated day from 00:00 UTC. 4 callers, 100–400 ms per lookup;
/// a 429 is VirusTotal's `QuotaExceededError` (no Retry-After). The naive baseline spaces keys by 15 s.
struct VirusTotalDayScenario: WorkloadScenario {
    let name = "virustotal"
    let title = "3. VirusTotal free tier: 5 keys × (4/min + 500/day) over a simulated day"
    let columns = [
        Column("served", "served"),
        Column("quota use %", "quota_use_pct", decimals: 2),
        Column("429", "http_429"),
        Column("lost", "lost"),
        Column("drain spread %", "drain_spread_pct", decimals: 1),
        Column("Jain keys", "jain_keys", decimals: 4),
        Column("real ms", "real_ms", decimals: 0),
    ]

    func workloads(_ options: BenchOptions) -> [Workload] {
        let duration = Duration.seconds(options.quick ? 1200 : 86400)
        let keys = (0..<5).map { index in
            KeySpec(
                label: "vt\(index)",
                clientLimits: [.calendar(4, per: .minute), .perDay(500)],
                behaviour: .virusTotalPublic(),
                entitlement: min(500, 4 * duration.seconds / 60)
            )
        }
        return [
            Workload(
                scenario: self.name,
                variant: options.quick ? "first 20 minutes" : "24 hours",
                keys: keys,
                flavour: .virusTotal,
                callers: 4,
                latency: .uniform(.milliseconds(100), .milliseconds(400)),
                duration: duration,
                baselineMinimumDelay: .seconds(15),
                buckets: 96
            )
        ]
    }
}
