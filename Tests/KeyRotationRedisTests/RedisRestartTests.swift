import Foundation
import Glibc
import KeyRotation
import KeyRotationRedis
import KeyRotationTesting
import Testing

/// Redis coming back empty (restarted without persistence, flushed, failed over) while replicas hold the pool's
/// state: every replica writes back what it holds before admitting again, so no limit is over-admitted.
///
/// These use private servers (they kill, restart or flush them) and real time: the server's clock decides.
@Suite(
    .serialized,
    .enabled(if: RedisTestEnvironment.canStartServer, Comment(rawValue: RedisTestEnvironment.skipMessage))
)
struct RedisRestartTests {
    /// Every kind of limit, each on its own key, sized so nothing refills during a test.
    static let kinds: [(fingerprint: String, limits: [RateLimit])] = [
        ("calendar", [.perDay(3)]),
        ("strict", [.strict(3, per: .seconds(600))]),
        ("gcra", [try! .gcra(rate: 1, per: .seconds(600), burst: 3)]),
        ("bucket", [.tokenBucket(capacity: 3, refillInterval: .seconds(600))]),
        ("spacing", [.minimumSpacing(.seconds(600))]),
    ]

    static func store(_ url: String) throws -> RedisKeyStateStore {
        var configuration = try RedisKeyStateStore.Configuration(url: url)
        configuration.keyPrefix = "restart-kinds:"
        configuration.initialBackoff = .milliseconds(5)
        configuration.maximumBackoff = .milliseconds(20)
        configuration.connectTimeout = .milliseconds(300)
        configuration.restartGrace = .milliseconds(300)
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        return store
    }

    /// Two replicas fill every key, Redis loses everything (`lose`), both call again during the grace; after it,
    /// every key is still full.
    func everyKindSurvives(_ lose: (RedisTestServer) throws -> Void) throws {
        let server = try RedisTestServer()
        let (first, second) = (try Self.store(server.url), try Self.store(server.url))
        var now: Timestamp { Timestamp(Date()) }
        for (fingerprint, limits) in Self.kinds {
            let uses = fingerprint == "spacing" ? 1 : 3
            for use in 0..<uses {
                let store = use == 1 ? second : first  // the second replica's use is known to it alone
                #expect(
                    try store.admit(fingerprint: fingerprint, cost: 1, limits: limits, at: now)
                        != .notBefore(.distantFuture)
                )
            }
            guard case .notBefore = try first.admit(fingerprint: fingerprint, cost: 1, limits: limits, at: now) else {
                Issue.record("\(fingerprint) is not full before the loss")
                continue
            }
        }
        try lose(server)
        // Both replicas call (each finds the pool's state gone, or another epoch, and writes its own back), then
        // wait out the grace (bounded: 300 tries of 10 ms; the grace is 300 ms).
        var refusals: [String: Timestamp] = [:]
        for _ in 0..<300 {
            refusals = [:]
            for (fingerprint, limits) in Self.kinds {
                for store in [second, first] {
                    let asked = now
                    switch try? store.admit(fingerprint: fingerprint, cost: 1, limits: limits, at: asked) {
                    case .notBefore(let eta)? where eta > asked.advanced(by: .seconds(1)): refusals[fingerprint] = eta
                    case .admitted?: Issue.record("\(fingerprint) admitted a use over its limit after the loss")
                    default: break  // the grace (or the reconnect) still holds it back
                    }
                }
            }
            if refusals.count == Self.kinds.count { break }
            usleep(10_000)
        }
        #expect(Set(refusals.keys) == Set(Self.kinds.map(\.fingerprint)), "every key still full: \(refusals.keys)")
    }

    @Test func aRedisRestartedEmptyGetsEveryKindOfStateBackFromTheReplicas() throws {
        try self.everyKindSurvives { server in
            server.kill()
            try server.start()
        }
    }

    @Test func aRedisFlushedUnderLiveConnectionsGetsEveryKindOfStateBack() throws {
        try self.everyKindSurvives { server in
            let inspector = try RedisInspector(url: server.url)
            _ = try inspector.command(["FLUSHALL"])
            _ = try inspector.command(["SCRIPT", "FLUSH"])  // and the scripts: reloaded on NOSCRIPT
        }
    }

    /// Sent times (µs, the log server's clock) of one key.
    static func sent(_ log: RedisInspector, _ key: String) throws -> [Int64] {
        guard case .array(let items) = try log.command(["LRANGE", key, "0", "-1"]) else { return [] }
        return items.compactMap { $0.string.flatMap { Int64($0) } }.sorted()
    }

    @Test func threeReplicaProcessesNeverOverAdmitAcrossARedisRestart() async throws {
        let probe = try #require(
            BuiltProduct.named("RedisProbe"),
            "the RedisProbe executable is built next to the test bundle"
        )
        let server = try RedisTestServer()
        let (logURL, logServer) = try RedisTestServer.any()  // the test's own log: never restarted
        let prefix = "restart3:\(UUID().uuidString.prefix(8)):"
        let log = try RedisInspector(url: logURL)
        let started = try log.time()
        let url = server.url
        let replicas = (0..<3).map { _ in
            Task { try await probe.run(["restart-replica", url, prefix, "7", logURL]) }
        }
        // Mid-run: a crash (SIGKILL, no persistence), a second of outage, then an empty server.
        try await Task.sleep(for: .milliseconds(2_500))
        server.kill()
        try await Task.sleep(for: .seconds(1))
        try server.start()
        var outputs: [String] = []
        for replica in replicas { outputs.append(try await replica.value) }
        withExtendedLifetime(logServer) {}
        let finished = try log.time()
        let counts = outputs.compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 3, "probe output: \(outputs)")
        let strict = try Self.sent(log, "\(prefix)sent:strict")
        let gcra = try Self.sent(log, "\(prefix)sent:gcra")
        let hour = try Self.sent(log, "\(prefix)sent:hour")
        let spacing = try Self.sent(log, "\(prefix)sent:spacing")
        #expect(strict.count + gcra.count + hour.count + spacing.count == counts.reduce(0, +))
        // Each limit, counted in the test's own log: 24 in 600 s, 1 in 600 s, 24 in a UTC hour, and GCRA's burst
        // of 5 plus one per 2 s over the run (with 100 ms for the delay between an admission and its log entry).
        #expect(strict.count == 24, "strict window: \(strict.count) sent (limit 24)")
        #expect(spacing.count == 1, "spacing of 600 s: \(spacing.count) sent")
        var hours: [Int64: Int] = [:]
        for time in hour { hours[time / 3_600_000_000, default: 0] += 1 }
        #expect(hours.values.allSatisfy { $0 <= 24 } && hour.count >= 24, "per hour: \(hours) (limit 24)")
        let span = (gcra.last ?? started) - (gcra.first ?? started)
        let bound = 5 + Int((span + 100_000) / 2_000_000)
        #expect(gcra.count <= bound, "GCRA: \(gcra.count) sent in \(span) µs (at most \(bound))")
        #expect(gcra.contains { $0 > finished - 3_000_000 }, "GCRA admitted again after the restart")
    }
}
