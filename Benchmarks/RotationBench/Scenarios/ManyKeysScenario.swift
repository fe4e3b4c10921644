import KeyRotation
import KeyRotationTesting

/// Scenario 6, 10,000 keys at 1/min each (known; 1,000 with `--quick`), on a `TestClock`: the heap the pool takes,
/// the cost of the first 1,000 leases (200 with `--quick`) from a full pool (strategies that scan every ready key pay for all of them),
/// and the cost of a `tryAcquire` once every key's minute is spent (the ETA scan over every key). Each measurement stops after
/// 400 ms (100 ms with `--quick`); `leases` says how many were timed.
struct ManyKeysScenario: BenchScenario {
    let name = "many-keys"
    let title = "6. Many keys (10,000; 1,000 with --quick) at 1/min: memory, leasing, asking an empty pool"
    let columns = [
        Column("heap B/key", "heap_bytes_per_key", decimals: 0),
        Column("ns/lease (full pool)", "ns_per_lease_full", decimals: 0),
        Column("ns/tryAcquire empty", "ns_per_try_empty", decimals: 0),
        Column("leases", "leases"),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let count = options.quick ? 1000 : 10_000
        let leaseCount = options.quick ? 200 : 1000
        let emptyProbes = options.quick ? 10 : 200
        let budget = Duration.milliseconds(options.quick ? 100 : 400)  // per measurement: scans of 10,000 keys are slow
        let keys = (0..<count).map { APIKey("many-secret-\($0)-0123456789", label: "n\($0)", limits: [.perMinute(1)]) }
        let clock = ContinuousClock()
        var rows: [ResultRow] = []
        for strategy in SelectionStrategy.all {
            let testClock = TestClock()
            let before = HeapProbe.bytesInUse()
            let rotator = KeyRotator(keys: keys, configuration: .init(strategy: strategy), clock: testClock)
            let after = HeapProbe.bytesInUse()
            var leases = 0
            var probes = 0
            let draining = clock.measure {
                let started = clock.now
                while leases < leaseCount, started.duration(to: clock.now) < budget,
                    case .lease(let lease) = rotator.tryAcquire()
                {
                    lease.report(.success(latency: .milliseconds(1)))
                    leases += 1
                }
            }
            // Empty the pool the cheap way (leasing 10,000 keys one by one takes minutes with the scanning strategies):
            // each key is told by "the server" that its minute is spent, as `X-RateLimit-Remaining: 0` would.
            for key in keys { rotator.observe(remaining: 0, resetAt: nil, for: key.id) }
            let empty = clock.measure {
                let started = clock.now
                while probes < emptyProbes, started.duration(to: clock.now) < budget {
                    _ = rotator.tryAcquire()
                    probes += 1
                }
            }
            var figures: [(String, Double)] = [
                ("keys", Double(count)),
                ("ns_per_lease_full", Double(draining.nanoseconds) / Double(max(leases, 1))),
                ("ns_per_try_empty", Double(empty.nanoseconds) / Double(max(probes, 1))),
                ("leases", Double(leases)),
            ]
            if let before, let after {
                figures.insert(("heap_bytes_per_key", Double(after - before) / Double(count)), at: 0)
            }
            rows.append(
                ResultRow(
                    scenario: self.name,
                    variant: "\(count) keys",
                    pool: strategy.description,
                    driver: "micro",
                    figures: figures
                )
            )
            withExtendedLifetime(rotator) {}
        }
        let timeline = VirtualTimeline()
        let secrets = keys.map(\.secret)
        let before = HeapProbe.bytesInUse()
        let naive = NaiveRotator(secrets: secrets, minimumDelay: .seconds(60), timeline: timeline)
        let after = HeapProbe.bytesInUse()
        let begin = clock.now
        for _ in 0..<leaseCount { _ = try? await naive.acquire() }
        var figures: [(String, Double)] = [
            ("keys", Double(count)),
            ("ns_per_lease_full", Double(begin.duration(to: clock.now).nanoseconds) / Double(leaseCount)),
            ("leases", Double(leaseCount)),
        ]
        if let before, let after {
            figures.insert(("heap_bytes_per_key", Double(after - before) / Double(count)), at: 0)
        }
        var row = ResultRow(
            scenario: self.name,
            variant: "\(count) keys",
            pool: naive.name,
            driver: "micro",
            figures: figures
        )
        row.notes.append("an empty naive pool does not answer: it sleeps under its lock")
        rows.append(row)
        return rows
    }
}
