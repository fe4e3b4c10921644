import KeyRotation

/// The provider's own accounting for one ``SimulatedLimit``: a value type, free of locks and clocks.
struct SimulatedQuota: Sendable {
    private enum State: Sendable {
        case fixedWindow(limit: Int, period: SimulatedLimit.Period, windowStart: Timestamp?, count: Int)
        case rolling(limit: Int, window: Duration, uses: [Timestamp], head: Int)
        case tokenBucket(capacity: Int, refillInterval: Int64, tokens: Int, lastRefill: Timestamp?)
    }

    let limit: SimulatedLimit
    private var state: State

    init(_ limit: SimulatedLimit) {
        self.limit = limit
        switch limit.wrapped {
        case .fixedWindow(let count, let period):
            self.state = .fixedWindow(limit: count, period: period, windowStart: nil, count: 0)
        case .rolling(let count, let window):
            self.state = .rolling(limit: count, window: window, uses: [], head: 0)
        case .tokenBucket(let capacity, let interval):
            self.state = .tokenBucket(
                capacity: capacity,
                refillInterval: interval.nanoseconds,
                tokens: capacity,
                lastRefill: nil
            )
        }
    }

    /// How long until one more request is admitted at `now`: `nil` when it is admitted now.
    mutating func wait(at now: Timestamp) -> Duration? {
        self.normalize(at: now)
        switch self.state {
        case .fixedWindow(let limit, let period, _, let count):
            return count < limit ? nil : now.duration(to: period.end(containing: now))
        case .rolling(let limit, let window, let uses, let head):
            let inWindow = uses.count - head
            if inWindow < limit { return nil }
            return now.duration(to: uses[uses.count - limit].advanced(by: window))
        case .tokenBucket(_, let interval, let tokens, let lastRefill):
            if tokens >= 1 { return nil }
            let elapsed = lastRefill.map { $0.duration(to: now).nanoseconds } ?? 0
            return .nanoseconds(interval - elapsed)
        }
    }

    /// Spends one request at `now`. Call only after ``wait(at:)`` returned `nil` for every limit of the key.
    mutating func consume(at now: Timestamp) {
        self.normalize(at: now)
        switch self.state {
        case .fixedWindow(let limit, let period, let windowStart, let count):
            self.state = .fixedWindow(limit: limit, period: period, windowStart: windowStart, count: count + 1)
        case .rolling(let limit, let window, var uses, let head):
            self.state = .rolling(limit: limit, window: window, uses: [], head: 0)
            uses.append(now)
            self.state = .rolling(limit: limit, window: window, uses: uses, head: head)
        case .tokenBucket(let capacity, let interval, let tokens, let lastRefill):
            self.state = .tokenBucket(
                capacity: capacity,
                refillInterval: interval,
                tokens: tokens - 1,
                lastRefill: lastRefill
            )
        }
    }

    /// Forgets every use.
    mutating func reset() {
        self = SimulatedQuota(self.limit)
    }

    private mutating func normalize(at now: Timestamp) {
        switch self.state {
        case .fixedWindow(let limit, let period, let windowStart, let count):
            let start = period.start(containing: now)
            if windowStart != start {
                self.state = .fixedWindow(limit: limit, period: period, windowStart: start, count: 0)
            } else {
                self.state = .fixedWindow(limit: limit, period: period, windowStart: windowStart, count: count)
            }
        case .rolling(let limit, let window, var uses, var head):
            self.state = .rolling(limit: limit, window: window, uses: [], head: 0)  // keep `uses` uniquely referenced
            while head < uses.count && uses[head].advanced(by: window) <= now { head += 1 }
            if head > 64 && head * 2 > uses.count {
                uses.removeFirst(head)
                head = 0
            }
            self.state = .rolling(limit: limit, window: window, uses: uses, head: head)
        case .tokenBucket(let capacity, let interval, var tokens, let lastRefill):
            guard let last = lastRefill else {
                self.state = .tokenBucket(capacity: capacity, refillInterval: interval, tokens: tokens, lastRefill: now)
                return
            }
            let elapsed = max(0, last.duration(to: now).nanoseconds)
            let refills = elapsed / interval
            var newLast = last.advanced(by: .nanoseconds(refills * interval))
            tokens = Int(min(Int64(capacity), Int64(tokens) + refills))
            if tokens == capacity { newLast = now }
            self.state = .tokenBucket(capacity: capacity, refillInterval: interval, tokens: tokens, lastRefill: newLast)
        }
    }
}
