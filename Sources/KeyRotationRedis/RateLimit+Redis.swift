import KeyRotation

extension RateLimit {
    /// The limit as the admission script's `ARGV` triple (times in microseconds, rounded up: never looser).
    var redisArguments: [String] {
        func micros(_ duration: Duration) -> Int64 { max(1, (duration.nanoseconds + 999) / 1000) }
        switch self.wrapped {
        case .calendar(let limit, let period): return ["c", String(limit), period.redisCode]
        case .strict(let limit, let window): return ["s", String(limit), String(micros(window))]
        case .minimumSpacing(let interval): return ["p", String(max(0, (interval.nanoseconds + 999) / 1000)), "0"]
        case .tokenBucket(let capacity, let refill): return ["g", String(micros(refill)), String(capacity)]
        case .gcra(let rate, let period, let burst):
            return ["g", String(micros(period / rate)), String(burst)]
        }
    }

    /// This limit scaled down to `fraction` of itself: what one replica may use alone while Redis is away.
    ///
    /// Counts are rounded down (a quota of 10 at 0.25 allows 2), spacings and refill intervals stretched by
    /// 1 / `fraction`; a bucket's or GCRA's burst keeps at least 1.
    func scaled(by fraction: Double) -> RateLimit {
        func count(_ value: Int) -> Int { Int((Double(value) * fraction).rounded(.down)) }
        switch self.wrapped {
        case .calendar(let limit, let period): return .calendar(count(limit), per: period)
        case .strict(let limit, let window): return .strict(count(limit), per: window)
        case .minimumSpacing(let interval): return .minimumSpacing(interval / fraction)
        case .tokenBucket(let capacity, let refill):
            return .tokenBucket(capacity: max(1, count(capacity)), refillInterval: refill / fraction)
        case .gcra(let rate, let period, let burst):
            // Valid by construction: `period / fraction` ≥ `period` > 0 for a fraction in (0, 1], burst ≥ 1.
            return try! .gcra(rate: rate, per: period / fraction, burst: max(1, count(burst)))
        }
    }
}

extension CalendarPeriod {
    /// The period's code in the scripts.
    var redisCode: String {
        switch self.wrapped {
        case .minute: "m"
        case .hour: "h"
        case .day: "d"
        case .month: "M"
        }
    }
}
