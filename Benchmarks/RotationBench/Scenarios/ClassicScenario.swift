import KeyRotation
import KeyRotationTesting

/// Scenario 1, the classic rotator: keys spaced 100 ms apart (10/s each), 8 callers in a closed loop with no
/// latency. The provider answers 429 to any two uses of a key less than 100 ms apart.
///
/// The fair share of one caller's wait is callers / throughput: 8 / 40 per s = 200 ms with 4 keys, 8 ms with 100.
struct ClassicScenario: WorkloadScenario {
    let name = "classic"
    let title = "1. Classic rotator: keys 100 ms apart, 8 callers in a closed loop, no latency"
    let columns = [
        Column("keys/s", "served_per_s", decimals: 1),
        Column("429", "http_429"),
        Column("wait p50 ms", "wait_p50_ms", decimals: 1),
        Column("wait p99 ms", "wait_p99_ms", decimals: 1),
        Column("wait max ms", "wait_max_ms", decimals: 1),
        Column("Jain keys", "jain_keys", decimals: 4),
        Column("Jain callers", "jain_callers", decimals: 4),
        Column("max/min", "max_min_share", decimals: 3),
    ]

    func workloads(_ options: BenchOptions) -> [Workload] {
        [
            Self.workload(keys: 4, duration: .seconds(options.quick ? 3 : 60)),
            Self.workload(keys: 100, duration: options.quick ? .milliseconds(300) : .seconds(2)),
        ]
    }

    static let spacing = Duration.milliseconds(100)

    static func workload(keys count: Int, duration: Duration) -> Workload {
        let rate = 1 / spacing.seconds
        let keys = (0..<count).map { index in
            KeySpec(
                label: "k\(index)",
                clientLimits: [.minimumSpacing(spacing)],
                behaviour: SimulatedKeyBehaviour(limits: [.rolling(1, window: spacing)]),
                entitlement: rate * duration.seconds
            )
        }
        return Workload(
            scenario: "classic",
            variant: "\(count) keys, fair wait \(String(oneDecimal: 8 / (rate * Double(count)) * 1000)) ms",
            keys: keys,
            callers: 8,
            duration: duration,
            baselineMinimumDelay: spacing,
            strategies: [.roundRobin(minimumDelay: spacing), .smoothWeighted, .mostRemainingQuota, .healthAware]
        )
    }
}

extension String {
    /// `value` with up to one decimal, trailing `.0` dropped.
    init(oneDecimal value: Double) {
        let rounded = (value * 10).rounded() / 10
        self = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
