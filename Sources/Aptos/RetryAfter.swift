import Foundation
package import KeyRotation
package import KeyRotationHTTP

/// The `Retry-After` header (RFC 9110 §10.2.3): delay seconds, or an HTTP date.
package struct RetryAfter: Hashable, Sendable {
    /// The delay, when the header gave seconds or a date and `now` was known.
    package var delay: Duration?
    /// The instant, when the header gave a date, or seconds and `now` was known.
    package var instant: Timestamp?

    /// Reads `Retry-After` from `headers`; `nil` when missing or malformed.
    ///
    /// - Parameters:
    ///   - headers: The response's headers.
    ///   - now: The current instant, to turn seconds into an instant and a date into a delay.
    package init?(_ headers: HTTPHeaders, now: Timestamp? = nil) {
        guard let value = headers["Retry-After"]?.trimmingASCIIWhitespace(), !value.isEmpty else { return nil }
        if let seconds = Int64(value), seconds >= 0 {
            let delay = Duration.seconds(min(seconds, 100 * 365 * 86_400))
            self.delay = delay
            self.instant = now?.advanced(by: delay)
        } else if let date = Self.parseHTTPDate(value) {
            let instant = Timestamp(date)
            self.instant = instant
            self.delay = now.map { now in max(.zero, now.duration(to: instant)) }
        } else {
            return nil
        }
    }

    private static func parseHTTPDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
        return nil
    }
}
