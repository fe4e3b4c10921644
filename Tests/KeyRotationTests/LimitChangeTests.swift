import KeyRotation
import KeyRotationTesting
import Testing

/// Changing a limit at run time carries its state: golang.org/x/time/rate's `SetLimit`/`SetBurst` cases
/// (`rate_test.go`, d = 100 ms, t_n = n·d), and the cases issue 19 found over-admitting.
@Suite struct LimitChangeTests {
    private static let d = 0.1
    private func t(_ n: Double) -> Timestamp { at(n * Self.d) }
    private static let fivePerSecond = RateLimit.tokenBucket(capacity: 2, refillInterval: .milliseconds(200))
    private static let tenPerSecond = RateLimit.tokenBucket(capacity: 2, refillInterval: .milliseconds(100))

    /// x/time `TestReserveSetLimit`: 2 at t0, 2 more reserved for t4, rate 5 → 10/s at t2: one more acts at t4.
    @Test func tokenBucketRateChangeKeepsTheDeficitAsXTimeDoes() {
        var limiter = CompositeLimiter([Self.fivePerSecond], now: self.t(0))
        #expect(limiter.earliestAdmission(cost: 2, at: self.t(0)) == self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        #expect(limiter.earliestAdmission(cost: 2, at: self.t(0)) == self.t(4))
        limiter.record(cost: 2, at: self.t(0))  // reserved: acts at t4
        limiter.setLimits([Self.tenPerSecond], at: self.t(2))
        // The third use asked for at t2 (the fifth unit): refused until t4, as x/time answers.
        #expect(!limiter.allows(cost: 1, at: self.t(2)))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(2)) == self.t(4))
        #expect(limiter.allows(cost: 1, at: self.t(4)))
    }

    /// x/time `TestReserveSetBurst`: burst 2 → 4 at t3 with half a token owed: 4 more need 4.5 tokens at 5/s.
    ///
    /// x/time answers t9 for a request dated t0, crediting t0…t3 a second time; asked at t3, both say t12.
    @Test func tokenBucketBurstChangeKeepsTheTokens() {
        var limiter = CompositeLimiter([Self.fivePerSecond], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        #expect(limiter.earliestAdmission(cost: 2, at: self.t(0)) == self.t(4))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([.tokenBucket(capacity: 4, refillInterval: .milliseconds(200))], at: self.t(3))
        #expect(limiter.earliestAdmission(cost: 4, at: self.t(3)) == self.t(12))
        #expect(limiter.earliestAdmission(cost: 4, at: self.t(0)) == self.t(12))  // no credit for t0…t3 twice
    }

    /// x/time `TestReserveSetLimitCancel`: the reserved 2 given back after the change: 2 act at t3.
    @Test func refundAfterARateChangeGivesTheUnitsBackAtTheNewRate() {
        var limiter = CompositeLimiter([Self.fivePerSecond], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([Self.tenPerSecond], at: self.t(2))
        limiter.refund(cost: 2, at: self.t(2))
        #expect(limiter.earliestAdmission(cost: 2, at: self.t(2)) == self.t(3))
    }

    /// Issue 19: 2 uses at 0, 5 → 10/s at 200 ms: one more at 200 ms (3 in [0, 200 ms], as both rates allow),
    /// the next at 300 ms; before the fix a fresh bucket admitted 2 at once.
    @Test func aRaisedRateAdmitsNoFreshBurst() {
        var limiter = CompositeLimiter([Self.fivePerSecond], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([Self.tenPerSecond], at: self.t(2))
        #expect(limiter.allows(cost: 1, at: self.t(2)))
        limiter.record(cost: 1, at: self.t(2))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(2)) == self.t(3))
    }

    @Test func aLoweredRateAfterABurstAdmitsNothingMore() {
        var limiter = CompositeLimiter([Self.tenPerSecond], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([Self.fivePerSecond], at: self.t(0))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(0)) == self.t(2))
    }

