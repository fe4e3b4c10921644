/// Several limits on one key, all of which must admit a use: "4 per minute and 500 per day".
///
/// Built from ``RateLimit`` descriptions; dispatch is static (no existentials on the hot path).
public struct CompositeLimiter: RateLimiter, Hashable {
    enum Part: Hashable, Sendable {
        case tokenBucket(TokenBucketLimiter)
        case gcra(GCRALimiter)
        case spacing(MinimumSpacingLimiter)
        case calendar(CalendarWindowLimiter)
        case strict(StrictWindowLimiter)
    }

    /// The limits, in the order given.
    public internal(set) var limits: [RateLimit]
    var parts: [Part]

    /// Creates limiters for `limits`, unused at `now`.
    public init(_ limits: [RateLimit], now: Timestamp) {
        self.limits = limits
        self.parts = limits.map { Self.makePart($0, now: now) }
        self.settlesAtCompletion = self.parts.contains { Self.settles($0) }
    }

    static func settles(_ part: Part) -> Bool {
        switch part {
        case .strict, .spacing: true
        default: false
        }
    }

    static func makePart(_ limit: RateLimit, now: Timestamp) -> Part {
        switch limit.wrapped {
        case .tokenBucket(let capacity, let interval):
            .tokenBucket(TokenBucketLimiter(capacity: capacity, refillInterval: interval, now: now))
        case .gcra(_, _, let burst):
            .gcra(
                GCRALimiter(
                    emissionNanoseconds: limit.unitNanoseconds,
                    burst: burst,
                    level: .units(burst, unit: limit.unitNanoseconds),
                    at: now
                )
            )
        case .minimumSpacing(let interval): .spacing(MinimumSpacingLimiter(interval: interval))
        case .calendar(let limit, let period): .calendar(CalendarWindowLimiter(limit: limit, period: period, now: now))
        case .strict(let limit, let window): .strict(StrictWindowLimiter(limit: limit, window: window))
        }
    }

    /// Whether there are no limits at all.
    public var isUnlimited: Bool { self.parts.isEmpty }

    /// Whether a limit counts uses by instant (rolling windows, spacing), so a use moves to its completion.
    public internal(set) var settlesAtCompletion = false

    /// Moves a use of `cost` recorded at `acquiredAt` to `completedAt`: rolling windows and spacing count a use from
    /// the latest instant the provider can have seen it.
    public mutating func settle(cost: Int, acquiredAt: Timestamp, completedAt: Timestamp) {
        for index in self.parts.indices {
            switch self.parts[index] {
            case .strict(var limiter):
                self.parts[index] = .spacing(MinimumSpacingLimiter(interval: .zero))  // release the log's buffer
                limiter.move(cost: cost, from: acquiredAt, to: completedAt)
                self.parts[index] = .strict(limiter)
            case .spacing(var limiter):
                limiter.record(cost: cost, at: completedAt)
                self.parts[index] = .spacing(limiter)
            default:
                continue
            }
        }
    }

