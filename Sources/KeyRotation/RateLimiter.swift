/// A limit on how often a key may be used: "may it go now, and if not, when?"
///
/// Limiters are value types on ``Timestamp``s, free of locks, clocks and I/O: ``KeyRotator`` keeps one per
/// limit per key behind its lock, and tests drive them with instants they choose.
public protocol RateLimiter: Sendable {
    /// The earliest instant at which `cost` units could be admitted: `now` or earlier means "now",
    /// ``Timestamp/distantFuture`` means "never" (the cost exceeds what the limit can ever admit).
    func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp

    /// Records a use of `cost` units at `now`. Call only after ``earliestAdmission(cost:at:)`` allowed it.
    mutating func record(cost: Int, at now: Timestamp)

    /// Gives back `cost` units recorded at or before `now` that did not count.
    mutating func refund(cost: Int, at now: Timestamp)

    /// Takes what the server said about this limit: the units it has left, and when its window resets.
    mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp)

    /// The units left now, for limits that count units; `nil` for pure spacing.
    func remaining(at now: Timestamp) -> Int?
}

extension RateLimiter {
    /// Whether `cost` units may be used at `now`.
    public func allows(cost: Int = 1, at now: Timestamp) -> Bool { self.earliestAdmission(cost: cost, at: now) <= now }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {}
}

/// A token bucket: `capacity` tokens, one more every `refillInterval`; a use spends `cost` tokens.
public struct TokenBucketLimiter: RateLimiter, Hashable {
    /// The most tokens the bucket holds.
    public private(set) var capacity: Int
    /// The time it takes to gain one token, in nanoseconds.
    public let refillNanoseconds: Int64
    // Tokens are counted in nanoseconds of refill time so no fractions are lost: `credit` is the refill time banked
    // at `updated`, the latest instant the bucket has seen (an earlier instant is read as `updated`: refill time is
    // credited once).
    private var credit: Int64
    private var updated: Timestamp

    /// Creates a full bucket.
    public init(capacity: Int, refillInterval: Duration, now: Timestamp) {
        self.capacity = capacity
        self.refillNanoseconds = max(1, refillInterval.nanoseconds)
        self.credit = Int64(capacity) * self.refillNanoseconds
        self.updated = now
    }

    /// A bucket holding `level` (converted to this refill interval, at most `capacity`) at `now`.
    init(capacity: Int, refillNanoseconds: Int64, level: BucketLevel, at now: Timestamp) {
        self.capacity = capacity
        self.refillNanoseconds = max(1, refillNanoseconds)
        self.credit = level.credit(unit: self.refillNanoseconds, capacity: capacity)
        self.updated = now
    }

    private func credit(at now: Timestamp) -> Int64 {
        let elapsed = max(0, now.nanosecondsSinceEpoch &- self.updated.nanosecondsSinceEpoch)
        return min(Int64(self.capacity) * self.refillNanoseconds, self.credit.addingSaturating(elapsed))
    }

    /// What the bucket holds at `now` (or at its last update, if that is later), and that instant.
    func level(at now: Timestamp) -> (level: BucketLevel, at: Timestamp) {
        let instant = max(now, self.updated)
        return (BucketLevel(credit: self.credit(at: instant), unit: self.refillNanoseconds), instant)
    }

    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        if cost > self.capacity { return .distantFuture }
        // Asked before the last update: tokens only refill from then on, so the answer counts from there.
        let from = max(now, self.updated)
        let needed = Int64(cost) * self.refillNanoseconds - self.credit(at: from)
        return needed <= 0 ? now : from.advanced(by: .nanoseconds(needed))
    }

    public mutating func record(cost: Int, at now: Timestamp) {
        self.credit = self.credit(at: now) - Int64(cost) * self.refillNanoseconds
        self.updated = max(self.updated, now)
    }

    public mutating func refund(cost: Int, at now: Timestamp) {
        self.credit = min(
            Int64(self.capacity) * self.refillNanoseconds,
            self.credit(at: now) + Int64(cost) * self.refillNanoseconds
        )
        self.updated = max(self.updated, now)
    }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {
        let reported = Int64(max(0, remaining)) * self.refillNanoseconds
        if reported < self.credit(at: now) {
            self.credit = reported
            self.updated = max(self.updated, now)
        }
    }

    public func remaining(at now: Timestamp) -> Int? { Int(max(0, self.credit(at: now)) / self.refillNanoseconds) }

    /// Changes the capacity, never adding tokens: lowering it drops the excess, raising it adds none.
    public mutating func setCapacity(_ capacity: Int, at now: Timestamp) {
        let from = max(now, self.updated)
        self.credit = min(self.credit(at: from), Int64(capacity) * self.refillNanoseconds)
        self.updated = from
        self.capacity = capacity
    }
}