    @Test func gcraRateChangeRescalesTheTheoreticalArrival() throws {
        var limiter = CompositeLimiter([try .gcra(rate: 5, per: .seconds(1), burst: 2)], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([try .gcra(rate: 10, per: .seconds(1), burst: 2)], at: self.t(1))
        // 200 ms of backlog at 5/s left 1.5 units owed at t1; at 10/s they are 150 ms: one more at t1.5.
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(1)) == self.t(1.5))
        limiter.setLimits([try .gcra(rate: 10, per: .seconds(1), burst: 4)], at: self.t(1))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(1)) == self.t(1.5))  // a raised burst adds nothing
    }

    @Test func aBucketAndAGCRACarryUnitsIntoEachOther() throws {
        var limiter = CompositeLimiter([Self.fivePerSecond], now: self.t(0))
        limiter.record(cost: 2, at: self.t(0))
        limiter.setLimits([try .gcra(rate: 10, per: .seconds(1), burst: 2)], at: self.t(1))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(1)) == self.t(1.5))
        limiter.setLimits([Self.tenPerSecond], at: self.t(1))
        #expect(limiter.earliestAdmission(cost: 1, at: self.t(1)) == self.t(1.5))
    }

    @Test func aLimitOfANewKindStartsFromWhatTheOldOneLeft() {
        var limiter = CompositeLimiter([.perMinute(3)], now: at(0))
        limiter.record(cost: 2, at: at(0))
        limiter.setLimits([.tokenBucket(capacity: 3, refillInterval: .seconds(10))], at: at(1))
        #expect(limiter.remaining(at: at(1)) == 1)
        limiter.setLimits([.perDay(5)], at: at(1))
        #expect(limiter.remaining(at: at(1)) == 1)
        limiter.setLimits([.minimumSpacing(.seconds(30))], at: at(1))
        #expect(limiter.earliestAdmission(cost: 1, at: at(1)) == at(31))  // used: spaced from the change
    }

    @Test func aCalendarPeriodChangeKeepsTheUnitsSpent() {
        var limiter = CompositeLimiter([.perHour(10)], now: at(0))
        limiter.record(cost: 4, at: at(0))
        limiter.setLimits([.perDay(10)], at: at(10))
        #expect(limiter.remaining(at: at(10)) == 6)
        limiter.setLimits([.calendar(5, per: .minute)], at: at(10))
        #expect(limiter.earliestAdmission(cost: 2, at: at(10)) == at(60))
    }

    @Test func aLongerRollingWindowKeepsTheLog() {
        var limiter = CompositeLimiter([.strict(2, per: .seconds(10))], now: at(0))
        limiter.record(cost: 2, at: at(5))
        limiter.setLimits([.strict(3, per: .seconds(60))], at: at(6))
        #expect(limiter.allows(cost: 1, at: at(6)))
        #expect(limiter.earliestAdmission(cost: 2, at: at(6)) == at(65))
    }

    // MARK: Limiters asked about an instant before their last use

    @Test func tokenBucketSetCapacityCreditsRefillOnce() {
        var bucket = TokenBucketLimiter(capacity: 2, refillInterval: .seconds(1), now: at(0))
        bucket.record(cost: 2, at: at(1))
        bucket.setCapacity(3, at: at(0.5))  // before the last update: must not move it back
        #expect(bucket.remaining(at: at(1.5)) == 0)
        #expect(bucket.earliestAdmission(cost: 1, at: at(1.5)) == at(2))
    }

    @Test func tokenBucketAnswersAskedBeforeTheLastUseAreAdmitted() {
        var bucket = TokenBucketLimiter(capacity: 2, refillInterval: .seconds(1), now: at(0))
        bucket.record(cost: 2, at: at(10))
        let eta = bucket.earliestAdmission(cost: 1, at: at(9))
        #expect(eta == at(11))
        #expect(bucket.allows(cost: 1, at: eta))
    }

    @Test func calendarAnswersAskedInAnEarlierPeriodAreAdmitted() {
        var day = CalendarWindowLimiter(limit: 1, period: .day, now: at(0))
        day.record(cost: 1, at: at(86400))  // the second day, full
        let eta = day.earliestAdmission(cost: 1, at: at(100))  // asked on the first day
        #expect(eta == at(2 * 86400))
        #expect(day.allows(cost: 1, at: eta))
    }

    @Test func spacingKeepsTheLatestUse() {
        var spacing = MinimumSpacingLimiter(interval: .seconds(10))
        spacing.record(cost: 1, at: at(20))
        spacing.record(cost: 1, at: at(15))  // reported late
        #expect(spacing.earliestAdmission(cost: 1, at: at(25)) == at(30))
    }

    // MARK: Invalid GCRA parameters

    @Test func aZeroPeriodIsOneClearErrorForBothDoors() throws {
        let described = try #require(throws: RateLimitError.self) { try RateLimit.gcra(rate: 10, per: .zero) }
        #expect(described.code == .nonPositivePeriod)
        #expect(described.description.contains("positive period"))
        let raw = try #require(throws: RateLimitError.self) {
            try GCRALimiter(rate: 10, period: .zero, burst: 1, now: at(0))
        }
        #expect(raw == described)
        let slow = try #require(throws: RateLimitError.self) { try RateLimit.gcra(rate: 0, per: .seconds(1)) }
        #expect(slow.code == .rateBelowOne && slow.limit == "gcra(rate: 0, per: 1s, burst: 1)")
        #expect(throws: RateLimitError.self) { try RateLimit.gcra(rate: 1, per: .seconds(1), burst: 0) }
    }

    @Test func gcraEmissionRoundsUpSoTheRateIsNeverLooser() throws {
        let gcra = try GCRALimiter(rate: 3, period: .seconds(1), burst: 1, now: at(0))
        #expect(gcra.emissionNanoseconds == 333_333_334)
    }
}
