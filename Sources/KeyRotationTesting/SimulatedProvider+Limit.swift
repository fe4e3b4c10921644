public import KeyRotation

/// A limit the simulated provider enforces on one key, with its own accounting (independent of the SDK's
/// limiters, so that it can referee them).
///
/// - ``fixedWindow(_:per:)``: at most `limit` requests per window aligned to UTC (minutes, hours and days start
///   on their UTC boundaries, months at 00:00 UTC on the 1st). Windows of a day or longer are *quotas*: the
///   provider answers with its "quota exhausted" body (VirusTotal `QuotaExceededError`, Nodit
///   `EXCEEDED_QUOTA_LIMIT`); shorter ones are *rate limits* (Nodit `TOO_MANY_REQUESTS`).
/// - ``rolling(_:window:)``: at most `limit` requests in any half-open window `[t, t + window)`.
/// - ``tokenBucket(capacity:refillInterval:)``: starts full; one token comes back every `refillInterval`.
///
/// A request answered 429 does not consume any limit.
public struct SimulatedLimit: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case fixedWindow(limit: Int, period: Period)
        case rolling(limit: Int, window: Duration)
        case tokenBucket(capacity: Int, refillInterval: Duration)
    }

    let wrapped: Wrapped

    /// A UTC-aligned window length for ``SimulatedLimit/fixedWindow(_:per:)``.
    public struct Period: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case fixed(nanoseconds: Int64)
            case month
        }

        let wrapped: Wrapped

        /// One UTC second.
        public static let second = Self(wrapped: .fixed(nanoseconds: 1_000_000_000))
        /// One UTC minute, starting at second 0.
        public static let minute = Self(wrapped: .fixed(nanoseconds: 60_000_000_000))
        /// One UTC hour, starting at minute 0.
        public static let hour = Self(wrapped: .fixed(nanoseconds: 3_600_000_000_000))
        /// One UTC day, starting at 00:00 UTC.
        public static let day = Self(wrapped: .fixed(nanoseconds: 86_400_000_000_000))
        /// One calendar month, starting at 00:00 UTC on the 1st.
        public static let month = Self(wrapped: .month)

        /// Windows of `length`, aligned to multiples of `length` since the Unix epoch (UTC).
        public static func every(_ length: Duration) -> Self {
            precondition(length > .zero, "a window has a positive length")
            return Self(wrapped: .fixed(nanoseconds: length.nanoseconds))
        }

        /// Whether windows of this length count as a quota (a day or longer) rather than a rate limit.
        public var isQuota: Bool {
            switch self.wrapped {
            case .fixed(let nanoseconds): nanoseconds >= 86_400_000_000_000
            case .month: true
            }
        }

        /// The start of the window that contains `instant`.
        public func start(containing instant: Timestamp) -> Timestamp {
            switch self.wrapped {
            case .fixed(let length):
                return Timestamp(nanosecondsSinceEpoch: Self.floor(instant.nanosecondsSinceEpoch, length))
            case .month:
                let day = Self.floor(instant.nanosecondsSinceEpoch, Self.nanosecondsPerDay) / Self.nanosecondsPerDay
                let (year, month, _) = Self.civil(fromDays: day)
                return Timestamp(nanosecondsSinceEpoch: Self.days(year: year, month: month) * Self.nanosecondsPerDay)
            }
        }

        /// The start of the window after the one that contains `instant`: when its count resets.
        public func end(containing instant: Timestamp) -> Timestamp {
            let start = self.start(containing: instant)
            switch self.wrapped {
            case .fixed(let length):
                return start.advanced(by: .nanoseconds(length))
            case .month:
                let (year, month, _) = Self.civil(fromDays: start.nanosecondsSinceEpoch / Self.nanosecondsPerDay)
                let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
                return Timestamp(nanosecondsSinceEpoch: Self.days(year: next.0, month: next.1) * Self.nanosecondsPerDay)
            }
        }

        public var description: String {
            switch self.wrapped {
            case .fixed(let length):
                switch length {
                case 1_000_000_000: "second"
                case 60_000_000_000: "minute"
                case 3_600_000_000_000: "hour"
                case 86_400_000_000_000: "day"
                default: "\(Duration.nanoseconds(length))"
                }
            case .month: "month"
            }
        }

        private static let nanosecondsPerDay: Int64 = 86_400_000_000_000

        private static func floor(_ value: Int64, _ unit: Int64) -> Int64 {
            var result = value / unit * unit
            if value < 0 && result != value { result -= unit }
            return result
        }

        // Howard Hinnant's civil-date algorithms (proleptic Gregorian), written here rather than borrowed from
        // the SDK so that the referee shares no calendar code with what it checks.
        private static func days(year: Int64, month: Int64) -> Int64 {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let shiftedMonth = month > 2 ? month - 3 : month + 9
            let dayOfYear = (153 * shiftedMonth + 2) / 5
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shiftedMonth = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
            let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
            return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
        }
    }

    /// At most `limit` requests per UTC-aligned window of `period`.
    public static func fixedWindow(_ limit: Int, per period: Period) -> Self {
        precondition(limit >= 0, "a window admits at least 0 requests")
        return Self(wrapped: .fixedWindow(limit: limit, period: period))
    }

    /// At most `limit` requests in any window of length `window` (a strict rolling log).
    public static func rolling(_ limit: Int, window: Duration) -> Self {
        precondition(limit >= 1 && window > .zero, "a rolling window needs limit ≥ 1 and a positive length")
        return Self(wrapped: .rolling(limit: limit, window: window))
    }

    /// A bucket of `capacity` tokens, full at the start, that gains one token every `refillInterval`.
    public static func tokenBucket(capacity: Int, refillInterval: Duration) -> Self {
        precondition(capacity >= 1 && refillInterval > .zero, "a token bucket needs capacity ≥ 1 and a positive refill")
        return Self(wrapped: .tokenBucket(capacity: capacity, refillInterval: refillInterval))
    }

    /// Whether running out of this limit is a quota exhaustion (a fixed window of a day or longer).
    public var isQuota: Bool {
        if case .fixedWindow(_, let period) = self.wrapped { return period.isQuota }
        return false
    }

    public var description: String {
        switch self.wrapped {
        case .fixedWindow(let limit, let period): "\(limit)/\(period) UTC"
        case .rolling(let limit, let window): "\(limit) in any \(window)"
        case .tokenBucket(let capacity, let interval): "bucket(\(capacity), +1/\(interval))"
        }
    }
}

extension SimulatedProvider {
    /// A limit the provider enforces on a key; see ``SimulatedLimit``.
    public typealias Limit = SimulatedLimit
}
