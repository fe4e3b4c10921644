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
    /// The pool's last lease serial number when the key's current cooldown or quota block began: a success for a
    /// lease numbered up to it (taken before the block) lifts nothing.
    var blockedSinceSerial: UInt64 = 0
    /// The pool's last lease serial number when the provider last refused the key for quota with no reset given
    /// (cleared by a success).
    var lastQuotaRefusal: UInt64?
    /// Successes since the learned pace was last set (its relaxation grows with them).
    var successesSincePaceChange = 0
    /// EWMA of the interval between two leases of this key, in nanoseconds.
    var intervalEWMA: Double = 0
    /// The requests the provider admitted since the key's current run began (learned pacing).
    var run: AdmissionRun
    /// The health policy's longest backoff in nanoseconds (compared on every lease; `Duration`'s `<` is a call).
    let maximumBackoffNanoseconds: Int64

    init(key: APIKey, now: Timestamp, policy: HealthPolicy) {
        self.key = key
        self.weight = key.weight
        self.limiter = CompositeLimiter(key.limits, now: now)
        self.health = KeyHealth(policy: policy)
        self.run = AdmissionRun(start: now, serial: 0)
        self.maximumBackoffNanoseconds = policy.maximumBackoff.nanoseconds
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
        if self.inFlight > 0, self.run.isRefused || self.health.servesOneAtATime, let lastUse = self.lastUse {
            // Refused and not admitted again yet, or not proven by any answer yet: one request at a time finds out
            // whether the key is back (or good).
            let expiry = lastUse.advanced(by: self.health.policy.probeTimeout)
            if expiry > ready { ready = expiry }
        }
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

    /// Whether the key waits only on the answer to a request it carries (one at a time: not proven yet, or refused
    /// and not admitted again): it may be free the moment that answer comes, long before ``readyAt``'s bound.
    func awaitsAnswer(at now: Timestamp) -> Bool {
        guard self.inFlight > 0, self.run.isRefused || self.health.servesOneAtATime else { return false }
        if case .blocked = self.health.availability(at: now) { return false }
        return self.externalBlock <= now
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

    /// Notes the lease numbered `serial`, at `now`, for the interval EWMA. The key's first lease starts a run, and so
    /// does one after the key rested longer than the longest backoff (any window the pace can learn has emptied
    /// meanwhile).
    @inline(__always)
    mutating func noteLease(at now: Timestamp, serial: UInt64) {
        if let lastUse = self.lastUse {
            let gap = max(0, now.nanosecondsSinceEpoch &- lastUse.nanosecondsSinceEpoch)
            let interval = Double(gap)
            self.intervalEWMA = self.intervalEWMA == 0 ? interval : self.intervalEWMA * 0.8 + interval * 0.2
            if !self.run.isRefused && gap > self.maximumBackoffNanoseconds {
                self.run = AdmissionRun(start: now, serial: serial)
            }
        } else {
            self.run = AdmissionRun(start: now, serial: serial)
        }
        self.lastUse = now
    }

    /// The request of `lease` is over at `now`: a use that counts is moved from the instant it was leased to now,
    /// because the provider saw it somewhere in between. Rolling windows and spacing then count from the latest
    /// instant the provider can have counted it, so latency jitter can't squeeze one use too many into a window.
    @inline(__always)
    mutating func settle(_ lease: Lease, at now: Timestamp) {
        guard self.limiter.settlesAtCompletion, now > lease.acquiredAt else { return }
        self.limiter.settle(cost: lease.cost, acquiredAt: lease.acquiredAt, completedAt: now)
    }

    /// Counts a success of the request leased with `serial` in the key's run (not one leased before the run began).
    @inline(__always)
    mutating func countSuccess(serial: UInt64) {
        if serial >= self.run.startSerial { self.run.successes &+= 1 }
    }

    /// The provider refused the key's run at `now` (a 429 its limits did not predict). A run that filled the window
    /// quickly is measured when the key is admitted again; any other run steps the pace back now: one that held for
    /// `maximumBackoff` was only a little too fast (1/32 slower), one without a single success far too fast (twice as
    /// slow). A key with no pace yet starts from the interval it was being used at (at least 1 ms). `serial` is the
    /// pool's last lease serial number: leases numbered up to it were sent before the refusal.
    mutating func refuseRun(at now: Timestamp, serial: UInt64) {
        self.run.refusedAt = now
        self.run.refusedSerial = serial
        let measures = self.run.successes > 0 && self.run.filledQuickly(within: self.health.policy.maximumBackoff)
        guard !measures else { return }
        let base = self.learnedSpacing > 0 ? self.learnedSpacing : max(1_000_000, Int64(min(self.intervalEWMA, 1e15)))
        self.setPace(self.run.successes == 0 ? base * 2 : base + base >> 5)
    }

    /// The key was admitted again (a success of the request leased at `readmittedAt` with `serial`, after its run was
    /// refused). A run that filled the window quickly measures it: the provider admitted the run's successes between
    /// the run's start and the end of the cooldown after which it admitted the key again (the window has turned over
    /// by then), so the key is paced at that rate, 1/64 slower. A new run starts with this success.
    mutating func learnPace(readmittedAt: Timestamp, serial: UInt64, cooldownEnd: Timestamp?) {
        if self.run.successes > 0 && self.run.filledQuickly(within: self.health.policy.maximumBackoff) {
            let reopened = min(readmittedAt, cooldownEnd ?? readmittedAt)
            let measured = max(0, self.run.start.duration(to: reopened).nanoseconds) / Int64(self.run.successes)
            self.setPace(measured + measured >> 6)
        }
        self.run = AdmissionRun(start: readmittedAt, serial: serial, successes: 1)
    }

    /// Sets the learned spacing, kept between 1 ms and `maximumBackoff` (a pace of minutes would idle a key that is
    /// merely busy).
    private mutating func setPace(_ spacing: Int64) {
        self.learnedSpacing = min(max(spacing, 1_000_000), self.health.policy.maximumBackoff.nanoseconds)
        self.successesSincePaceChange = 0
    }

    /// When to retry the key after the 429 without `Retry-After` that refused its run, at `now`: after the usual
    /// `backoff` but at least `initialBackoff` (by then a per-second window, fixed or rolling, has turned over).
    func firstRetry(at now: Timestamp, backoff: Duration) -> Timestamp {
        let policy = self.health.policy
        return now.advanced(by: max(backoff, min(policy.initialBackoff, policy.maximumBackoff)))
    }

    /// When to retry the key after a retry was refused again without `Retry-After` at `now`, or `nil` for the usual
    /// `backoff`. A run that filled the window quickly searches for the window's length from where it most likely
    /// began, the run's start: the key waits until the run is twice as old (at least the usual backoff), at most until
    /// the run's next whole `maximumBackoff`, when a per-minute window (with the default) has turned over, and right
    /// until then when that is nearer than the wait. Measuring from that instant is then at most twice too slow.
    func nextRetry(at now: Timestamp, backoff: Duration) -> Timestamp? {
        let policy = self.health.policy
        guard self.run.filledQuickly(within: policy.maximumBackoff) else { return nil }
        let wait = max(now.advanced(by: backoff), self.run.start.advanced(by: self.run.start.duration(to: now) * 2))
        let window = max(policy.maximumBackoff.nanoseconds, 1)
        let windows = max(0, now.nanosecondsSinceEpoch &- self.run.start.nanosecondsSinceEpoch) / window + 1
        let turnover = self.run.start.advanced(
            by: .nanoseconds(windows.multipliedReportingOverflow(by: window).partialValue)
        )
        return turnover <= wait || wait.duration(to: turnover) < now.duration(to: wait) ? turnover : wait
    }

    /// A success relaxes the learned pace so the key probes back up to the provider's rate: by n/262,144 of it, n
    /// being the successes since the pace was last set (at most 1,024: 1/256). A measured pace barely moves over the
    /// next window or two; one measured twice too slow is back after about 600 successes.
    @inline(__always)
    mutating func relaxPace() {
        if self.learnedSpacing > 0 {
            let successes = Int64(min(self.successesSincePaceChange, 1024))
            self.learnedSpacing -= ((self.learnedSpacing >> 8) * successes) >> 10
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
