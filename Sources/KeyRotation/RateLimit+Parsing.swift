import Foundation

extension RateLimit {
    /// Parses a comma-separated list such as `4/min,500/day`, `10/s`, `50000/300s`, `100/month`.
    ///
    /// Units: `s`/`sec`/`second`, `min`/`minute`, `h`/`hour`, `d`/`day`, `mo`/`month`. Seconds and minutes are
    /// strict rolling windows; hours, days and months are calendar-aligned in UTC (as providers reset them).
    /// A number before the unit (`300s`, `5min`) makes a rolling window of that length. `spacing=100ms` is a
    /// minimum spacing between uses.
    ///
    /// - Throws: ``RateLimitParseError`` naming the part that is wrong and the accepted forms.
    public static func parseList(_ text: String) throws -> [RateLimit] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw RateLimitParseError(input: text) }
        return try parts.map { try Self.parseOne($0) }
    }

    private static func parseOne(_ part: String) throws -> RateLimit {
        if part.lowercased().hasPrefix("spacing=") {
            guard let duration = Self.parseDuration(String(part.dropFirst(8))) else {
                throw RateLimitParseError(input: part)
            }
            return .minimumSpacing(duration)
        }
        let pieces = part.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        // At least 1: a limit of 0 would never admit a request, which is a typo rather than a plan.
        guard pieces.count == 2, let count = Int(pieces[0]), count >= 1 else { throw RateLimitParseError(input: part) }
        let unitText = pieces[1].lowercased()
        let digits = unitText.prefix { $0.isNumber }
        let unit = String(unitText.dropFirst(digits.count))
        if !digits.isEmpty {
            guard let multiple = Int(digits) else { throw RateLimitParseError(input: part) }  // too many digits
            // At most ten years, as for durations: longer windows are typos and overflow the nanosecond arithmetic.
            guard multiple > 0, let seconds = Self.unitSeconds(unit),
                case (let window, false) = multiple.multipliedReportingOverflow(by: seconds), window <= 315_360_000
            else { throw RateLimitParseError(input: part) }
            return .strict(count, per: .seconds(window))
        }
        switch unit {
        case "s", "sec", "second", "seconds": return .perSecond(count)
        case "m", "min", "minute", "minutes": return .perMinute(count)
        case "h", "hr", "hour", "hours": return .perHour(count)
        case "d", "day", "days": return .perDay(count)
        case "mo", "month", "months": return .perMonth(count)
        default: throw RateLimitParseError(input: part)
        }
    }

    private static func unitSeconds(_ unit: String) -> Int? {
        switch unit {
        case "s", "sec", "second", "seconds": 1
        case "m", "min", "minute", "minutes": 60
        case "h", "hr", "hour", "hours": 3600
        case "d", "day", "days": 86400
        default: nil
        }
    }

    /// Parses `100ms`, `2s`, `5m`, `1h`.
    package static func parseDuration(_ text: String) -> Duration? {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = lower.prefix { $0.isNumber || $0 == "." }
        // At most ten years: bigger values are typos, and would overflow the nanosecond arithmetic.
        guard let value = Double(digits), value >= 0, value <= 315_360_000 else { return nil }
        switch lower.dropFirst(digits.count) {
        case "ms": return .milliseconds(Int64(value))
        case "s", "": return .milliseconds(Int64(value * 1000))
        case "m", "min": return .seconds(Int64(value * 60))
        case "h": return .seconds(Int64(value * 3600))
        default: return nil
        }
    }
}

/// A rate-limit text that could not be parsed.
public struct RateLimitParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The part that could not be parsed.
    public var input: String

    public var description: String {
        "cannot read the rate limit '\(self.input)': write COUNT/UNIT, comma-separated, with UNIT one of "
            + "s, min, hour, day, month (or a length such as 300s, at most ten years) and COUNT at least 1; for "
            + "example 4/min,500/day"
    }
}
