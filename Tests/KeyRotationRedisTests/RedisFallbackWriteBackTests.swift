import Foundation
import Glibc
import KeyRotation
import KeyRotationRedis
import Testing

/// What a local fallback admitted while Redis was away joins Redis's windows when it is back.
@Suite(.enabled(if: RedisTestEnvironment.canStartServer, Comment(rawValue: RedisTestEnvironment.skipMessage)))
struct RedisFallbackWriteBackTests {
    private var now: Timestamp { Timestamp(Date()) }

    /// Uses admitted locally during an outage are added to the strict windows' sorted sets at their instants
    /// (moved to their completion if settled meanwhile; refunded ones left out), unless they have left the
    /// window; the day's counter gets them too.
    @Test func rollingWindowUsesAdmittedInFallbackAreWrittenBackWhenRedisReturns() throws {
        let server = try RedisTestServer()
        var configuration = try RedisKeyStateStore.Configuration(
            url: server.url,
            whenUnavailable: .localFallback(fraction: 0.5)
        )
        configuration.keyPrefix = "wb:"
        configuration.initialBackoff = .milliseconds(1)
        configuration.maximumBackoff = .milliseconds(1)
        configuration.connectTimeout = .milliseconds(200)
        configuration.restartGrace = .zero  // one replica: nobody else to wait for after the restart
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        let long = RateLimit.strict(10, per: .seconds(60))
        let short = RateLimit.strict(10, per: .milliseconds(200))
        let limits = [long, short, .perDay(100)]
        // One use through Redis: the store measures the offset between its clock and the server's.
        #expect(try store.admit(fingerprint: "a", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 9))
        let killedAfter = try RedisInspector(url: server.url).time()
        server.kill()

        // In fallback (half of each limit): two units on "a", one more refunded; "b" and "c" admitted 3 s ago,
        // "c" settled now.
        #expect(try store.admit(fingerprint: "a", cost: 2, limits: limits, at: self.now) == .admitted(remaining: 3))
        let refunded = self.now
        #expect(try store.admit(fingerprint: "a", cost: 1, limits: limits, at: refunded) == .admitted(remaining: 2))
        try store.refund(fingerprint: "a", cost: 1, limits: limits, at: refunded)
        let completedAt = self.now
        let acquiredAt = completedAt.advanced(by: .seconds(-3))
        for fingerprint in ["b", "c"] {
            #expect(
                try store.admit(fingerprint: fingerprint, cost: 1, limits: [long], at: acquiredAt)
                    != .notBefore(.distantFuture)
            )
        }
        try store.settle(fingerprint: "c", cost: 1, acquiredAt: acquiredAt, completedAt: completedAt, limits: [long])
        #expect(!store.isConnected)

        usleep(300_000)  // the 200 ms window's uses have left it
        try server.start()
        for _ in 0..<500 where !store.isConnected {  // bounded: 500 tries
            _ = try store.peek(fingerprint: "z", cost: 1, limits: [], at: self.now)
            usleep(2_000)
        }
        #expect(store.isConnected)
        let inspector = try RedisInspector(url: server.url)
        let restartedBefore = try inspector.time()

        // "a": the restarted Redis lost the use it admitted, which comes back from the replica's memory (before the
        // kill), with the fallback's two units, at instants between the kill and the restart (the refunded one
        // does not).
        let a = try inspector.scores("{wb:}a:s:60000000").sorted { $0.score < $1.score }
        #expect(a.count == 3)
        #expect(a.first.map { $0.score < killedAfter } == true, "\(a)")
        #expect(a.dropFirst().allSatisfy { $0.score >= killedAfter && $0.score <= restartedBefore }, "\(a)")
        #expect(try inspector.scores("{wb:}a:s:200000").isEmpty, "uses that left the window are not written back")
        #expect((try inspector.command(["PTTL", "{wb:}a:s:60000000"]).integer ?? -1) > 0)
        // "c" was settled 3 s after its admission, "b" was not: their instants are 3 s apart (µs truncation).
        let b = try #require(try inspector.scores("{wb:}b:s:60000000").first).score
        let c = try #require(try inspector.scores("{wb:}c:s:60000000").first).score
        #expect(abs(c - b - 3_000_000) <= 1, "b \(b), c \(c)")
        // The day's counter: the use through Redis plus the three units admitted in fallback (a refund during
        // the outage is not subtracted from calendar windows).
        guard case .array(let days) = try inspector.command(["KEYS", "{wb:}a:c:d:*"]) else {
            Issue.record("KEYS did not answer an array")
            return
        }
        #expect(days.count == 1)
        if let day = days.first?.string { #expect(try inspector.command(["GET", day]).integer == 4) }
        // Redis decides with them: 10 − 3 − this use.
        #expect(try store.admit(fingerprint: "a", cost: 1, limits: [long], at: self.now) == .admitted(remaining: 6))
    }
}
