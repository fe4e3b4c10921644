import KeyRotation
import Testing

@Suite struct KeyHealthTests {
    @Test("429 rests the key until Retry-After", arguments: [1, 30, 3600])
    func rateLimitedKeyRests(seconds: Int) {
        var health = KeyHealth()
        health.record(.rateLimited(retryAfter: .seconds(seconds)), at: at(0))
        #expect(health.availability(at: at(Double(seconds)).advanced(by: .nanoseconds(-1))) != .available)
        #expect(health.availability(at: at(Double(seconds))) == .available)
    }

    @Test func backoffWithoutRetryAfterGrowsAndIsCapped() {
        var health = KeyHealth()
        var pauses: [Duration] = []
        for step in 0..<10 {
            health.record(.rateLimited(retryAfter: nil), at: at(Double(step) * 1000), jitter: 1)
            if case .coolingDown(let until) = health.state {
                pauses.append(at(Double(step) * 1000).duration(to: until))
            }
        }
        #expect(pauses.prefix(4) == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        #expect(pauses.last == .seconds(60))
        health.record(.success(latency: .milliseconds(5)), at: at(20000))
        #expect(health.consecutiveRateLimits == 0)
    }

    @Test func invalidKeyIsQuarantinedThenProbedOnce() {
        var health = KeyHealth()
        health.record(.invalidKey, at: at(0))
        #expect(health.availability(at: at(299)) == .blocked(until: at(300)))
        #expect(health.availability(at: at(300)) == .probe(.invalid))
        health.beginProbe(.invalid, at: at(300))
        #expect(health.availability(at: at(301)) != .available)
        health.record(.invalidKey, at: at(301))
        #expect(health.availability(at: at(600)) == .blocked(until: at(601)))
        health.beginProbe(.invalid, at: at(601))
        health.record(.success(latency: .milliseconds(1)), at: at(602))
        #expect(health.availability(at: at(602)) == .available)
    }

    @Test func circuitOpensAfterRepeatedFailuresAndClosesAfterAGoodProbe() {
        var policy = HealthPolicy()
        policy.failureThreshold = 3
        policy.circuitOpenDuration = .seconds(30)
        var health = KeyHealth(policy: policy)
        health.record(.transientFailure, at: at(0))
        health.record(.transientFailure, at: at(1))
        #expect(health.availability(at: at(1)) == .available)
        health.record(.transientFailure, at: at(2))
        #expect(health.availability(at: at(31.9)) == .blocked(until: at(32)))
        #expect(health.availability(at: at(32)) == .probe(.circuitOpen))
        health.beginProbe(.circuitOpen, at: at(32))
        health.record(.transientFailure, at: at(33))
        #expect(health.availability(at: at(40)) == .blocked(until: at(63)))
        health.beginProbe(.circuitOpen, at: at(63))
        health.record(.success(latency: .milliseconds(1)), at: at(64))
        #expect(health.state == .available)
        #expect(health.consecutiveFailures == 0)
    }

    @Test func exhaustedQuotaParksTheKeyUntilTheReset() {
        var health = KeyHealth()
        health.record(.quotaExhausted(resetAt: at(86400)), at: at(100))
        #expect(health.availability(at: at(86399)) == .blocked(until: at(86400)))
        #expect(health.availability(at: at(86400)) == .available)
    }
}