/// The generic cell rate algorithm: one use every `rate` period on average, `burst` at once at most.
///
/// Keeps a single instant, the theoretical arrival time (TAT), as governor and redis-cell do.
public struct GCRALimiter: RateLimiter, Hashable {
    /// The spacing of uses at the sustained rate, in nanoseconds (`period / rate`, rounded up).
    public let emissionNanoseconds: Int64
    /// Uses admitted at once.
    public let burst: Int
    var theoreticalArrival: Timestamp

    /// Creates a limiter that admits a full burst now.
    ///
    /// - Throws: ``RateLimitError`` if `period` is not positive or `rate` or `burst` is below 1, as
    ///   ``RateLimit/gcra(rate:per:burst:)`` does.
    public init(rate: Int, period: Duration, burst: Int, now: Timestamp) throws(RateLimitError) {
        self.emissionNanoseconds = try RateLimitError.gcraEmission(rate: rate, period: period, burst: burst)
        self.burst = burst
        self.theoreticalArrival = now
    }

    /// A limiter holding `level` (converted to this emission interval, at most `burst` units) at `now`.
    init(emissionNanoseconds: Int64, burst: Int, level: BucketLevel, at now: Timestamp) {
        self.emissionNanoseconds = max(1, emissionNanoseconds)
        self.burst = max(1, burst)
        let credit = level.credit(unit: self.emissionNanoseconds, capacity: self.burst)
        let backlog = (Int64(self.burst) * self.emissionNanoseconds).subtractingReportingOverflow(credit)
        self.theoreticalArrival = now.advanced(by: .nanoseconds(backlog.overflow ? .max : backlog.partialValue))
    }

    /// What the limiter holds at `now`: the burst less the backlog before the TAT.
    func level(at now: Timestamp) -> BucketLevel {
        let backlog = max(0, self.theoreticalArrival.nanosecondsSinceEpoch &- now.nanosecondsSinceEpoch)
        return BucketLevel(credit: Int64(self.burst) * self.emissionNanoseconds - backlog, unit: self.emissionNanoseconds)
    }

    private var tolerance: Int64 { Int64(self.burst - 1) * self.emissionNanoseconds }

    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        if cost > self.burst { return .distantFuture }
        let tat = max(self.theoreticalArrival, now)
        let newTAT = tat.nanosecondsSinceEpoch + Int64(cost) * self.emissionNanoseconds
        let allowAt = newTAT - self.tolerance - self.emissionNanoseconds
        return allowAt <= now.nanosecondsSinceEpoch ? now : Timestamp(nanosecondsSinceEpoch: allowAt)
    }

    public mutating func record(cost: Int, at now: Timestamp) {
        let tat = max(self.theoreticalArrival, now)
        self.theoreticalArrival = tat.advanced(by: .nanoseconds(Int64(cost) * self.emissionNanoseconds))
    }

    public mutating func refund(cost: Int, at now: Timestamp) {
        let back = self.theoreticalArrival.advanced(by: .nanoseconds(-Int64(cost) * self.emissionNanoseconds))
        self.theoreticalArrival = max(back, now)
    }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {
        // Fewer left than we think: push the TAT so that only `remaining` fit before the burst is spent.
        let spent = self.burst - max(0, remaining)
        let floor = now.advanced(by: .nanoseconds(Int64(spent) * self.emissionNanoseconds))
        if floor > self.theoreticalArrival { self.theoreticalArrival = floor }
    }

    public func remaining(at now: Timestamp) -> Int? {
        let backlog = max(0, self.theoreticalArrival.nanosecondsSinceEpoch - now.nanosecondsSinceEpoch)
        return max(0, self.burst - Int((backlog + self.emissionNanoseconds - 1) / self.emissionNanoseconds))
    }
}

/// At least `interval` between two uses: the `minDelay` of the classic round-robin rotator.
public struct MinimumSpacingLimiter: RateLimiter, Hashable {
    /// The spacing in nanoseconds.
    public let intervalNanoseconds: Int64
    private var lastUse: Timestamp?

