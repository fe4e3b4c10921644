import KeyRotation

/// How the SQLite store keeps one ``RateLimit``: the row it counts in and the rule it decides by.
///
/// The descriptor names the kind and time parameters only, not the count, so raising a daily quota keeps the
/// day's usage; two limits with the same descriptor share one record and are each checked against it.
enum StoredLimit: Hashable {
    /// Uses per aligned UTC window.
    case calendar(limit: Int, period: CalendarPeriod)
    /// A log of uses, counted over the last `window`.
    case strict(limit: Int, window: Int64)
    /// At least `interval` nanoseconds between uses (the key's last use time).
    case spacing(interval: Int64)
    /// GCRA: a theoretical arrival time advanced by `emissionInterval` per unit, `burst` units of tolerance.
    case gcra(emissionInterval: Int64, burst: Int)

    init(_ limit: RateLimit) {
        switch limit.wrapped {
        case .calendar(let limit, let period):
            self = .calendar(limit: limit, period: period)
        case .strict(let limit, let window):
            self = .strict(limit: limit, window: window.nanoseconds)
        case .minimumSpacing(let interval):
            self = .spacing(interval: max(0, interval.nanoseconds))
        case .tokenBucket(let capacity, let refillInterval):
            // A bucket of C tokens refilling one per I is GCRA with emission interval I and burst C.
            self = .gcra(emissionInterval: max(1, refillInterval.nanoseconds), burst: capacity)
        case .gcra(let rate, let period, let burst):
            self = .gcra(emissionInterval: max(1, period.nanoseconds / Int64(rate)), burst: burst)
        }
    }

    /// The key of this limit's record for a fingerprint.
    var descriptor: String {
        switch self {
        case .calendar(_, let period): "calendar/\(period)"
        case .strict(_, let window): "strict/\(window)"
        case .spacing: "spacing"
        case .gcra(let interval, let burst): "gcra/\(interval)/\(burst)"
        }
    }

    /// Calendar periods from the shortest, to match a server's reset time to a window.
    var periodRank: Int {
        guard case .calendar(_, let period) = self else { return .max }
        switch period {
        case .minute: return 0
        case .hour: return 1
        case .day: return 2
        default: return 3
        }
    }
}
