/// One key's health: a value-type state machine, free of clocks and I/O.
///
/// ```
/// available ──429──▶ coolingDown(until) ──time──▶ available
///     │  └──401/403──▶ invalid(until) ──time──▶ one probe ──ok──▶ available / ──401──▶ invalid again
///     │  └──quota spent──▶ quotaExhausted(until reset) ──time──▶ available
///     └──N transient failures──▶ circuitOpen(until) ──time──▶ one half-open probe ──ok──▶ available
/// ```
///
/// A key is *unproven* until the provider first answers it with anything but 401/403 (a success, a 429, a spent
/// quota): an unproven key serves one request at a time (``HealthPolicy/probesNewKeys``), so a revoked key costs
/// one request, not one per caller. A 401/403 makes it unproven again: the probe after its quarantine is one request.
public struct KeyHealth: Hashable, Sendable {
    /// Where the key stands.
    public enum State: Hashable, Sendable {
        /// Usable (subject to its limits).
        case available
        /// Throttled by the provider; usable again at `until`.
        case coolingDown(until: Timestamp)
        /// Rejected credentials; one probe is allowed at `until`.
        case invalid(until: Timestamp)
        /// Quota spent; usable again when the window resets at `until`.
        case quotaExhausted(until: Timestamp)
        /// Repeated transient failures; one half-open probe is allowed at `until`.
        case circuitOpen(until: Timestamp)
        /// One probe is in flight (after `invalid` or `circuitOpen`); nobody else may use the key.
        case probing(since: Timestamp, after: ProbeReason)
    }

    /// Why a key is being probed.
    public enum ProbeReason: Hashable, Sendable {
        /// It was rejected as invalid.
        case invalid
        /// Its circuit was open.
        case circuitOpen
    }

    /// What the key may do at an instant.
    public enum Availability: Hashable, Sendable {
        /// Usable now.
        case available
        /// Usable for exactly one probe now.
        case probe(ProbeReason)
        /// Not before this instant.
        case blocked(until: Timestamp)
    }

    /// Where the key stands.
    public private(set) var state: State = .available
    /// 429s in a row (drives the backoff).
    public private(set) var consecutiveRateLimits = 0
    /// Transient failures in a row (drives the circuit breaker).
    public private(set) var consecutiveFailures = 0
    /// Whether the provider has answered the key with anything but 401/403 since it joined the pool (or since its
    /// last 401/403). Server errors and timeouts prove nothing: they say nothing of the key.
    public private(set) var isProven = false
    /// The policy.
    public var policy: HealthPolicy

    /// Creates a healthy key.
    public init(policy: HealthPolicy = .default) { self.policy = policy }

    /// What the key may do at `now`.
    @inline(__always)
    public func availability(at now: Timestamp) -> Availability {
        switch self.state {
        case .available: return .available
        case .coolingDown(let until), .quotaExhausted(let until):
            return now >= until ? .available : .blocked(until: until)
        case .invalid(let until):
            return now >= until ? .probe(.invalid) : .blocked(until: until)
        case .circuitOpen(let until):
            return now >= until ? .probe(.circuitOpen) : .blocked(until: until)
        case .probing(let since, let reason):
            let expiry = since.advanced(by: self.policy.probeTimeout)
            return now >= expiry ? .probe(reason) : .blocked(until: expiry)
        }
    }

    /// Whether the key is available with no failure streak to reset: a success changes nothing.
    @inline(__always)
    var isPlainlyAvailable: Bool {
        if case .available = self.state {
            return self.consecutiveRateLimits == 0 && self.consecutiveFailures == 0 && self.isProven
        }
        return false
    }

    /// Whether the key may serve only one request at a time because no answer proved it yet (see ``isProven``).
    @inline(__always)
    var servesOneAtATime: Bool { !self.isProven && self.policy.probesNewKeys }

    /// Whether the key is quarantined as invalid (and not yet due for its probe) at `now`.
    public func isInvalid(at now: Timestamp) -> Bool {
        switch self.state {
        case .invalid(let until): now < until
        case .probing(_, .invalid): true
        default: false
        }
    }

    /// Whether the key is cooling down after a 429 at `now`.
    public func isCoolingDown(at now: Timestamp) -> Bool {
        if case .coolingDown(let until) = self.state { return now < until }
        return false
    }

    /// Marks that the one probe is in flight.
    public mutating func beginProbe(_ reason: ProbeReason, at now: Timestamp) {
        self.state = .probing(since: now, after: reason)
    }

