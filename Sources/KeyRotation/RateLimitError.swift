/// A rate limit whose parameters can never admit a use as written: a zero period, a rate or burst below 1.
///
/// Thrown by ``RateLimit/gcra(rate:per:burst:)`` and ``GCRALimiter/init(rate:period:burst:now:)``, which share one
/// check, so a limit that would mean "a billion per second" (a period clamped to 1 ns) or a crash never gets built.
public struct RateLimitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case nonPositivePeriod, rateBelowOne, burstBelowOne }
        private let wrapped: Wrapped

        /// The period is zero or negative: no rate can be spread over it.
        public static let nonPositivePeriod = Self(wrapped: .nonPositivePeriod)
        /// The rate is below 1 use per period.
        public static let rateBelowOne = Self(wrapped: .rateBelowOne)
        /// The burst is below 1: not even one use could ever go.
        public static let burstBelowOne = Self(wrapped: .burstBelowOne)

        public var description: String {
            switch self.wrapped {
            case .nonPositivePeriod: "nonPositivePeriod"
            case .rateBelowOne: "rateBelowOne"
            case .burstBelowOne: "burstBelowOne"
            }
        }
    }

    /// What was wrong.
    public var code: Code
    /// The limit as it was asked for, e.g. `gcra(rate: 10, per: 0ns, burst: 1)`.
    public var limit: String

    public var description: String {
        let fix =
            switch self.code {
            case .nonPositivePeriod: "give a positive period, e.g. .gcra(rate: 10, per: .seconds(1))"
            case .rateBelowOne: "give a rate of at least 1 use per period (lengthen the period for slower rates)"
            default: "give a burst of at least 1"
            }
        return "invalid rate limit \(self.limit) (\(self.code)): \(fix)"
    }

    /// Checks GCRA parameters and returns the emission interval: `period / rate`, rounded up to whole nanoseconds so
    /// the limiter is never looser than asked.
    static func gcraEmission(rate: Int, period: Duration, burst: Int) throws(RateLimitError) -> Int64 {
        let limit = "gcra(rate: \(rate), per: \(period.compactDescription), burst: \(burst))"
        guard period > .zero else { throw RateLimitError(code: .nonPositivePeriod, limit: limit) }
        guard rate >= 1 else { throw RateLimitError(code: .rateBelowOne, limit: limit) }
        guard burst >= 1 else { throw RateLimitError(code: .burstBelowOne, limit: limit) }
        return Self.emission(rate: rate, period: period)
    }

    /// `period / rate` rounded up, for parameters ``gcraEmission(rate:period:burst:)`` accepted.
    static func emission(rate: Int, period: Duration) -> Int64 {
        let nanos = period.nanoseconds
        let rate = Int64(max(1, rate))
        return max(1, nanos / rate + (nanos % rate == 0 ? 0 : 1))
    }
}
