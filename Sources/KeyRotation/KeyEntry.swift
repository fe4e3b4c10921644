import Foundation

/// One key's state inside the rotator: limits, health and the figures strategies decide on.
struct KeyEntry: Sendable {
    var key: APIKey
    var weight: Int
    var limiter: CompositeLimiter
    var health: KeyHealth
    /// The last time a lease was taken (for minimum spacing and least-recently-used tie breaks).
    var lastUse: Timestamp?
    /// The pool's grant counter at the last lease: least-recently-used order even when the clock stands still.
    var lastUseSequence = 0
    /// Not before this instant: a shared store said another process spent the key.
    var externalBlock: Timestamp = .epoch
    var uses = 0
    var inFlight = 0
    var rateLimitedCount = 0
    var failureCount = 0
    /// Latency EWMA of successful requests, in nanoseconds; 0 until the first success.
    var latencyEWMA: Double = 0
    /// A score of recent 429s and failures in [0, 1], decaying with a 10 s half-life from `lastFailure`.
    var failureScore: Double = 0
    var lastFailure: Timestamp = .epoch
    /// Smooth weighted round robin's running weight.
    var currentWeight = 0
    /// The spacing learned from 429s the limits did not predict, in nanoseconds (0: none).
    var learnedSpacing: Int64 = 0
    /// When the learned pace last grew: only 429s for leases taken after it teach anything new.
    var lastPaceChange: Timestamp = .epoch
    /// When the key's current cooldown or quota block began (a success for a lease taken before it lifts nothing).
    var blockedSince: Timestamp = .epoch
    /// When the provider last refused the key for quota with no reset given (cleared by a success).
    var lastQuotaRefusal: Timestamp?
    /// Successes since the learned pace last grew.
    var successesSincePaceChange = 0
    /// EWMA of the interval between two leases of this key, in nanoseconds.
    var intervalEWMA: Double = 0

    init(key: APIKey, now: Timestamp, policy: HealthPolicy) {
        self.key = key
        self.weight = key.weight
        self.limiter = CompositeLimiter(key.limits, now: now)
        self.health = KeyHealth(policy: policy)
    }

    /// When the key can serve `cost` units: `now` (or earlier) if it can now; ``Timestamp/distantFuture`` if never.
    /// `spacing` is the strategy's minimum delay between uses of one key, in nanoseconds.
    @inline(__always)
    func readyAt(cost: Int, at now: Timestamp, spacing: Int64) -> Timestamp {
        var ready = now
        switch self.health.availability(at: now) {
        case .available, .probe: break
        case .blocked(let until): ready = until
        }
        if self.externalBlock > ready { ready = self.externalBlock }
        let pace = max(spacing, self.learnedSpacing)
        if pace > 0, let lastUse = self.lastUse {
            let next = Timestamp(nanosecondsSinceEpoch: lastUse.nanosecondsSinceEpoch.addingSaturating(pace))
            if next > ready { ready = next }
        }
        if !self.limiter.isUnlimited {
            let limited = self.limiter.earliestAdmission(cost: cost, at: ready)
            if limited > ready { ready = limited }
        }
        return ready
    }

    @inline(__always)
    func isReady(cost: Int, at now: Timestamp, spacing: Int64) -> Bool {
        self.readyAt(cost: cost, at: now, spacing: spacing) <= now
    }

    /// Units left under the tightest counting limit (`Int.max` when none counts).
    func remaining(at now: Timestamp) -> Int { self.limiter.remaining(at: now) ?? .max }

    /// The failure score at `now`, halved every 10 s since the last failure so a recovered key earns traffic back.
    func failureScore(at now: Timestamp) -> Double {
        guard self.failureScore > 0 else { return 0 }
        let elapsed = Double(max(0, now.nanosecondsSinceEpoch - self.lastFailure.nanosecondsSinceEpoch)) / 1e10
        return self.failureScore * pow(2, -elapsed)
    }

    /// Feeds a successful request's latency into the EWMA (zero latencies, as in benchmarks, are skipped).
    @inline(__always)
    mutating func recordLatency(_ latency: Duration) {
        guard latency > .zero else { return }
        let sample = Double(max(latency.nanoseconds, 1))
        self.latencyEWMA = self.latencyEWMA == 0 ? sample : self.latencyEWMA * 0.7 + sample * 0.3
    }

    /// Notes a lease at `now` for the interval EWMA.
    @inline(__always)
    mutating func noteLease(at now: Timestamp) {
        if let lastUse = self.lastUse {
            let interval = Double(max(0, now.nanosecondsSinceEpoch &- lastUse.nanosecondsSinceEpoch))
            self.intervalEWMA = self.intervalEWMA == 0 ? interval : self.intervalEWMA * 0.8 + interval * 0.2
        }
        self.lastUse = now
    }

    /// A 429 the limits did not predict: slow the key's pace. While searching (fewer than 32 successes since the
    /// last such 429) the spacing doubles; once it has held for a while it grows by 10 %, so a key that probes
    /// past the provider's rate only steps back a little. The first time it starts from the spacing the key was
    /// being used at (at least 1 ms).
    mutating func learnPace(at now: Timestamp, ceiling: Duration) {
        let base = self.learnedSpacing > 0 ? self.learnedSpacing : max(1_000_000, Int64(min(self.intervalEWMA, 1e15)))
        let grown =
            self.successesSincePaceChange < 32 ? base.multipliedReportingOverflow(by: 2).partialValue : base + base / 10
        // Never slower than the longest backoff: a pace of minutes would idle a key that is merely busy.
        self.learnedSpacing = min(max(grown, base), ceiling.nanoseconds)
        self.successesSincePaceChange = 0
        self.lastPaceChange = now
    }

    /// A success relaxes the learned pace by 1/512, so a key probes back up to the provider's real rate.
    @inline(__always)
    mutating func relaxPace() {
        if self.learnedSpacing > 0 {
            self.learnedSpacing -= self.learnedSpacing >> 9
            self.successesSincePaceChange &+= 1
        }
    }

    mutating func recordFailure(at now: Timestamp) {
        self.failureScore = self.failureScore(at: now) * 0.5 + 0.5
        self.lastFailure = now
    }

    /// The health-aware score, lower is better: latency × (in flight + 1) × (1 + 20 × failure score).
    ///
    /// A key with failures but no success yet is assumed as slow as the slowest key, so failing fast never makes
    /// it look attractive; a key with no history at all is assumed as fast as the fastest, so it gets tried.
    func load(at now: Timestamp, fastest: Double, slowest: Double) -> Double {
        let score = self.failureScore(at: now)
        let latency = self.latencyEWMA > 0 ? self.latencyEWMA : (score > 0 ? slowest : fastest)
        return latency * Double(self.inFlight + 1) * (1 + 20 * score)
    }
}
