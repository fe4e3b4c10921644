/// One limit a key must respect: a description that ``KeyRotator`` turns into a ``RateLimiter``.
///
/// Pick by what the provider promises:
/// - ``strict(_:per:)`` never admits more than N in any window of length W (a rolling log): the safe reading of
///   "4 per minute" when the provider does not say how its minute is aligned.
/// - ``calendar(_:per:)`` resets on UTC boundaries (00:00 UTC for days, the 1st for months), like VirusTotal's
///   and Nodit's daily quotas.
/// - ``tokenBucket(capacity:refillInterval:)`` and ``gcra(rate:per:burst:)`` smooth a rate and allow a burst
///   on top of it; use them where the provider uses one.
/// - ``minimumSpacing(_:)`` keeps uses of one key at least this far apart.
public struct RateLimit: Hashable, Sendable, CustomStringConvertible {
    package enum Wrapped: Hashable, Sendable {
        case tokenBucket(capacity: Int, refillInterval: Duration)
        case gcra(rate: Int, period: Duration, burst: Int)
        case minimumSpacing(Duration)
        case calendar(limit: Int, period: CalendarPeriod)
        case strict(limit: Int, window: Duration)
    }

    package let wrapped: Wrapped

    /// A bucket of `capacity` tokens that gains one token every `refillInterval`.
    public static func tokenBucket(capacity: Int, refillInterval: Duration) -> Self {
        precondition(capacity >= 1 && refillInterval > .zero, "a token bucket needs capacity ≥ 1 and a positive refill")
        return Self(wrapped: .tokenBucket(capacity: capacity, refillInterval: refillInterval))
    }

    /// The generic cell rate algorithm: `rate` uses per `period`, with `burst` uses admitted at once.
    ///
    /// - Throws: ``RateLimitError`` if `period` is not positive or `rate` or `burst` is below 1.
    public static func gcra(rate: Int, per period: Duration, burst: Int = 1) throws(RateLimitError) -> Self {
        _ = try RateLimitError.gcraEmission(rate: rate, period: period, burst: burst)
        return Self(wrapped: .gcra(rate: rate, period: period, burst: burst))
    }

    /// At least `interval` between two uses of the key.
    public static func minimumSpacing(_ interval: Duration) -> Self {
        Self(wrapped: .minimumSpacing(interval))
    }

    /// At most `limit` uses per calendar period in UTC.
    public static func calendar(_ limit: Int, per period: CalendarPeriod) -> Self {
        precondition(limit >= 0, "a quota is at least 0")
        return Self(wrapped: .calendar(limit: limit, period: period))
    }

    /// At most `limit` uses in any window of length `window`.
    public static func strict(_ limit: Int, per window: Duration) -> Self {
        precondition(limit >= 0 && window > .zero, "a strict window needs limit ≥ 0 and a positive length")
        return Self(wrapped: .strict(limit: limit, window: window))
    }

    /// At most `limit` uses in any second.
    public static func perSecond(_ limit: Int) -> Self { .strict(limit, per: .seconds(1)) }
    /// At most `limit` uses in any 60 seconds (rolling: safe when the provider's minute is not aligned).
    public static func perMinute(_ limit: Int) -> Self { .strict(limit, per: .seconds(60)) }
    /// At most `limit` uses per UTC hour.
    public static func perHour(_ limit: Int) -> Self { .calendar(limit, per: .hour) }
    /// At most `limit` uses per UTC day (resets at 00:00 UTC).
    public static func perDay(_ limit: Int) -> Self { .calendar(limit, per: .day) }
    /// At most `limit` uses per UTC month (resets at 00:00 UTC on the 1st).
    public static func perMonth(_ limit: Int) -> Self { .calendar(limit, per: .month) }

    /// The number of uses this limit allows per window, if it counts uses.
    public var capacity: Int? {
        switch self.wrapped {
        case .tokenBucket(let capacity, _): capacity
        case .gcra(_, _, let burst): burst
        case .minimumSpacing: 1
        case .calendar(let limit, _): limit
        case .strict(let limit, _): limit
        }
    }

    /// Whether the limit counts uses in a window (`n` per calendar period, `n` in any window), so that what it has
    /// left is ``capacity`` less the uses counted; `false` for a token bucket, GCRA or spacing rule, whose units
    /// come back continuously.
    public var countsUsesInWindows: Bool {
        switch self.wrapped {
        case .calendar, .strict: true
        case .tokenBucket, .gcra, .minimumSpacing: false
        }
    }

