import KeyRotation
import KeyRotationHTTP
import Testing

@Suite("RateLimitHeaders")
struct RateLimitHeadersTests {
    /// 2026-01-01 00:00:00 UTC.
    private let now = Timestamp(nanosecondsSinceEpoch: 1_767_225_600 * 1_000_000_000)

    @Test(arguments: [
        ("120", Duration.seconds(120)),
        ("0", .zero),
        (" 7 ", .seconds(7)),
        ("Thu, 01 Jan 2026 00:02:00 GMT", .seconds(120)),  // IMF-fixdate
        ("Thursday, 01-Jan-26 00:02:00 GMT", .seconds(120)),  // RFC 850
        ("Thu Jan  1 00:02:00 2026", .seconds(120)),  // asctime
        ("Wed, 31 Dec 2025 23:00:00 GMT", .zero),  // in the past
    ])
    func retryAfter(value: String, expected: Duration) {
        let headers = RateLimitHeaders(["Retry-After": value], now: self.now)
        #expect(headers.retryAfter == expected)
    }

    @Test(arguments: [
        "-5", "1.5", "soon", "", "12abc", "Thu, 32 Jan 2026 00:02:00 GMT", "Thu, 01 Foo 2026 00:02:00 GMT",
        "Thu, 01 Jan 2026 25:00:00 GMT", "Thu, 01 Jan 2026 00:02:00 PST", "99999999999999999999999",
    ])
    func garbageRetryAfterIsNil(value: String) {
        let headers = RateLimitHeaders(["Retry-After": value], now: self.now)
        #expect(headers.retryAfter == nil)
    }

    @Test func xRateLimitWithEpochReset() {
        let headers = RateLimitHeaders(
            ["X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "42", "X-RateLimit-Reset": "1767225660"],
            now: self.now
        )
        #expect(headers.limit == 100)
        #expect(headers.remaining == 42)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(60)))
        #expect(headers.retryAfter == nil)
    }

    @Test func xRateLimitWithDeltaReset() {
        let headers = RateLimitHeaders(["x-ratelimit-reset": "30", "x-ratelimit-remaining": "0"], now: self.now)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(30)))
        #expect(headers.remaining == 0)
        #expect(headers.limit == nil)
    }

    @Test func xRateLimitWithMillisecondEpochReset() {
        let headers = RateLimitHeaders(["X-RateLimit-Reset": "1767225660000"], now: self.now)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(60)))
    }

    @Test func xRateLimitLimitWithPolicySuffix() {
        let headers = RateLimitHeaders(["X-RateLimit-Limit": "10, 10;w=1"], now: self.now)
        #expect(headers.limit == 10)
    }

    @Test func ietfStructuredFields() {
        let headers = RateLimitHeaders(
            ["RateLimit": "\"default\";r=50;t=30", "RateLimit-Policy": "\"default\";q=100;w=60"],
            now: self.now
        )
        #expect(headers.remaining == 50)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(30)))
        #expect(headers.limit == 100)
        #expect(headers.window == .seconds(60))
    }

    @Test func ietfPicksThePolicyWithTheFewestRemaining() {
        let headers = RateLimitHeaders(
            [
                "RateLimit": "\"burst\";r=9;t=1, \"daily\";r=3;t=3600",
                "RateLimit-Policy": "\"burst\";q=10;w=1, \"daily\";q=500;w=86400",
            ],
            now: self.now
        )
        #expect(headers.remaining == 3)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(3600)))
        #expect(headers.limit == 500)
        #expect(headers.window == .seconds(86_400))
    }

    @Test func ietfOlderDictionaryForm() {
        let headers = RateLimitHeaders(["RateLimit": "limit=100, remaining=50, reset=30"], now: self.now)
        #expect(headers.limit == 100)
        #expect(headers.remaining == 50)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(30)))
    }

    @Test func ietfSplitFieldsAndIntegerPolicy() {
        let headers = RateLimitHeaders(
            ["RateLimit-Remaining": "5", "RateLimit-Reset": "12", "RateLimit-Policy": "100;w=60"],
            now: self.now
        )
        #expect(headers.limit == 100)
        #expect(headers.remaining == 5)
        #expect(headers.resetAt == self.now.advanced(by: .seconds(12)))
        #expect(headers.window == .seconds(60))
    }

    @Test(
        arguments: [
            ["RateLimit": "\"default\";r=50;t=30,", "X-Other": "1"],
            ["RateLimit": "\"unterminated;r=5"],
            ["RateLimit": "limit=abc, remaining=-1"],
            ["RateLimit": ";;;===,,,"],
            ["RateLimit": "\"default\";r=-4;t=-1"],
            ["RateLimit-Policy": "garbage garbage"],
            ["X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "-3", "X-RateLimit-Reset": "-10"],
            ["X-RateLimit-Reset": "1e30", "RateLimit-Reset": "NaN"],
            ["X-RateLimit-Remaining": "99999999999999999999999999"],
        ] as [HTTPHeaders]
    )
    func malformedFieldsAreNil(headers: HTTPHeaders) {
        let parsed = RateLimitHeaders(headers, now: self.now)
        #expect(parsed.limit == nil)
        #expect(parsed.remaining == nil)
        #expect(parsed.resetAt == nil)
        #expect(parsed.window == nil)
    }

    @Test func noHeadersIsEmpty() {
        let parsed = RateLimitHeaders(["Content-Type": "application/json"], now: self.now)
        #expect(parsed.isEmpty)
        #expect(parsed == RateLimitHeaders())
    }
}
