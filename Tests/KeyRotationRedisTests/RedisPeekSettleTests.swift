import Foundation
import KeyRotation
import KeyRotationRedis
import Testing

/// A raw connection to the tests' Redis: the server's clock and the store's sorted sets, to check the store's
/// writes exactly (scores are on the server's clock, which the store never exposes).
struct RedisInspector {
    let connection: RedisConnection

    init(url: String) throws {
        self.connection = try RedisConnection(
            endpoint: try RedisEndpoint(url: url),
            connectTimeout: .seconds(1),
            ioTimeout: .seconds(2)
        )
    }

    /// The server's `TIME` in µs.
    func time() throws -> Int64 {
        guard case .array(let parts) = try self.connection.command(["TIME"]), parts.count == 2,
            let seconds = parts[0].integer, let micros = parts[1].integer
        else { throw RedisTestFailure(description: "TIME did not answer two integers") }
        return seconds * 1_000_000 + micros
    }

    /// A sorted set's members and scores (µs), lowest score first.
    func scores(_ key: String) throws -> [(member: String, score: Int64)] {
        guard case .array(let items) = try self.connection.command(["ZRANGE", key, "0", "-1", "WITHSCORES"]) else {
            throw RedisTestFailure(description: "ZRANGE did not answer an array")
        }
        return stride(from: 0, to: items.count - 1, by: 2).compactMap { index in
            guard let member = items[index].string, let score = items[index + 1].string.flatMap(Double.init) else {
                return nil
            }
            return (member, Int64(score))
        }
    }

    /// Runs a command, throwing on an error reply.
    @discardableResult
    func command(_ arguments: [String]) throws -> RedisReply {
        let reply = try self.connection.command(arguments)
        if case .error(let message) = reply { throw RedisTestFailure(description: "\(arguments[0]): \(message)") }
        return reply
    }
}

/// `peek` (the decision without writes) and `settle` (a use counts from its completion) against a real Redis.
@Suite(.enabled(if: RedisTestEnvironment.canUseRedis, Comment(rawValue: RedisTestEnvironment.skipMessage)))
final class RedisPeekSettleTests {
    let url: String
    let server: RedisTestServer?
    let prefix = "peek:\(UUID().uuidString.prefix(8)):"

    init() throws {
        (self.url, self.server) = try RedisTestServer.any()
    }

    private func store() throws -> RedisKeyStateStore {
        try RedisTestServer.store(url: self.url, prefix: self.prefix)
    }

    private var now: Timestamp { Timestamp(Date()) }

    /// The sorted set of a strict window of `window` on `fingerprint`.
    private func strictKey(_ fingerprint: String, _ window: Duration) -> String {
        "{\(self.prefix)}\(fingerprint):s:\(window.nanoseconds / 1000)"
    }

    // MARK: peek

