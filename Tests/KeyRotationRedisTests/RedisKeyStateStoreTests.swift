import Foundation
import KeyRotation
import KeyRotationRedis
import Testing

/// The store against a real `redis-server`: each kind of limit, shared between two stores (two replicas).
@Suite(.enabled(if: RedisTestEnvironment.canUseRedis, Comment(rawValue: RedisTestEnvironment.skipMessage)))
final class RedisKeyStateStoreTests {
    let url: String
    let server: RedisTestServer?
    let prefix = "test:\(UUID().uuidString.prefix(8)):"

    init() throws {
        (self.url, self.server) = try RedisTestServer.any()
    }

    private func store() throws -> RedisKeyStateStore {
        try RedisTestServer.store(url: self.url, prefix: self.prefix)
    }

    private var now: Timestamp { Timestamp(Date()) }

    @Test func aCalendarQuotaIsSharedAndRefusedUntilTheUTCDayEnds() throws {
        let (first, second) = (try self.store(), try self.store())
        let limits: [RateLimit] = [.perDay(3)]
        #expect(try first.admit(fingerprint: "day", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 2))
        #expect(try second.admit(fingerprint: "day", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 1))
        #expect(try first.admit(fingerprint: "day", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 0))
        let now = self.now
        guard case .notBefore(let eta) = try second.admit(fingerprint: "day", cost: 1, limits: limits, at: now) else {
            Issue.record("the fourth use of a quota of 3 was admitted")
            return
        }
        let dayEnd = CalendarPeriod.day.end(containing: now)
        #expect(abs(eta.duration(to: dayEnd).seconds) < 5, "ETA \(eta) vs the end of the UTC day \(dayEnd)")
        // A raised quota keeps the day's usage.
        #expect(
            try first.admit(fingerprint: "day", cost: 1, limits: [.perDay(4)], at: self.now) == .admitted(remaining: 0)
        )
    }

    @Test func aStrictWindowRefusesUntilTheOldestUseLeavesIt() throws {
        let (first, second) = (try self.store(), try self.store())
        let limits: [RateLimit] = [.strict(2, per: .seconds(30))]
        let start = self.now
        #expect(try first.admit(fingerprint: "strict", cost: 1, limits: limits, at: start) == .admitted(remaining: 1))
        #expect(
            try second.admit(fingerprint: "strict", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 0)
        )
        let now = self.now
        guard case .notBefore(let eta) = try first.admit(fingerprint: "strict", cost: 1, limits: limits, at: now) else {
            Issue.record("a third use in a window of 2 was admitted")
            return
        }
        #expect(eta > now && eta <= start.advanced(by: .seconds(31)))
        #expect(try first.admit(fingerprint: "strict", cost: 3, limits: limits, at: now) == .notBefore(.distantFuture))
    }

    @Test func spacingAndGCRAAreShared() throws {
        let (first, second) = (try self.store(), try self.store())
        let spacing: [RateLimit] = [.minimumSpacing(.seconds(20))]
        #expect(
            try first.admit(fingerprint: "space", cost: 1, limits: spacing, at: self.now) == .admitted(remaining: nil)
        )
        guard case .notBefore = try second.admit(fingerprint: "space", cost: 1, limits: spacing, at: self.now) else {
            Issue.record("a second use within the spacing was admitted")
            return
        }
        let gcra: [RateLimit] = [try .gcra(rate: 1, per: .seconds(20), burst: 2)]
        #expect(try first.admit(fingerprint: "gcra", cost: 1, limits: gcra, at: self.now) == .admitted(remaining: 1))
        #expect(try second.admit(fingerprint: "gcra", cost: 1, limits: gcra, at: self.now) == .admitted(remaining: 0))
        guard case .notBefore(let eta) = try first.admit(fingerprint: "gcra", cost: 1, limits: gcra, at: self.now)
        else {
            Issue.record("GCRA admitted past its burst")
            return
        }
        #expect(eta > self.now && eta <= self.now.advanced(by: .seconds(21)))
        let bucket: [RateLimit] = [.tokenBucket(capacity: 1, refillInterval: .seconds(20))]
        #expect(
            try first.admit(fingerprint: "bucket", cost: 1, limits: bucket, at: self.now) == .admitted(remaining: 0)
        )
        #expect(
            try second.admit(fingerprint: "bucket", cost: 1, limits: bucket, at: self.now) != .admitted(remaining: 0)
        )
    }

    @Test func blocksAreSharedAndRefuseUntilTheirEnd() throws {
        let (first, second) = (try self.store(), try self.store())
        let until = self.now.advanced(by: .seconds(30))
        try first.setBlock(StoredBlock(reason: .coolingDown, until: until), fingerprint: "blocked")
        let blocks = try second.blocks(fingerprints: ["blocked", "free"], at: self.now)
        let block = try #require(blocks["blocked"])
        #expect(block.reason == .coolingDown && abs(block.until.duration(to: until).seconds) < 1)
        #expect(blocks["free"] == nil)
        guard case .notBefore(let eta) = try second.admit(fingerprint: "blocked", cost: 1, limits: [], at: self.now)
        else {
            Issue.record("a blocked key was admitted")
            return
        }
        #expect(abs(eta.duration(to: until).seconds) < 1)
        try second.setBlock(nil, fingerprint: "blocked")
        #expect(try first.admit(fingerprint: "blocked", cost: 1, limits: [], at: self.now) == .admitted(remaining: nil))
    }

    @Test func refundAndObserveMoveTheSharedCount() throws {
        let (first, second) = (try self.store(), try self.store())
        let limits: [RateLimit] = [.perDay(2), .strict(2, per: .seconds(60))]
        #expect(
            try first.admit(fingerprint: "refund", cost: 2, limits: limits, at: self.now) == .admitted(remaining: 0)
        )
        try second.refund(fingerprint: "refund", cost: 1, limits: limits, at: self.now)
        #expect(
            try first.admit(fingerprint: "refund", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 0)
        )
        let daily: [RateLimit] = [.perDay(100)]
        #expect(
            try first.admit(fingerprint: "observe", cost: 1, limits: daily, at: self.now) == .admitted(remaining: 99)
        )
        try second.observe(remaining: 0, resetAt: nil, fingerprint: "observe", limits: daily, at: self.now)
        guard case .notBefore = try first.admit(fingerprint: "observe", cost: 1, limits: daily, at: self.now) else {
            Issue.record("the server said the quota is spent, yet a use was admitted")
            return
        }
    }

    @Test func redisHoldsFingerprintsOnlyAndEveryKeyExpires() throws {
        let store = try self.store()
        let key = APIKey(
            "super-secret-redis-material-42",
            label: "k",
            limits: [.perDay(5), .perSecond(5), .minimumSpacing(.milliseconds(1))]
        )
        _ = try store.admit(fingerprint: key.fingerprint, cost: 1, limits: key.limits, at: self.now)
        try store.setBlock(
            StoredBlock(reason: .invalid, until: self.now.advanced(by: .seconds(60))),
            fingerprint: key.fingerprint
        )
        let connection = try RedisConnection(
            endpoint: try RedisEndpoint(url: self.url),
            connectTimeout: .seconds(1),
            ioTimeout: .seconds(2)
        )
        guard case .array(let reply) = try connection.command(["KEYS", "{\(self.prefix)}*"]) else {
            Issue.record("KEYS did not answer an array")
            return
        }
        let names = reply.compactMap(\.string)
        #expect(names.count >= 5)
        #expect(names.contains("{\(self.prefix)}epoch"), "the pool's epoch marker")
        for name in names {
            #expect(name.hasSuffix("}epoch") || name.contains(key.fingerprint))
            #expect(!name.contains("super-secret"))
            let ttl = try connection.command(["PTTL", name]).integer ?? -1
            #expect(ttl > 0, "\(name) has no expiry")
            let type = try connection.command(["TYPE", name]).string
            if type == "string" { #expect(!(try connection.command(["GET", name]).string ?? "").contains("secret")) }
        }
    }

    @Test func pipelinedAdmissionsDecideInOrder() throws {
        let store = try self.store()
        let requests = (0..<5).map { _ in
            RedisKeyStateStore.AdmissionRequest(fingerprint: "batch", cost: 1, limits: [.perDay(3)])
        }
        let answers = try store.admit(requests, at: self.now)
        #expect(answers.prefix(3) == [.admitted(remaining: 2), .admitted(remaining: 1), .admitted(remaining: 0)])
        #expect(answers.suffix(2).allSatisfy { if case .notBefore = $0 { true } else { false } })
    }
}
