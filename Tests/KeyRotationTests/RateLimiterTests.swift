import KeyRotation
import Testing

@Suite struct RateLimiterTests {
    @Test func onlyWindowLimitsCountUses() throws {
        #expect(RateLimit.perMinute(4).countsUsesInWindows)
        #expect(RateLimit.perDay(500).countsUsesInWindows)
        #expect(!RateLimit.tokenBucket(capacity: 5, refillInterval: .seconds(1)).countsUsesInWindows)
        #expect(try !RateLimit.gcra(rate: 5, per: .seconds(1), burst: 5).countsUsesInWindows)
        #expect(!RateLimit.minimumSpacing(.milliseconds(100)).countsUsesInWindows)
    }

    @Test func tokenBucketAdmitsCapacityThenRefillsOnePerInterval() {
        var bucket = TokenBucketLimiter(capacity: 3, refillInterval: .seconds(10), now: at(0))
        for _ in 0..<3 {
            #expect(bucket.allows(at: at(0)))
            bucket.record(cost: 1, at: at(0))
        }
        #expect(bucket.earliestAdmission(cost: 1, at: at(0)) == at(10))
        #expect(!bucket.allows(at: at(9.999)))
        #expect(bucket.allows(at: at(10)))
        #expect(bucket.earliestAdmission(cost: 4, at: at(0)) == .distantFuture)
        #expect(bucket.remaining(at: at(25)) == 2)
    }

    @Test func gcraSpacesUsesAfterTheBurst() throws {
        var gcra = try GCRALimiter(rate: 10, period: .seconds(1), burst: 2, now: at(0))
        gcra.record(cost: 1, at: at(0))
        gcra.record(cost: 1, at: at(0))
        #expect(gcra.earliestAdmission(cost: 1, at: at(0)) == at(0.1))
        gcra.record(cost: 1, at: at(0.1))
        #expect(gcra.earliestAdmission(cost: 1, at: at(0.1)) == at(0.2))
        #expect(gcra.earliestAdmission(cost: 3, at: at(0)) == .distantFuture)
    }

    @Test func strictWindowNeverAdmitsMoreThanTheLimitInAnyWindow() {
        var strict = StrictWindowLimiter(limit: 4, window: .seconds(60))
        for second in [0.0, 10, 20, 30] {
            #expect(strict.allows(at: at(second)))
            strict.record(cost: 1, at: at(second))
        }
        #expect(strict.earliestAdmission(cost: 1, at: at(30)) == at(60))
        #expect(strict.earliestAdmission(cost: 2, at: at(30)) == at(70))
        #expect(!strict.allows(at: at(59.999)))
        #expect(strict.allows(at: at(60)))
        #expect(strict.remaining(at: at(65)) == 1)
    }

    @Test func calendarDayResetsAtMidnightUTC() {
        let evening = at(86400 - 60)  // 2026-01-01 23:59:00
        var day = CalendarWindowLimiter(limit: 2, period: .day, now: evening)
        day.record(cost: 1, at: evening)
        day.record(cost: 1, at: evening)
        #expect(day.earliestAdmission(cost: 1, at: evening) == at(86400))
        #expect(!day.allows(at: at(86400).advanced(by: .nanoseconds(-1))))
        #expect(day.allows(at: at(86400)))
    }

    @Test func calendarMonthEndsOnTheFirst() {
        let midFebruary = Timestamp(nanosecondsSinceEpoch: 1_771_200_000 * 1_000_000_000)  // 2026-02-16
        #expect(CalendarPeriod.month.end(containing: midFebruary).description.hasPrefix("2026-03-01T00:00:00"))
        #expect(CalendarPeriod.month.start(containing: midFebruary).description.hasPrefix("2026-02-01T00:00:00"))
        let december = Timestamp(nanosecondsSinceEpoch: 1_797_000_000 * 1_000_000_000)  // 2026-12-12
        #expect(CalendarPeriod.month.end(containing: december).description.hasPrefix("2027-01-01T00:00:00"))
    }

    @Test func compositeAdmitsOnlyWhenEveryLimitDoes() {
        var composite = CompositeLimiter([.perMinute(4), .perDay(5)], now: at(0))
        for minute in 0..<2 {
            for _ in 0..<4 where composite.allows(at: at(Double(minute) * 60)) {
                composite.record(cost: 1, at: at(Double(minute) * 60))
            }
        }
        #expect(composite.remaining(at: at(120)) == 0)
        #expect(composite.earliestAdmission(cost: 1, at: at(120)) == at(86400))
    }

    @Test func serverFeedbackOnlyMakesALimitStricter() {
        var day = CalendarWindowLimiter(limit: 100, period: .day, now: at(0))
        day.observe(remaining: 10, resetAt: nil, at: at(0))
        #expect(day.remaining(at: at(0)) == 10)
        day.observe(remaining: 50, resetAt: nil, at: at(0))
        #expect(day.remaining(at: at(0)) == 10)
    }

    @Test func parsingAcceptsTheDocumentedForms() throws {
        #expect(try RateLimit.parseList("4/min,500/day") == [.perMinute(4), .perDay(500)])
        #expect(try RateLimit.parseList("10/s") == [.perSecond(10)])
        #expect(try RateLimit.parseList("50000/300s") == [.strict(50000, per: .seconds(300))])
        #expect(try RateLimit.parseList("spacing=100ms") == [.minimumSpacing(.milliseconds(100))])
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("four per minute") }
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("0/min") }  // never admits: a typo
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("") }
        // Windows up to ten years; longer ones (and ones that overflow) are typos.
        #expect(try RateLimit.parseList("1/3650d") == [.strict(1, per: .seconds(3650 * 86400))])
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("1/3651d") }
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("1/99999999999d") }
        #expect(throws: RateLimitParseError.self) { try RateLimit.parseList("1/9999999999999999999s") }
    }
}
