import KeyRotationTesting
import Testing

@testable import KeyRotation

/// Learned pacing in the core, step by step on a `TestClock`: how a key told no limits measures the provider's window
/// from a run of requests and retries a key the provider refused without `Retry-After`.
@Suite struct LearnedPacingCoreTests {
    /// One key, no limits told; 60 requests 100 ms apart, all served, fill a per-minute window in 6 s.
    private func filledRotator() -> (TestClock, KeyRotator<TestClock>) {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        for index in 0..<60 {
            clock.advance(to: at(Double(index) / 10))
            rotator.tryAcquire().lease!.report(.success(latency: .zero))
        }
        return (clock, rotator)
    }

    /// Refuses the key's next request at `seconds` without `Retry-After`; returns when the key may be retried.
    private func refuse(_ rotator: KeyRotator<TestClock>, _ clock: TestClock, at seconds: Double) -> Timestamp? {
        clock.advance(to: at(seconds))
        rotator.tryAcquire().lease!.report(.rateLimited(retryAfter: nil))
        return rotator.statistics().keys[0].nextAvailable
    }

    @Test func aWindowFilledInSixSecondsIsSearchedFromTheRunsStartAndMeasured() {
        let (clock, rotator) = self.filledRotator()
        // The first retry waits a whole second (a per-second window has turned over by then)…
        #expect(self.refuse(rotator, clock, at: 6) == at(7))
        #expect(rotator.statistics().keys[0].learnedSpacing == nil)  // measured when the key is admitted again
        // …then the key waits until its run is twice as old, and at 28 s the run's whole minute is nearer.
        #expect(self.refuse(rotator, clock, at: 7) == at(14))
        #expect(self.refuse(rotator, clock, at: 14) == at(28))
        #expect(self.refuse(rotator, clock, at: 28) == at(60))
        clock.advance(to: at(60))
        rotator.tryAcquire().lease!.report(.success(latency: .zero))
        // 60 requests admitted from 0 s until the window turned over at 60 s: 1 s apart, and 1/64 slower.
        let pace = rotator.statistics().keys[0].learnedSpacing
        #expect(pace == .nanoseconds(1_015_625_000))
        #expect(rotator.statistics().keys[0].nextAvailable == at(61.015625))
    }

    @Test func aRefusedKeyIsRetriedOneRequestAtATime() {
        let (clock, rotator) = self.filledRotator()
        #expect(self.refuse(rotator, clock, at: 6) == at(7))
        clock.advance(to: at(7))
        let retry = rotator.tryAcquire().lease
        #expect(retry != nil)
        #expect(rotator.tryAcquire().lease == nil)  // the retry is still out
        retry?.report(.success(latency: .zero))
        // Back after a second: 60 requests in 7 s, 1/64 slower; the pace, not the rule, holds the next request.
        #expect(rotator.statistics().keys[0].learnedSpacing == .nanoseconds(118_489_582))
        #expect(rotator.statistics().keys[0].nextAvailable == at(7).advanced(by: .nanoseconds(118_489_582)))
    }

    @Test func aRequestInFlightWhenTheRunWasRefusedAddsNothing() {
        let (clock, rotator) = self.filledRotator()
        clock.advance(to: at(5.95))
        let inFlight = rotator.tryAcquire().lease!
        #expect(self.refuse(rotator, clock, at: 6) == at(66))  // not before the request still out is back (≤ 60 s)
        clock.advance(to: at(6.05))
        inFlight.report(.rateLimited(retryAfter: nil))
        // The same full window refused it: no longer cooldown, no second 429 in a row.
        #expect(rotator.statistics().keys[0].state == .coolingDown(until: at(7)))
        #expect(rotator.statistics().keys[0].nextAvailable == at(7))
        #expect(self.refuse(rotator, clock, at: 7) == at(14))
    }

