import Foundation
import KeyRotation
import KeyRotationRedis

/// Scenario 8, the Redis key-state store on a real `redis-server` (`KEYROTATION_REDIS_URL`; skipped without it):
/// admission round trips per second one at a time and pipelined, and what the store adds to an acquire + report.
struct RedisScenario: BenchScenario {
    let name = "redis"
    let title = "8. Redis key-state store (KEYROTATION_REDIS_URL): admissions per second, added latency"
    let columns = [
        Column("sequential /s", "sequential_per_s"),
        Column("pipelined /s", "pipelined_per_s"),
        Column("batch", "batch"),
        Column("µs/admission", "sequential_us", decimals: 1),
        Column("added µs/acquire", "added_us", decimals: 1),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment[RedisKeyStateStore.Configuration.environmentVariable], !url.isEmpty else {
            var row = ResultRow(scenario: self.name, variant: "skipped", pool: "-", driver: "micro", figures: [])
            row.notes = ["skipped: set KEYROTATION_REDIS_URL=redis://127.0.0.1:6379/0 to measure a local redis-server"]
            return [row]
        }
        do {
            return [try self.measure(url: url, iterations: options.quick ? 2_000 : 20_000, batch: 64)]
        } catch {
            var row = ResultRow(scenario: self.name, variant: "failed", pool: "-", driver: "micro", figures: [])
            row.notes = ["Redis unavailable: \(error)"]
            return [row]
        }
    }

    private func measure(url: String, iterations: Int, batch: Int) throws -> ResultRow {
        var configuration = try RedisKeyStateStore.Configuration(url: url)
        configuration.keyPrefix = "rotation-bench:\(getpid()):"
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        // Limits that never refuse, so every round trip is a full admission (read, decide, record).
        let limits: [RateLimit] = [
            .calendar(Int.max / 4, per: .day), .gcra(rate: 1_000_000, per: .seconds(1), burst: 1_000_000),
        ]
        let fingerprints = (0..<8).map { "bench\($0)" }
        let now = Timestamp(Date())
        let clock = ContinuousClock()
        let sequential = clock.measure {
            for index in 0..<iterations {
                _ = try? store.admit(fingerprint: fingerprints[index % 8], cost: 1, limits: limits, at: now)
            }
        }
        let requests = (0..<batch).map {
            RedisKeyStateStore.AdmissionRequest(fingerprint: fingerprints[$0 % 8], cost: 1, limits: limits)
        }
        let rounds = max(1, iterations / batch)
        let pipelined = clock.measure {
            for _ in 0..<rounds { _ = try? store.admit(requests, at: now) }
        }
        let keys = (0..<8).map { APIKey("bench-secret-\($0)", limits: limits) }
        let shared = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin, stateStore: store))
        let local = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin))
        func loop(_ rotator: KeyRotator<ContinuousClock>) -> Duration {
            clock.measure {
                for _ in 0..<iterations {
                    if case .lease(let lease) = rotator.tryAcquire() { lease.report(.success(latency: .zero)) }
                }
            }
        }
        let withStore = loop(shared)
        let inMemory = loop(local)
        return ResultRow(
            scenario: self.name,
            variant: "\(iterations) admissions, loopback",
            pool: "RedisKeyStateStore",
            driver: "micro",
            figures: [
                ("sequential_per_s", Double(iterations) / sequential.seconds),
                ("pipelined_per_s", Double(rounds * batch) / pipelined.seconds),
                ("batch", Double(batch)),
                ("sequential_us", sequential.seconds * 1e6 / Double(iterations)),
                ("added_us", (withStore.seconds - inMemory.seconds) * 1e6 / Double(iterations)),
            ]
        )
    }
}