    /// Creates a limiter that admits a first use at once.
    public init(interval: Duration) { self.intervalNanoseconds = max(0, interval.nanoseconds) }

    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        guard let lastUse else { return now }
        let next = lastUse.advanced(by: .nanoseconds(self.intervalNanoseconds))
        return next <= now ? now : next
    }

    public mutating func record(cost: Int, at now: Timestamp) { self.lastUse = max(self.lastUse ?? now, now) }

    public mutating func refund(cost: Int, at now: Timestamp) {}

    public func remaining(at now: Timestamp) -> Int? { nil }

    /// The latest use recorded, if any.
    var lastUseInstant: Timestamp? { self.lastUse }

    /// The same last use with another interval (a change of limits keeps the spacing from the last use).
    func withInterval(_ interval: Duration) -> MinimumSpacingLimiter {
        MinimumSpacingLimiter(interval: interval, lastUse: self.lastUse)
    }

    /// A limiter whose last use was at `lastUse`.
    init(interval: Duration, lastUse: Timestamp?) {
        self.init(interval: interval)
        self.lastUse = lastUse
    }
}

/// A quota per calendar period in UTC: at most `limit` units per minute, hour, day or month, resetting at the
/// period's boundary (00:00 UTC for days, 00:00 UTC on the 1st for months).
public struct CalendarWindowLimiter: RateLimiter, Hashable {
    /// Units per period.
    public private(set) var limit: Int
    /// The period.
    public let period: CalendarPeriod
    private var windowStart: Timestamp
    private var used: Int

    /// Creates an unused quota.
    public init(limit: Int, period: CalendarPeriod, now: Timestamp) {
        self.limit = limit
        self.period = period
        self.windowStart = period.start(containing: now)
        self.used = 0
    }

    private func used(at now: Timestamp) -> Int {
        self.period.start(containing: now) == self.windowStart ? self.used : 0
    }

    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        if cost > self.limit { return .distantFuture }
        // Asked in a period before the one recorded in: a use now counts in the recorded one, so answer for it.
        let from = max(now, self.windowStart)
        if self.used(at: from) + cost <= self.limit { return now }
        return self.period.end(containing: from)
    }

    private mutating func roll(to now: Timestamp) {
        let start = self.period.start(containing: now)
        if start != self.windowStart && start > self.windowStart {
            self.windowStart = start
            self.used = 0
        }
    }

    public mutating func record(cost: Int, at now: Timestamp) {
        self.roll(to: now)
        self.used += cost
    }

    /// Gives back units of a use made at `at`; a use from an earlier window gives nothing back to this one.
    public mutating func refund(cost: Int, at: Timestamp) {
        guard self.period.start(containing: at) == self.windowStart else { return }
        self.used = max(0, self.used - cost)
    }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {
        if let resetAt {
            // Only what the server says about this window counts: a reset well before or after its end is
            // about another window (a "remaining: 0, reset in 20 s" is the minute talking, not the day).
            let end = self.period.end(containing: now)
            let tolerance = Int64(self.period.nominalSeconds * 1e7) + 1_000_000_000  // 1 % of the period + 1 s
            if abs(resetAt.nanosecondsSinceEpoch - end.nanosecondsSinceEpoch) > tolerance { return }
        }
        self.roll(to: now)
        self.used = max(self.used, self.limit - max(0, remaining))
    }

    /// Marks the current window as spent (the server said the quota is exhausted).
    public mutating func exhaust(at now: Timestamp) {
        self.roll(to: now)
        self.used = max(self.used, self.limit)
    }

    public func remaining(at now: Timestamp) -> Int? { max(0, self.limit - self.used(at: now)) }

    /// Changes the limit; usage already recorded in the window stays, so lowering it never over-admits.
    public mutating func setLimit(_ limit: Int) { self.limit = limit }

    /// When the current window resets.
    public func resetAt(after now: Timestamp) -> Timestamp { self.period.end(containing: now) }

    /// A quota of `limit` per `period` that has `used` units spent in the period containing `now`.
    init(limit: Int, period: CalendarPeriod, used: Int, at now: Timestamp) {
        self.init(limit: limit, period: period, now: now)
        self.used = max(0, used)
    }

    /// The units spent in the period this quota counts in now (the recorded one, if `now` is before it).
    func usedCount(at now: Timestamp) -> Int { self.used(at: max(now, self.windowStart)) }

    /// The latest instant the quota has counted in.
    var countingFrom: Timestamp { self.windowStart }
}