    /// A token bucket's refill interval or a GCRA's emission interval (`period / rate`, rounded up: never looser),
    /// in nanoseconds; 0 for other kinds.
    package var unitNanoseconds: Int64 {
        switch self.wrapped {
        case .tokenBucket(_, let interval): max(1, interval.nanoseconds)
        case .gcra(let rate, let period, _): RateLimitError.emission(rate: rate, period: period)
        default: 0
        }
    }

    /// The sustained rate in uses per second, used by the benchmark to compute entitlements.
    public var sustainedRatePerSecond: Double {
        switch self.wrapped {
        case .tokenBucket(_, let interval): 1 / interval.seconds
        case .gcra(let rate, let period, _): Double(rate) / period.seconds
        case .minimumSpacing(let interval): interval > .zero ? 1 / interval.seconds : .infinity
        case .calendar(let limit, let period): Double(limit) / period.nominalSeconds
        case .strict(let limit, let window): Double(limit) / window.seconds
        }
    }

    public var description: String {
        switch self.wrapped {
        case .tokenBucket(let capacity, let interval): "bucket(\(capacity), +1/\(interval.compactDescription))"
        case .gcra(let rate, let period, let burst): "gcra(\(rate)/\(period.compactDescription), burst \(burst))"
        case .minimumSpacing(let interval): "spacing(\(interval.compactDescription))"
        case .calendar(let limit, let period): "\(limit)/\(period) UTC"
        case .strict(let limit, let window): "\(limit)/\(window.compactDescription)"
        }
    }
}

/// A UTC calendar period for aligned quotas.
public struct CalendarPeriod: Hashable, Sendable, CustomStringConvertible {
    package enum Wrapped: Hashable, Sendable { case minute, hour, day, month }
    package let wrapped: Wrapped

    /// Resets at every whole minute, UTC.
    public static let minute = Self(wrapped: .minute)
    /// Resets at every whole hour, UTC.
    public static let hour = Self(wrapped: .hour)
    /// Resets at 00:00 UTC.
    public static let day = Self(wrapped: .day)
    /// Resets at 00:00 UTC on the 1st of the month.
    public static let month = Self(wrapped: .month)

    public var description: String {
        switch self.wrapped {
        case .minute: "minute"
        case .hour: "hour"
        case .day: "day"
        case .month: "month"
        }
    }

    var nominalSeconds: Double {
        switch self.wrapped {
        case .minute: 60
        case .hour: 3600
        case .day: 86400
        case .month: 86400 * 30.436875
        }
    }

    /// The start of the period that contains `instant`.
    public func start(containing instant: Timestamp) -> Timestamp {
        let nanos = instant.nanosecondsSinceEpoch
        func floor(_ unit: Int64) -> Timestamp {
            var start = nanos / unit * unit
            if nanos < 0 && start != nanos { start -= unit }
            return Timestamp(nanosecondsSinceEpoch: start)
        }
        switch self.wrapped {
        case .minute: return floor(60_000_000_000)
        case .hour: return floor(3_600_000_000_000)
        case .day: return floor(86_400_000_000_000)
        case .month:
            let day = floor(86_400_000_000_000).nanosecondsSinceEpoch / 86_400_000_000_000
            let (year, month, _) = CivilDate.fromDays(day)
            return Timestamp(
                nanosecondsSinceEpoch: CivilDate.days(year: year, month: month, day: 1) * 86_400_000_000_000
            )
        }
    }

    /// The start of the next period after the one that contains `instant`: when its quota resets.
    public func end(containing instant: Timestamp) -> Timestamp {
        let start = self.start(containing: instant)
        switch self.wrapped {
        case .minute: return start.advanced(by: .seconds(60))
        case .hour: return start.advanced(by: .seconds(3600))
        case .day: return start.advanced(by: .seconds(86400))
        case .month:
            let (year, month, _) = CivilDate.fromDays(start.nanosecondsSinceEpoch / 86_400_000_000_000)
            let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
            return Timestamp(
                nanosecondsSinceEpoch: CivilDate.days(year: next.0, month: next.1, day: 1) * 86_400_000_000_000
            )
        }
    }
}

/// Days since 1970-01-01 ⇄ proleptic Gregorian dates (Howard Hinnant's algorithms), without Foundation.
enum CivilDate {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func fromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Duration {
    /// `100ms`, `60s`, `5m`, `1h`: a short human form.
    package var compactDescription: String {
        let nanos = self.nanoseconds
        if nanos % 3_600_000_000_000 == 0 && nanos != 0 { return "\(nanos / 3_600_000_000_000)h" }
        if nanos % 60_000_000_000 == 0 && nanos != 0 { return "\(nanos / 60_000_000_000)m" }
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        if nanos % 1_000 == 0 { return "\(nanos / 1_000)µs" }
        return "\(nanos)ns"
    }
}
