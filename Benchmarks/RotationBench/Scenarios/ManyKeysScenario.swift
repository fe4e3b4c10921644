import KeyRotation
import KeyRotationTesting

/// Scenario 6, 10,000 keys at 1/min each (known), on a `TestClock`: the heap the pool takes, the cost of leasing
/// every key once (the pool drains from full to empty, so strategies that scan pay more as it empties), and the cost
/// of a `tryAcquire` on the empty pool (the ETA scan over every key).
struct ManyKeysScenario: BenchScenario {
    let name = "many-keys"
    let title = "6. 10,000 keys at 1/min: memory, draining the pool, asking an empty pool"
    let columns = [
        Column("heap B/key", "heap_bytes_per_key", decimals: 0),
        Column("ns/lease draining", "ns_per_lease_draining", decimals: 0),
        Column("ns/tryAcquire empty", "ns_per_try_empty", decimals: 0),
        Column("leases", "leases"),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let count = 10_000
        let emptyProbes = options.quick ? 50 : 1000
        let keys = (0..<count).map { APIKey("many-secret-\($0)-0123456789", label: "n\($0)", limits: [.perMinute(1)]) }
        let clock = ContinuousClock()
        var rows: [ResultRow] = []
        for strategy in SelectionStrategy.all {
            let testClock = TestClock()
            let before = HeapProbe.bytesInUse()
            let rotator = KeyRotator(keys: keys, configuration: .init(strategy: strategy), clock: testClock)
            let after = HeapProbe.bytesInUse()
            var leases = 0
            let draining = clock.measure {
                while case .lease(let lease) = rotator.tryAcquire() {
                    lease.report(.success(latency: .milliseconds(1)))
                    leases += 1
                    if leases > count { break }
                }
            }
            let empty = clock.measure {
                for _ in 0..<emptyProbes { _ = rotator.tryAcquire() }
            }
            var figures: [(String, Double)] = [
                ("keys", Double(count)),
                ("ns_per_lease_draining", Double(draining.nanoseconds) / Double(max(leases, 1))),
                ("ns_per_try_empty", Double(empty.nanoseconds) / Double(emptyProbes)),
                ("leases", Double(leases)),
            ]
            if let before, let after { figures.insert(("heap_bytes_per_key", Double(after - before) / Double(count)), at: 0) }
            rows.append(
                ResultRow(scenario: self.name, variant: "10,000 keys", pool: strategy.description, driver: "micro", figures: figures)
            )
            withExtendedLifetime(rotator) {}
        }
        let timeline = VirtualTimeline()
        let secrets = keys.map(\.secret)
        let before = HeapProbe.bytesInUse()
        let naive = NaiveRotator(secrets: secrets, minimumDelay: .seconds(60), timeline: timeline)
        let after = HeapProbe.bytesInUse()
        let begin = clock.now
        for _ in 0..<count { _ = try? await naive.acquire() }
        var figures: [(String, Double)] = [
            ("keys", Double(count)),
            ("ns_per_lease_draining", Double(begin.duration(to: clock.now).nanoseconds) / Double(count)),
            ("leases", Double(count)),
        ]
        if let before, let after { figures.insert(("heap_bytes_per_key", Double(after - before) / Double(count)), at: 0) }
        var row = ResultRow(scenario: self.name, variant: "10,000 keys", pool: naive.name, driver: "micro", figures: figures)
        row.notes.append("an empty naive pool does not answer: it sleeps under its lock")
        rows.append(row)
        return rows
    }
}