    @inline(__always)
    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        var earliest = now
        for index in self.parts.indices {
            let instant: Timestamp
            switch self.parts[index] {
            case .tokenBucket(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .gcra(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .spacing(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .calendar(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .strict(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            }
            if instant > earliest { earliest = instant }
        }
        return earliest
    }

    private mutating func forEachPart(_ body: (inout any RateLimiter) -> Void) {
        for index in self.parts.indices {
            switch self.parts[index] {
            case .tokenBucket(var limiter):
                var erased: any RateLimiter = limiter
                body(&erased)
                limiter = erased as! TokenBucketLimiter
                self.parts[index] = .tokenBucket(limiter)
            case .gcra(let limiter):
                var erased: any RateLimiter = limiter
                body(&erased)
                self.parts[index] = .gcra(erased as! GCRALimiter)
            case .spacing(let limiter):
                var erased: any RateLimiter = limiter
                body(&erased)
                self.parts[index] = .spacing(erased as! MinimumSpacingLimiter)
            case .calendar(let limiter):
                var erased: any RateLimiter = limiter
                body(&erased)
                self.parts[index] = .calendar(erased as! CalendarWindowLimiter)
            case .strict(let limiter):
                var erased: any RateLimiter = limiter
                body(&erased)
                self.parts[index] = .strict(erased as! StrictWindowLimiter)
            }
        }
    }

    @inline(__always)
    public mutating func record(cost: Int, at now: Timestamp) {
        for index in self.parts.indices {
            switch self.parts[index] {
            case .tokenBucket(var limiter):
                limiter.record(cost: cost, at: now)
                self.parts[index] = .tokenBucket(limiter)
            case .gcra(var limiter):
                limiter.record(cost: cost, at: now)
                self.parts[index] = .gcra(limiter)
            case .spacing(var limiter):
                limiter.record(cost: cost, at: now)
                self.parts[index] = .spacing(limiter)
            case .calendar(var limiter):
                limiter.record(cost: cost, at: now)
                self.parts[index] = .calendar(limiter)
            case .strict(var limiter):
                self.parts[index] = .spacing(MinimumSpacingLimiter(interval: .zero))  // release the log's buffer
                limiter.record(cost: cost, at: now)
                self.parts[index] = .strict(limiter)
            }
        }
    }

    public mutating func refund(cost: Int, at now: Timestamp) {
        self.forEachPart { $0.refund(cost: cost, at: now) }
    }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {
        self.forEachPart { $0.observe(remaining: remaining, resetAt: resetAt, at: now) }
    }

    /// The least any counting limit has left, or `nil` when none counts units.
    public func remaining(at now: Timestamp) -> Int? {
        var least: Int?
        for index in self.parts.indices {
            guard let left = self.remaining(part: index, at: now) else { continue }
            least = min(least ?? left, left)
        }
        return least
    }

    /// Takes what a store or server said about one limit (by its index in ``limits``): it has `remaining` units left.
    /// Rolling windows and spacing ignore it (they need the instants of the uses, not a count).
    public mutating func observe(part index: Int, remaining: Int, at now: Timestamp) {
        guard self.parts.indices.contains(index) else { return }
        switch self.parts[index] {
        case .tokenBucket(var limiter):
            limiter.observe(remaining: remaining, resetAt: nil, at: now)
            self.parts[index] = .tokenBucket(limiter)
        case .gcra(var limiter):
            limiter.observe(remaining: remaining, resetAt: nil, at: now)
            self.parts[index] = .gcra(limiter)
        case .spacing:
            break
        case .calendar(var limiter):
            limiter.observe(remaining: remaining, resetAt: nil, at: now)
            self.parts[index] = .calendar(limiter)
        case .strict:
            break  // phantom uses stamped now would outlast the real ones; the caller blocks the key until the ETA
        }
    }

    /// What each limit has left, in the order of ``limits``.
    public func remainingPerLimit(at now: Timestamp) -> [Int?] {
        self.parts.indices.map { self.remaining(part: $0, at: now) }
    }

    func remaining(part index: Int, at now: Timestamp) -> Int? {
        switch self.parts[index] {
        case .tokenBucket(let limiter): limiter.remaining(at: now)
        case .gcra(let limiter): limiter.remaining(at: now)
        case .spacing(let limiter): limiter.remaining(at: now)
        case .calendar(let limiter): limiter.remaining(at: now)
        case .strict(let limiter): limiter.remaining(at: now)
        }
    }

    /// The earliest admission of the limits that reset within `horizon` of `now` (minute-scale windows), if any
    /// of them is what blocks `cost` now: how the rotator tells "wait a minute" from "wait until tomorrow".
    func shortWindowBlock(cost: Int, at now: Timestamp, horizon: Duration = .seconds(3600)) -> Timestamp? {
        let limit = now.advanced(by: horizon)
        var latest: Timestamp?
        for part in self.parts {
            let instant: Timestamp
            switch part {
            case .tokenBucket(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .gcra(let limiter): instant = limiter.earliestAdmission(cost: cost, at: now)
            case .spacing: continue
            case .calendar(let limiter):
                guard limiter.period == .minute || limiter.period == .hour else { continue }
                instant = limiter.earliestAdmission(cost: cost, at: now)
            case .strict(let limiter):
                guard limiter.windowNanoseconds <= 3_600_000_000_000 else { continue }
                instant = limiter.earliestAdmission(cost: cost, at: now)
            }
            if instant > now && instant <= limit { latest = max(latest ?? instant, instant) }
        }
        return latest
    }

    /// When every short window (a rolling window of at most an hour, a per-minute or per-hour calendar window) has
    /// surely turned over since `now`: the earliest such instant, or `nil` when the key has no short window. A
    /// quota refusal the counts did not predict waits this long before it is taken for the long quota.
    func shortWindowTurnover(at now: Timestamp) -> Timestamp? {
        var earliest: Timestamp?
        for part in self.parts {
            let instant: Timestamp
            switch part {
            case .calendar(let limiter):
                guard limiter.period == .minute || limiter.period == .hour else { continue }
                instant = limiter.resetAt(after: now)
            case .strict(let limiter):
                guard limiter.windowNanoseconds <= 3_600_000_000_000 else { continue }
                instant = now.advanced(by: .nanoseconds(limiter.windowNanoseconds))
            default:
                continue
            }
            earliest = min(earliest ?? instant, instant)
        }
        return earliest
    }

    /// The server said the quota is spent: mark the longest calendar window spent and return when it resets;
    /// `nil` when the key has no calendar window.
    mutating func exhaustLongestCalendarWindow(at now: Timestamp) -> Timestamp? {
        var chosen: Int?
        var chosenReset = Timestamp.epoch
        for index in self.parts.indices {
            guard case .calendar(let limiter) = self.parts[index] else { continue }
            let reset = limiter.resetAt(after: now)
            if chosen == nil || reset > chosenReset {
                chosen = index
                chosenReset = reset
            }
        }
        guard let chosen, case .calendar(var limiter) = self.parts[chosen] else { return nil }
        limiter.exhaust(at: now)
        self.parts[chosen] = .calendar(limiter)
        return chosenReset
    }
}