/// Strict: never more than `limit` units in any window of length `window` (a log of recent uses).
///
/// Token buckets and GCRA admit a burst on top of their rate; this one never does, which is what hard quotas
/// ("4 per minute", "500 per day") need when the provider counts over a rolling window.
public struct StrictWindowLimiter: RateLimiter, Hashable {
    /// Units per window.
    public private(set) var limit: Int
    /// The window length in nanoseconds.
    public let windowNanoseconds: Int64
    // One entry per unit, oldest first; entries older than the window are dropped lazily.
    private var log: [Timestamp] = []
    private var head = 0

    /// Creates an empty log.
    public init(limit: Int, window: Duration) {
        self.limit = limit
        self.windowNanoseconds = max(1, window.nanoseconds)
        self.log.reserveCapacity(min(limit, 1024))
    }

    private func liveCount(at now: Timestamp) -> Int {
        let horizon = now.nanosecondsSinceEpoch &- self.windowNanoseconds
        var index = self.head
        while index < self.log.count && self.log[index].nanosecondsSinceEpoch <= horizon { index += 1 }
        return self.log.count - index
    }

    public func earliestAdmission(cost: Int, at now: Timestamp) -> Timestamp {
        if cost > self.limit { return .distantFuture }
        let live = self.liveCount(at: now)
        if live + cost <= self.limit { return now }
        // The use that must leave the window before `cost` more fit.
        let blocking = self.log[self.log.count - live + (live + cost - self.limit - 1)]
        return blocking.advanced(by: .nanoseconds(self.windowNanoseconds))
    }

    private mutating func prune(at now: Timestamp) {
        let horizon = now.nanosecondsSinceEpoch &- self.windowNanoseconds
        while self.head < self.log.count && self.log[self.head].nanosecondsSinceEpoch <= horizon { self.head += 1 }
        if self.head > 64 && self.head * 2 > self.log.count {
            self.log.removeFirst(self.head)
            self.head = 0
        }
    }

    public mutating func record(cost: Int, at now: Timestamp) {
        self.prune(at: now)
        // Stamped exactly `now` (kept in order), so a refund or a settle finds the use again.
        for _ in 0..<cost { self.insert(now) }
    }

    private mutating func insert(_ stamp: Timestamp) {
        var position = self.log.count
        while position > self.head && self.log[position - 1] > stamp { position -= 1 }
        self.log.insert(stamp, at: position)
    }

    /// Gives back `cost` uses made at `at` (the newest uses when none was made exactly then).
    public mutating func refund(cost: Int, at: Timestamp) {
        var left = cost
        var index = self.log.count - 1
        while index >= self.head && left > 0 {
            if self.log[index] == at {
                self.log.remove(at: index)
                left -= 1
            }
            index -= 1
        }
        while left > 0 && self.log.count > self.head {
            self.log.removeLast()
            left -= 1
        }
    }

    public mutating func observe(remaining: Int, resetAt: Timestamp?, at now: Timestamp) {
        self.prune(at: now)
        let missing = (self.limit - max(0, remaining)) - (self.log.count - self.head)
        if missing > 0 { for _ in 0..<missing { self.log.append(max(now, self.log.last ?? now)) } }
    }

    public func remaining(at now: Timestamp) -> Int? { max(0, self.limit - self.liveCount(at: now)) }

    /// Moves `cost` uses recorded at `from` to `to` (later), keeping the log in order.
    public mutating func move(cost: Int, from: Timestamp, to: Timestamp) {
        var moved = 0
        var index = self.log.count - 1
        while index >= self.head && moved < cost {
            if self.log[index] == from {
                self.log.remove(at: index)
                moved += 1
            } else if self.log[index] < from {
                break
            }
            index -= 1
        }
        for _ in 0..<moved { self.insert(to) }
    }

    /// Changes the limit; the log stays, so lowering it never over-admits.
    public mutating func setLimit(_ limit: Int) { self.limit = limit }

    /// The same uses under another limit and window length (a change of limits keeps every recorded use).
    func resized(limit: Int, window: Duration) -> StrictWindowLimiter {
        var copy = StrictWindowLimiter(limit: limit, window: window)
        copy.log = Array(self.log[self.head...])
        return copy
    }

    /// A window of `limit` per `window` holding `uses` uses stamped `at`: what it starts from when it replaces a
    /// limit of another kind, which kept counts but not instants (each stamped at the change, the latest a use
    /// can have been made).
    init(limit: Int, window: Duration, uses: Int, at stamp: Timestamp) {
        self.init(limit: limit, window: window)
        self.log = Array(repeating: stamp, count: max(0, uses))
    }

    /// The instant of the latest recorded use, if any is in the log.
    var latestUse: Timestamp? { self.log.count > self.head ? self.log.last : nil }
}
