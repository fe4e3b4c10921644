public import Foundation

/// An instant in UTC with nanosecond resolution: the time base of every limiter, health record and strategy.
///
/// Calendar-aligned quotas (per day, per month) need wall time, and tests need exact, chosen instants, so the
/// core measures everything in nanoseconds since 1970-01-01 00:00:00 UTC. A ``KeyRotator`` maps its clock's
/// instants onto this scale once, at creation.
public struct Timestamp: Hashable, Comparable, Sendable, InstantProtocol, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01 00:00:00 UTC.
    public var nanosecondsSinceEpoch: Int64

    /// Creates a timestamp from nanoseconds since the Unix epoch.
    @inlinable
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Creates a timestamp from seconds since the Unix epoch.
    public init(secondsSinceEpoch seconds: Double) {
        self.nanosecondsSinceEpoch = Int64((seconds * 1e9).rounded())
    }

    /// Creates a timestamp from a `Date`.
    public init(_ date: Date) {
        self.init(secondsSinceEpoch: date.timeIntervalSince1970)
    }

    /// The Unix epoch.
    public static let epoch = Timestamp(nanosecondsSinceEpoch: 0)

    /// The latest representable instant; used as "never".
    public static let distantFuture = Timestamp(nanosecondsSinceEpoch: .max)

    /// Seconds since the Unix epoch.
    public var secondsSinceEpoch: Double { Double(self.nanosecondsSinceEpoch) / 1e9 }

    /// The same instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: self.secondsSinceEpoch) }

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    @inlinable
    public func advanced(by duration: Duration) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: self.nanosecondsSinceEpoch.addingSaturating(duration.nanoseconds))
    }

    @inlinable
    public func duration(to other: Timestamp) -> Duration {
        .nanoseconds(other.nanosecondsSinceEpoch &- self.nanosecondsSinceEpoch)
    }

    /// ISO 8601 in UTC, with milliseconds.
    public var description: String {
        if self == .distantFuture { return "never" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: self.date)
    }
}

extension Int64 {
    @inlinable
    package func addingSaturating(_ other: Int64) -> Int64 {
        let (result, overflow) = self.addingReportingOverflow(other)
        if overflow { return other > 0 ? .max : .min }
        return result
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at the bounds of `Int64`.
    @inlinable
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .max : .min }
        return scaled.addingSaturating(attoseconds / 1_000_000_000)
    }

    /// The duration in seconds as a floating-point number.
    package var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// A clock that knows which UTC instant its `now` is.
///
/// ``KeyRotator`` anchors calendar-aligned quotas on it. Clocks that don't conform are anchored on the system's
/// wall time when the rotator is created. `TestClock` conforms, so tests choose the UTC time too.
public protocol UTCAnchoredClock: Clock {
    /// The UTC instant that corresponds to the clock's current `now`.
    var utcNow: Timestamp { get }
}