    /// Leases and refusals at one instant (a clock standing still, a coarse clock) are ordered by the pool's lease
    /// serial numbers, not by their equal timestamps.
    @Test func atOneInstantALateAnswerForAnEarlierLeaseNeitherLiftsNorRepeatsTheRefusal() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        let leases = (0..<3).map { _ in rotator.tryAcquire().lease! }
        leases[0].report(.rateLimited(retryAfter: nil))
        #expect(rotator.statistics().keys[0].state == .coolingDown(until: at(1)))
        // Leased before the refusal: its success lifts nothing, its 429 adds nothing.
        leases[1].report(.success(latency: .zero))
        leases[2].report(.rateLimited(retryAfter: nil))
        #expect(rotator.statistics().keys[0].state == .coolingDown(until: at(1)))
        #expect(rotator.statistics().keys[0].nextAvailable == at(1))
        #expect(rotator.tryAcquire().lease == nil)
        clock.advance(to: at(1))
        let retry = rotator.tryAcquire().lease
        #expect(retry != nil)
        retry?.report(.success(latency: .zero))
        #expect(rotator.statistics().keys[0].state == .available)
    }

    @Test func aMeasuredPaceHoldsThroughTheNextWindow() {
        let (clock, rotator) = self.filledRotator()
        for seconds in [6.0, 7, 14, 28] { _ = self.refuse(rotator, clock, at: seconds) }
        var now = at(60)
        for _ in 0..<60 {
            clock.advance(to: now)
            rotator.tryAcquire().lease!.report(.success(latency: .zero))
            now = rotator.statistics().keys[0].nextAvailable!
        }
        // 60 requests at the relaxing pace still take longer than the window: the 61st falls into the next one.
        #expect(now > at(120))
        #expect(rotator.statistics().keys[0].learnedSpacing! > .seconds(1))
    }

    @Test func aPaceThatHeldForAMinuteStepsBackByOneThirtySecond() {
        let (clock, rotator) = self.filledRotator()
        for seconds in [6.0, 7, 14, 28] { _ = self.refuse(rotator, clock, at: seconds) }
        var now = at(60)
        for _ in 0..<70 {  // a run of more than a minute at the learned pace
            clock.advance(to: now)
            rotator.tryAcquire().lease!.report(.success(latency: .zero))
            now = rotator.statistics().keys[0].nextAvailable!
        }
        let before = rotator.statistics().keys[0].learnedSpacing!.nanoseconds
        clock.advance(to: now)
        rotator.tryAcquire().lease!.report(.rateLimited(retryAfter: nil))
        let after = rotator.statistics().keys[0].learnedSpacing!.nanoseconds
        #expect(after == before + before >> 5)
        // The key is retried a second later, or at its pace if that is slower.
        let retry = rotator.statistics().keys[0].nextAvailable
        #expect(retry == now.advanced(by: .nanoseconds(max(1_000_000_000, after))))
    }

    @Test func aKeyRestedLongerThanTheLongestBackoffStartsAFreshRun() {
        let (clock, rotator) = self.filledRotator()
        for seconds in [6.0, 7, 14, 28] { _ = self.refuse(rotator, clock, at: seconds) }
        clock.advance(to: at(60))
        rotator.tryAcquire().lease!.report(.success(latency: .zero))
        // Two minutes of rest, then 30 requests at the learned pace until the provider says "Retry-After: 30".
        var now = at(180)
        for _ in 0..<30 {
            clock.advance(to: now)
            rotator.tryAcquire().lease!.report(.success(latency: .zero))
            now = rotator.statistics().keys[0].nextAvailable!
        }
        clock.advance(to: now)
        rotator.tryAcquire().lease!.report(.rateLimited(retryAfter: .seconds(30)))
        let readmitted = now.advanced(by: .seconds(30))
        #expect(rotator.statistics().keys[0].nextAvailable == readmitted)
        clock.advance(to: readmitted)
        rotator.tryAcquire().lease!.report(.success(latency: .zero))
        // The fresh run began at 180 s: its 30 successes until the window turned over, not the minute before.
        let measured = at(180).duration(to: readmitted).nanoseconds / 30
        #expect(rotator.statistics().keys[0].learnedSpacing == .nanoseconds(measured + measured >> 6))
    }
}
