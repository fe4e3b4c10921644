import KeyRotation
import KeyRotationTesting

/// Scenario 4, faults: 4 keys at 5/s (known); at a third of the run key 1 turns invalid (401 from then on); key 2
/// flaps, failing every request with 503 for alternate periods. 8 callers, 20–80 ms per request, 4 attempts per
/// job on any key. The naive baseline spaces keys by 200 ms and ignores what the answers say.
struct FaultsScenario: WorkloadScenario {
    let name = "faults"
    let title = "4. Faults: one key turns invalid, one flaps with 503s (4 transient attempts per request)"
    let columns = [
        Column("served", "served"),
        Column("lost", "lost"),
        Column("extra attempts", "extra_attempts"),
        Column("401", "http_401"),
        Column("5xx", "http_5xx_or_reset"),
        Column("429", "http_429"),
        Column("recover s", "recovery_s", decimals: 2),
        Column("wait p99 ms", "wait_p99_ms", decimals: 0),
    ]

    func workloads(_ options: BenchOptions) -> [Workload] {
        let duration = Duration.seconds(options.quick ? 30 : 180)
        let flap = Duration.seconds(options.quick ? 10 : 30)
        let keys = (0..<4).map { index in
            KeySpec(
                label: "f\(index)",
                clientLimits: [.perSecond(5)],
                behaviour: SimulatedKeyBehaviour(limits: [.rolling(5, window: .seconds(1))]),
                entitlement: 5 * duration.seconds
            )
        }
        let healthy = keys[2].behaviour
        var failing = healthy
        failing.failures = .always
        var invalid = keys[1].behaviour
        invalid.isInvalid = true
        var changes = [ScheduledChange(at: duration / 3, keyIndex: 1, behaviour: invalid)]
        var at = flap
        var isFailing = true
        while at < duration {
            changes.append(ScheduledChange(at: at, keyIndex: 2, behaviour: isFailing ? failing : healthy))
            isFailing.toggle()
            at += flap
        }
        return [
            Workload(
                scenario: self.name,
                variant: "invalid at \((duration / 3).compactDescription), flaps every \(flap.compactDescription)",
                keys: keys,
                callers: 8,
                latency: .uniform(.milliseconds(20), .milliseconds(80)),
                duration: duration,
                attemptsPerJob: 4,
                baselineMinimumDelay: .milliseconds(200),
                changes: changes
            )
        ]
    }
}
