import KeyRotationTesting
import Testing

@testable import KeyRotation

/// Cases a review of the core found; each failed before its fix.
@Suite struct ReviewRegressionTests {
    @Test func alternating429sNeverOverflowThePace() {
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: TestClock())
        let leases = (0..<120).compactMap { _ in rotator.tryAcquire().lease }
        for (index, lease) in leases.enumerated() {
            lease.report(index % 2 == 0 ? .success(latency: .milliseconds(1)) : .rateLimited(retryAfter: .zero))
        }
        let pace = rotator.statistics().keys[0].learnedSpacing ?? .zero
        #expect(pace <= HealthPolicy.default.maximumBackoff)
    }

    @Test func aRefundGivesBackItsOwnUseNotTheNewest() {
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a", limits: [.strict(2, per: .seconds(60))]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        let early = rotator.tryAcquire().lease!
        clock.advance(to: at(30))
        _ = rotator.tryAcquire().lease!  // in flight
        early.report(.notCounted)
        clock.advance(to: at(60))
        #expect(rotator.tryAcquire().lease != nil)
        #expect(rotator.tryAcquire().lease == nil)  // [30, 90) already holds two
    }

    @Test func aLateSuccessDoesNotLiftACooldown() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        let refused = rotator.tryAcquire().lease!
        let inFlight = rotator.tryAcquire().lease!
        clock.advance(by: .milliseconds(10))
        refused.report(.rateLimited(retryAfter: .seconds(30)))
        clock.advance(by: .milliseconds(10))
        inFlight.report(.success(latency: .milliseconds(20)))
        #expect(rotator.tryAcquire().notBefore == at(30.01))
    }

    @Test func onlyTheProbeEndsAProbe() {
        var policy = HealthPolicy()
        policy.failureThreshold = 1
        policy.probesNewKeys = false
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a"),
            configuration: .init(strategy: .roundRobin, health: policy),
            clock: clock
        )
        let failing = rotator.tryAcquire().lease!
        let other = rotator.tryAcquire().lease!
        failing.report(.transientFailure)
        clock.advance(by: .seconds(30))
        let probe = rotator.tryAcquire().lease!
        #expect(probe.isProbe)
        other.report(.abandoned)
        #expect(rotator.tryAcquire().lease == nil)  // the probe is still out: no second one
        probe.report(.success(latency: .milliseconds(5)))
        #expect(rotator.tryAcquire().lease != nil)
    }

    @Test func aLongerSpacingKeepsTheLastUse() {
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a", limits: [.minimumSpacing(.seconds(10))]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        _ = rotator.tryAcquire().lease!
        rotator.setLimits([.minimumSpacing(.seconds(20))], for: "a")
        #expect(rotator.tryAcquire().notBefore == at(20))
    }

    @Test func aRefundFromYesterdayGivesNothingBackToday() {
        let clock = TestClock(start: at(86400 - 1))
        let rotator = KeyRotator(keys: keys("a", limits: [.perDay(1)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        let yesterday = rotator.tryAcquire().lease!
        clock.advance(to: at(86400))
        _ = rotator.tryAcquire().lease!
        yesterday.report(.notCounted)
        #expect(rotator.tryAcquire().lease == nil)
    }
}
