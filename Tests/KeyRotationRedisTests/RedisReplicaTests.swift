import Foundation
import Glibc
import KeyRotation
import KeyRotationRedis
import KeyRotationTesting
import Testing

/// Several replicas sharing one pool through one Redis, and Redis going away in the middle of a run.
///
/// These use real time (the limits are per second of the server's clock): about 5 s and 3 s.
@Suite(.serialized, .enabled(if: RedisTestEnvironment.canUseRedis, Comment(rawValue: RedisTestEnvironment.skipMessage)))
struct RedisReplicaTests {
    /// Times (µs) of one key's requests, sorted; the largest count in any window of `window` µs.
    static func busiestWindow(_ times: [Int64], window: Int64) -> Int {
        var busiest = 0
        var first = 0
        for (index, time) in times.enumerated() {
            while times[first] <= time - window { first += 1 }
            busiest = max(busiest, index - first + 1)
        }
        return busiest
    }

    private static func list(_ connection: RedisConnection, _ key: String) throws -> [String] {
        guard case .array(let items) = try connection.command(["LRANGE", key, "0", "-1"]) else { return [] }
        return items.compactMap(\.string)
    }

    @Test func fourProcessesNeverOverrunThreeKeysAndUseAtLeast95Percent() async throws {
        let probe = try #require(
            BuiltProduct.named("RedisProbe"),
            "the RedisProbe executable is built next to the test bundle"
        )
        let (url, server) = try RedisTestServer.any()
        let prefix = "replicas:\(UUID().uuidString.prefix(8)):"
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 { group.addTask { try await probe.run(["replica", url, prefix, "5"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        withExtendedLifetime(server) {}
        let connection = try RedisConnection(
            endpoint: try RedisEndpoint(url: url),
            connectTimeout: .seconds(1),
            ioTimeout: .seconds(5)
        )
        let sentByProcesses = outputs.compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(sentByProcesses.count == 4, "probe output: \(outputs)")
        // The server-side log of admissions (written by the admission script with the server's time) and the
        // upstream's request log (each "send", stamped with the server's time when it arrived).
        let admitted = try Self.list(connection, "\(prefix)admitted")
        var admittedTimes: [String: [Int64]] = [:]
        for line in admitted {
            let parts = line.split(separator: " ")
            if parts.count == 2, let time = Int64(parts[1]) {
                admittedTimes[String(parts[0]), default: []].append(time)
            }
        }
        var total = 0
        for label in ["k1", "k2", "k3"] {
            let sent = try Self.list(connection, "\(prefix)sent:\(label)").compactMap { Int64($0) }.sorted()
            total += sent.count
        }
        #expect(admittedTimes.count == 3)
        for (fingerprint, times) in admittedTimes {
            let busiest = Self.busiestWindow(times.sorted(), window: 1_000_000)
            #expect(busiest <= 10, "key \(fingerprint): \(busiest) admissions in one second (limit 10)")
        }
        #expect(admitted.count == total, "every admission was sent exactly once")
        #expect(total == sentByProcesses.reduce(0, +))
        #expect(total >= 143, "the pool used \(total) of 3 keys × 10/s × 5 s = 150 (at least 95 % wanted)")
    }

    @Test(.enabled(if: RedisTestEnvironment.canStartServer, Comment(rawValue: RedisTestEnvironment.skipMessage)))
    func redisRestartedMidRunFallsBackThenResumes() async throws {
        let server = try RedisTestServer()
        var configuration = try RedisKeyStateStore.Configuration(
            url: server.url,
            whenUnavailable: .localFallback(fraction: 0.25)
        )
        configuration.keyPrefix = "restart:"
        configuration.admissionLogKey = "restart:admitted"
        configuration.maximumBackoff = .milliseconds(100)
        configuration.connectTimeout = .milliseconds(200)
        configuration.restartGrace = .milliseconds(300)
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        let keys = (1...3).map {
            APIKey("restart-secret-\($0)", label: "k\($0)", limits: [.perSecond(10), .perDay(1000)])
        }
        let rotator = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin, stateStore: store))
        let clock = ContinuousClock()
        let start = clock.now
        var uses: [(key: KeyID, at: Duration)] = []
        var phase = 0
        var killedAt = Duration.zero
        var restartedAt = Duration.zero
        var usesThroughRedis = 0  // after the restart, while the store is connected again
        // Bounded in time below (at most 10 s after the restart: a loaded machine may take a while to reconnect);
        // the count only guards against a clock that never moves (an acquire whose deadline can't be met returns at
        // once, so a fast machine loops many times a second).
        for _ in 0..<10_000_000 {
            let elapsed = start.duration(to: clock.now)
            if phase == 0 && elapsed >= .seconds(1) {
                server.kill()
                killedAt = start.duration(to: clock.now)
                phase = 1
            } else if phase == 1 && elapsed >= .milliseconds(3_000) {
                // A second of outage past the one-window margin below: reconnect attempts on a loaded machine
                // can't starve a key of every fallback use.
                try server.start()
                restartedAt = start.duration(to: clock.now)
                phase = 2
            } else if phase == 2 && (usesThroughRedis >= 30 || elapsed >= restartedAt + .seconds(10)) {
                break
            }
            do {
                let lease = try await rotator.acquire(deadline: clock.now.advanced(by: .milliseconds(50)))
                uses.append((lease.keyID, start.duration(to: clock.now)))
                if phase == 2 && store.isConnected { usesThroughRedis += 1 }
                lease.report(.success(latency: .zero))
            } catch let error as KeyRotatorError where error.code == .deadlineExceeded {
                continue
            }
        }
        // Inside the outage (a margin of one window after the kill, so Redis's part has left the window), each
        // key got at most 25 % of its limit in any second; overall, at most limit + 25 % in any second.
        for key in keys.map(\.id) {
            let times = uses.filter { $0.key == key }.map { Int64($0.at.seconds * 1_000_000) }
            let outage = uses.filter {
                $0.key == key && $0.at > killedAt + .seconds(1) && $0.at < restartedAt
            }.map { Int64($0.at.seconds * 1_000_000) }
            #expect(Self.busiestWindow(outage, window: 1_000_000) <= 2, "\(key) in fallback")
            #expect(!outage.isEmpty, "\(key) was still used while Redis was down")
            #expect(Self.busiestWindow(times, window: 1_000_000) <= 12, "\(key) overall")
        }
        // Usage resumed through Redis: the restarted (empty) server logged admissions, and the daily counts
        // came back (what was counted before the crash plus what the fallback admitted).
        let connection = try RedisConnection(
            endpoint: try RedisEndpoint(url: server.url),
            connectTimeout: .seconds(1),
            ioTimeout: .seconds(2)
        )
        let resumed = try Self.list(connection, "restart:admitted")
        #expect(resumed.count >= 20, "admissions through the restarted Redis: \(resumed.count)")
        let afterRestart = uses.filter { $0.at > restartedAt }.count
        #expect(afterRestart >= 20)
        guard case .array(let names) = try connection.command(["KEYS", "{restart:}*:c:d:*"]) else {
            Issue.record("no daily counters after the restart")
            return
        }
        var daily = 0
        for name in names.compactMap(\.string) { daily += Int(try connection.command(["GET", name]).integer ?? 0) }
        #expect(daily == uses.count, "daily usage in Redis \(daily) vs uses \(uses.count)")
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
