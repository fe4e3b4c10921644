import Foundation
import KeyRotation
import KeyRotationRedis
import Synchronization
import Testing

/// Automatic pipelining: many threads share the store's one connection, their scripts written in shared batches
/// and each reply handed to its own caller.
@Suite(.enabled(if: RedisTestEnvironment.canUseRedis, Comment(rawValue: RedisTestEnvironment.skipMessage)))
final class RedisPipeliningTests {
    let url: String
    let server: RedisTestServer?
    let prefix = "pipelining:\(UUID().uuidString.prefix(8)):"

    init() throws {
        (self.url, self.server) = try RedisTestServer.any()
    }

    /// Starts `body(thread, round)` on `threads` threads, `rounds` times each; the group they leave when done.
    static func startThreads(
        _ threads: Int,
        rounds: Int,
        _ body: @escaping @Sendable (Int, Int) -> Void
    ) -> DispatchGroup {
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for round in 0..<rounds { body(thread, round) }
                group.leave()
            }.start()
        }
        return group
    }

    /// Runs `body(thread, round)` on `threads` threads, `rounds` times each, and waits for all (bounded: 60 s).
    static func onThreads(_ threads: Int, rounds: Int, _ body: @escaping @Sendable (Int, Int) -> Void) -> Bool {
        Self.startThreads(threads, rounds: rounds, body).wait(timeout: .now() + 60) == .success
    }

    @Test func concurrentAdmissionsShareBatchesAndEachCallerGetsItsOwnReply() throws {
        let store = try RedisTestServer.store(url: self.url, prefix: self.prefix)
        // Eight keys whose quotas are far apart, so a reply handed to the wrong caller shows in its `remaining`.
        @Sendable func limits(_ key: Int) -> [RateLimit] { [.perDay(10_000 * (key + 1))] }
        let answers = Mutex<[Int: [Int]]>([:])
        let failures = Mutex(0)
        let finished = Self.onThreads(32, rounds: 25) { thread, _ in
            let key = thread % 8
            let now = Timestamp(Date())
            guard
                case .admitted(let remaining?) = try? store.admit(
                    fingerprint: "crowd\(key)",
                    cost: 1,
                    limits: limits(key),
                    at: now
                )
            else {
                failures.withLock { $0 += 1 }
                return
            }
            answers.withLock { $0[key, default: []].append(remaining) }
        }
        #expect(finished, "every thread finished within 60 s")
        #expect(failures.withLock { $0 } == 0)
        for (key, remaining) in answers.withLock({ $0 }) {
            // 4 threads × 25 admissions on each key: exactly the quota's last 100 values, each once.
            let quota = 10_000 * (key + 1)
            #expect(remaining.sorted() == Array((quota - 100)..<quota), "key \(key)")
        }
        let (batches, calls) = store.pipelineStatistics
        #expect(calls >= 800)
        #expect(batches < calls, "\(calls) scripts in \(batches) batches: concurrent callers shared batches")
    }

    @Test func aSharedQuotaIsNeverOverAdmittedByConcurrentCallers() throws {
        let store = try RedisTestServer.store(url: self.url, prefix: self.prefix)
        let admitted = Mutex(0)
        let finished = Self.onThreads(16, rounds: 25) { _, _ in
            let now = Timestamp(Date())
            let limits: [RateLimit] = [.perDay(150), .strict(150, per: .seconds(60))]
            if case .admitted = try? store.admit(fingerprint: "quota", cost: 1, limits: limits, at: now) {
                admitted.withLock { $0 += 1 }
            }
        }
        #expect(finished)
        #expect(admitted.withLock { $0 } == 150, "16 × 25 tries at a quota of 150")
    }

    @Test(.enabled(if: RedisTestEnvironment.canStartServer, Comment(rawValue: RedisTestEnvironment.skipMessage)))
    func aConnectionLostMidBatchFailsEveryWaitingCallClearlyThenReconnects() throws {
        let server = try RedisTestServer()
        var configuration = try RedisKeyStateStore.Configuration(url: server.url)
        configuration.keyPrefix = self.prefix
        configuration.maximumBackoff = .milliseconds(20)
        configuration.initialBackoff = .milliseconds(5)
        configuration.connectTimeout = .milliseconds(200)
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        let outcomes = Mutex((admitted: 0, unavailable: 0, other: [String]()))
        let group = Self.startThreads(16, rounds: 40) { _, _ in
            do {
                _ = try store.admit(fingerprint: "lost", cost: 1, limits: [.perDay(1_000_000)], at: Timestamp(Date()))
                outcomes.withLock { $0.admitted += 1 }
            } catch let error as KeyStateStoreError where error.code == .unavailable {
                #expect(String(describing: error).contains("Redis at"), "the error names what failed")
                outcomes.withLock { $0.unavailable += 1 }
            } catch {
                outcomes.withLock { $0.other.append(String(describing: error)) }
            }
        }
        // Kill the server once some admissions went through (bounded: about 5 s), while the threads keep calling.
        for _ in 0..<500 where outcomes.withLock({ $0.admitted }) < 10 { usleep(10_000) }
        server.kill()
        let finished = group.wait(timeout: .now() + 60) == .success
        #expect(finished, "no call hung on the lost connection")
        let result = outcomes.withLock { $0 }
        #expect(result.other.isEmpty, "\(result.other.prefix(3))")
        #expect(result.admitted >= 10, "admissions before the kill")
        #expect(result.unavailable > 0, "calls waiting on the lost connection failed")
        #expect(result.admitted + result.unavailable == 640)
        #expect(!store.isConnected)
        try server.start()
        // Reconnects on a later call (after a backoff of at most 20 ms; bounded at 200 tries, about 2 s).
        var resumed = false
        for _ in 0..<200 where !resumed {
            if (try? store.admit(fingerprint: "lost", cost: 1, limits: [.perDay(10)], at: Timestamp(Date()))) != nil {
                resumed = true
            } else {
                usleep(10_000)
            }
        }
        #expect(resumed, "the store reconnected to the restarted server")
        #expect(store.isConnected)
    }
}