    /// Records how a request went and returns the new state if it changed.
    ///
    /// - Parameters:
    ///   - outcome: The outcome. ``Outcome/quotaExhausted(resetAt:)`` must carry an instant here: the rotator
    ///     resolves `nil` from the key's limits first.
    ///   - now: When the outcome was observed.
    ///   - jitter: A number in [0, 1) for the backoff's jitter (tests pass a fixed one).
    @discardableResult
    public mutating func record(_ outcome: Outcome, at now: Timestamp, jitter: Double = 0.5) -> State? {
        let before = self.state
        switch outcome {
        case .success:
            self.consecutiveRateLimits = 0
            self.consecutiveFailures = 0
            self.isProven = true
            self.state = .available
        case .notCounted, .abandoned:
            if case .probing(_, let reason) = self.state {
                // The probe never happened: allow another one now.
                self.state = reason == .invalid ? .invalid(until: now) : .circuitOpen(until: now)
            }
        case .rateLimited(let retryAfter):
            self.consecutiveRateLimits += 1
            self.isProven = true
            let pause = retryAfter.map { max($0, .zero) } ?? self.backoff(jitter: jitter)
            self.state = .coolingDown(until: max(self.blockedUntil ?? now, now.advanced(by: pause)))
        case .quotaExhausted(let resetAt):
            self.isProven = true
            let until = resetAt ?? now.advanced(by: self.policy.unknownQuotaResetDelay)
            self.state = .quotaExhausted(until: max(until, now))
        case .invalidKey:
            self.isProven = false
            self.state = .invalid(until: now.advanced(by: self.policy.invalidKeyQuarantine))
        case .transientFailure:
            self.consecutiveFailures += 1
            if case .probing(_, .circuitOpen) = self.state {
                self.state = .circuitOpen(until: now.advanced(by: self.policy.circuitOpenDuration))
            } else if case .probing(_, .invalid) = self.state {
                self.state = .invalid(until: now)  // inconclusive: probe again
            } else if self.consecutiveFailures >= self.policy.failureThreshold {
                self.state = .circuitOpen(until: now.advanced(by: self.policy.circuitOpenDuration))
            }
        }
        return self.state == before ? nil : self.state
    }

    /// The instant the current block ends, if the key is blocked.
    public var blockedUntil: Timestamp? {
        switch self.state {
        case .available, .probing: nil
        case .coolingDown(let until), .invalid(let until), .quotaExhausted(let until), .circuitOpen(let until): until
        }
    }

    /// Exponential backoff with equal jitter: half the step fixed, half random, capped.
    func backoff(jitter: Double) -> Duration {
        let exponent = min(self.consecutiveRateLimits - 1, 30)
        let step = min(
            self.policy.initialBackoff.nanoseconds.multipliedReportingOverflow(by: 1 << max(0, exponent)).overflow
                ? Int64.max : self.policy.initialBackoff.nanoseconds << max(0, exponent),
            self.policy.maximumBackoff.nanoseconds
        )
        let half = step / 2
        return .nanoseconds(half + Int64(Double(step - half) * min(max(jitter, 0), 1)))
    }

    /// The backoff the next 429 without Retry-After would start (one more in a row than now).
    func nextBackoff(jitter: Double) -> Duration {
        var next = self
        next.consecutiveRateLimits += 1
        return next.backoff(jitter: jitter)
    }

    /// Restores a block persisted by a ``KeyStateStore``. A cooldown or a spent quota was an answer of the provider
    /// to the key: it proves the key.
    public mutating func restore(_ block: StoredBlock) {
        if block.reason != .invalid { self.isProven = true }
        switch block.reason {
        case .coolingDown: self.state = .coolingDown(until: block.until)
        case .invalid: self.state = .invalid(until: block.until)
        case .quotaExhausted: self.state = .quotaExhausted(until: block.until)
        case .circuitOpen: self.state = .circuitOpen(until: block.until)
        }
    }

    /// The block to persist for the current state, if any.
    public var storedBlock: StoredBlock? {
        switch self.state {
        case .available, .probing: nil
        case .coolingDown(let until): StoredBlock(reason: .coolingDown, until: until)
        case .invalid(let until): StoredBlock(reason: .invalid, until: until)
        case .quotaExhausted(let until): StoredBlock(reason: .quotaExhausted, until: until)
        case .circuitOpen(let until): StoredBlock(reason: .circuitOpen, until: until)
        }
    }
}

extension KeyHealth.State: CustomStringConvertible {
    public var description: String {
        switch self {
        case .available: "available"
        case .coolingDown(let until): "cooling down until \(until)"
        case .invalid(let until): "invalid until \(until)"
        case .quotaExhausted(let until): "quota exhausted until \(until)"
        case .circuitOpen(let until): "circuit open until \(until)"
        case .probing(_, let reason): "probing (\(reason == .invalid ? "was invalid" : "circuit half-open"))"
        }
    }

    /// A one-word name: `available`, `cooling-down`, `invalid`, `exhausted`, `circuit-open`, `probing`.
    public var name: String {
        switch self {
        case .available: "available"
        case .coolingDown: "cooling-down"
        case .invalid: "invalid"
        case .quotaExhausted: "exhausted"
        case .circuitOpen: "circuit-open"
        case .probing: "probing"
        }
    }
}