    @Test func aFreshStorePeeksTheQuotaAnotherProcessLeftAndRecordsNothing() throws {
        let (first, fresh) = (try self.store(), try self.store())
        let limits: [RateLimit] = [
            .perDay(10), .strict(5, per: .seconds(60)), try .gcra(rate: 1, per: .seconds(60), burst: 8),
        ]
        for _ in 0..<3 { _ = try first.admit(fingerprint: "peek", cost: 1, limits: limits, at: self.now) }
        // Tightest: the strict window, 5 − 3 − 1 (the day has 6 left after the use, GCRA 4).
        for _ in 0..<3 {
            #expect(
                try fresh.peek(fingerprint: "peek", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 1)
            )
        }
        #expect(try fresh.peek(fingerprint: "peek", cost: 2, limits: limits, at: self.now) == .admitted(remaining: 0))
        #expect(
            try fresh.peek(fingerprint: "peek", cost: 1, limits: [.perDay(10)], at: self.now) == .admitted(remaining: 6)
        )
        #expect(
            try fresh.peek(fingerprint: "peek", cost: 6, limits: limits, at: self.now) == .notBefore(.distantFuture)
        )
        // Peeking wrote nothing: the first process still has exactly two uses of the window.
        #expect(try first.admit(fingerprint: "peek", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 1))
        #expect(try first.admit(fingerprint: "peek", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 0))
        let inspector = try RedisInspector(url: self.url)
        let oldest = try #require(try inspector.scores(self.strictKey("peek", .seconds(60))).first).score
        // Full: refused until the oldest use leaves the window, on the caller's timeline.
        let before = try inspector.time()
        let now = self.now
        let answer = try fresh.peek(fingerprint: "peek", cost: 1, limits: limits, at: now)
        let after = try inspector.time()
        guard case .notBefore(let eta) = answer else {
            Issue.record("a full window was peeked as admitted: \(answer)")
            return
        }
        // eta = now + (oldest + 60 s − server now at the peek), and that server now lies in [before, after].
        let release = oldest + 60_000_000
        #expect(eta >= now.advanced(by: .microseconds(release - after)))
        #expect(eta <= now.advanced(by: .microseconds(release - before)))
        #expect(try inspector.scores(self.strictKey("peek", .seconds(60))).count == 5)
    }

    @Test func peekSeesBlocksAndSpacing() throws {
        let (first, fresh) = (try self.store(), try self.store())
        let until = self.now.advanced(by: .seconds(30))
        try first.setBlock(StoredBlock(reason: .coolingDown, until: until), fingerprint: "blocked")
        guard case .notBefore(let eta) = try fresh.peek(fingerprint: "blocked", cost: 1, limits: [], at: self.now)
        else {
            Issue.record("a blocked key was peeked as admitted")
            return
        }
        #expect(abs(eta.duration(to: until).seconds) < 1)
        let spacing: [RateLimit] = [.minimumSpacing(.seconds(20))]
        #expect(
            try fresh.peek(fingerprint: "spaced", cost: 1, limits: spacing, at: self.now) == .admitted(remaining: nil)
        )
        _ = try first.admit(fingerprint: "spaced", cost: 1, limits: spacing, at: self.now)
        guard case .notBefore = try fresh.peek(fingerprint: "spaced", cost: 1, limits: spacing, at: self.now) else {
            Issue.record("a use within the spacing was peeked as admitted")
            return
        }
    }

    /// A rotator starting on the store learns what other processes left: each limit's remaining units, and when a
    /// spent key is free.
    @Test func aNewRotatorStartsFromTheUsageInRedis() throws {
        let limits: [RateLimit] = [.perMinute(3), .perDay(500)]
        let key = APIKey("redis-peek-secret-0123456789", label: "k", limits: limits)
        let first = try self.store()
        for _ in 0..<3 { _ = try first.admit(fingerprint: key.fingerprint, cost: 1, limits: limits, at: self.now) }
        let rotator = KeyRotator(keys: [key], configuration: .init(strategy: .roundRobin, stateStore: try self.store()))
        let statistics = rotator.statistics()
        #expect(statistics.keys[0].remaining.map(\.remaining) == [3, 497])  // the rolling minute is known by its ETA
        let available = try #require(statistics.keys[0].nextAvailable)
        #expect(available > self.now && available <= self.now.advanced(by: .seconds(61)))
        if case .lease = rotator.tryAcquire() { Issue.record("the new rotator leased a key another process spent") }
    }

    // MARK: settle

    /// The use recorded nearest to (server now − the request's duration) moves to the server's now; the others
    /// stay where they are.
    @Test func settleMovesTheUseNearestToItsAdmissionToTheServersNow() throws {
        let store = try self.store()
        let inspector = try RedisInspector(url: self.url)
        let window = Duration.seconds(60)
        let key = self.strictKey("settle", window)
        let time = try inspector.time()
        try inspector.command([
            "ZADD", key, String(time - 20_000_000), "a", String(time - 10_000_000), "b", String(time - 1_000_000), "c",
        ])
        let completedAt = self.now
        let before = try inspector.time()
        try store.settle(
            fingerprint: "settle",
            cost: 1,
            acquiredAt: completedAt.advanced(by: .milliseconds(-10_300)),
            completedAt: completedAt,
            limits: [.strict(5, per: window), .perDay(100)]
        )
        let after = try inspector.time()
        let scores = try inspector.scores(key)
        #expect(scores.map(\.member) == ["a", "c", "b"])
        #expect(scores[0].score == time - 20_000_000 && scores[1].score == time - 1_000_000)
        #expect(scores[2].score >= before && scores[2].score <= after)
        let expiry = try inspector.command(["PTTL", key]).integer ?? -1
        #expect(expiry > 60_000, "the window's key outlives its moved use by the window")
        // Two units of one use move together; a use that completed long after the nearest moves only its cost.
        try inspector.command(["ZADD", key, String(time - 5_000_000), "d1", String(time - 5_000_000), "d2"])
        try store.settle(
            fingerprint: "settle",
            cost: 2,
            acquiredAt: completedAt.advanced(by: .seconds(-5)),
            completedAt: completedAt,
            limits: [.strict(5, per: window)]
        )
        let moved = try inspector.scores(key).filter { $0.score > time }.map(\.member).sorted()
        #expect(moved == ["b", "d1", "d2"])
        #expect(try inspector.scores(key).filter { $0.score <= time }.map(\.member).sorted() == ["a", "c"])
    }

    /// A use of a strict window of 1 per 30 s admitted by one process and completed 2 s later (per its clock)
    /// counts from its completion for another: the ETA moves with it.
    @Test func aSettledUseCountsFromItsCompletionForAnotherProcess() throws {
        let (first, second) = (try self.store(), try self.store())
        let inspector = try RedisInspector(url: self.url)
        let limits: [RateLimit] = [.strict(1, per: .seconds(30)), .minimumSpacing(.seconds(40))]
        let acquiredAt = self.now
        #expect(
            try first.admit(fingerprint: "moved", cost: 1, limits: limits, at: acquiredAt) == .admitted(remaining: 0)
        )
        let admittedAt = try #require(try inspector.scores(self.strictKey("moved", .seconds(30))).first).score
        let before = try inspector.time()
        try first.settle(
            fingerprint: "moved",
            cost: 1,
            acquiredAt: acquiredAt,
            completedAt: acquiredAt.advanced(by: .seconds(2)),
            limits: limits
        )
        let after = try inspector.time()
        let settled = try #require(try inspector.scores(self.strictKey("moved", .seconds(30))).first).score
        #expect(settled > admittedAt && settled >= before && settled <= after)
        let lastUse = try #require(try inspector.command(["GET", "{\(self.prefix)}moved:p"]).integer)
        #expect(lastUse == settled, "spacing counts from the same server instant")
        let now = self.now
        let peekedBefore = try inspector.time()
        let answer = try second.peek(fingerprint: "moved", cost: 1, limits: [.strict(1, per: .seconds(30))], at: now)
        let peekedAfter = try inspector.time()
        #expect(answer != .admitted(remaining: 0))
        if case .notBefore(let eta) = answer {
            #expect(eta >= now.advanced(by: .microseconds(settled + 30_000_000 - peekedAfter)))
            #expect(eta <= now.advanced(by: .microseconds(settled + 30_000_000 - peekedBefore)))
        }
        // The last use never moves back: a settle whose completion is older leaves the later value.
        try inspector.command(["SET", "{\(self.prefix)}moved:p", String(after + 100_000_000), "PX", "60000"])
        try first.settle(
            fingerprint: "moved",
            cost: 1,
            acquiredAt: acquiredAt,
            completedAt: acquiredAt.advanced(by: .seconds(1)),
            limits: [.minimumSpacing(.seconds(40))]
        )
        #expect(try inspector.command(["GET", "{\(self.prefix)}moved:p"]).integer == after + 100_000_000)
    }

    /// Through a rotator: reporting a lease settles its use in Redis, so the use's score is at least the server's
    /// time before the report.
    @Test func reportingALeaseSettlesItsUseInRedis() throws {
        let key = APIKey("redis-settle-secret-0123456789", label: "k", limits: [.perMinute(5)])
        let rotator = KeyRotator(keys: [key], configuration: .init(strategy: .roundRobin, stateStore: try self.store()))
        let inspector = try RedisInspector(url: self.url)
        guard case .lease(let lease) = rotator.tryAcquire() else {
            Issue.record("a fresh key was not leased")
            return
        }
        let window = self.strictKey(key.fingerprint, .seconds(60))
        let admittedAt = try #require(try inspector.scores(window).first).score
        usleep(2_000)  // the report's now is later than the admission's, whatever the clocks' resolution
        let before = try inspector.time()
        lease.report(.success(latency: .milliseconds(2)))
        let scores = try inspector.scores(window)
        #expect(scores.count == 1)
        #expect(scores[0].score >= before && scores[0].score > admittedAt)
    }
}
