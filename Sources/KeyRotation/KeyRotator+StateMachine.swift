extension KeyRotatorCore {
    /// A key granted by the state machine; the rotator turns it into a ``Lease`` after unlocking.
    struct Grant: Sendable {
        var slot: Int
        var generation: UInt64
        /// The pool's serial number of this grant (1, 2, 3…): orders leases and refusals even at one instant.
        var serial: UInt64
        var material: KeyMaterial
        var cost: Int
        var at: Timestamp
        var probe: KeyHealth.ProbeReason?
    }

    enum Decision: Sendable {
        case grant(Grant)
        case notBefore(Timestamp)
        case unavailable(KeyRotatorError)
    }

    struct Waiter {
        var id: Int
        var cost: Int
        /// Keys this waiter must not get (they refused its request with 403).
        var avoiding: [KeyID] = []
        var deadline: Timestamp?
        var enqueuedAt: Timestamp
        var continuation: CheckedContinuation<Grant, any Error>
    }

    /// What to do after unlocking: resume waiters, start a timer, publish events, persist blocks.
    struct Actions {
        var resumes: [(CheckedContinuation<Grant, any Error>, Result<Grant, any Error>)] = []
        var timer: (at: Timestamp, generation: Int)?
        var events: [KeyEvent] = []
        var blocks: [(fingerprint: String, block: StoredBlock?)] = []

        var isEmpty: Bool { self.resumes.isEmpty && self.timer == nil && self.events.isEmpty && self.blocks.isEmpty }
    }

    /// The pool's decisions: a value type, free of locks, clocks and I/O.
    struct StateMachine {
        enum Selector {
            case roundRobin(RoundRobinSelector)
            case smoothWeighted(SmoothWeightedSelector)
            case mostRemainingQuota(MostRemainingQuotaSelector)
            case healthAware(HealthAwareSelector)

            init(_ strategy: SelectionStrategy) {
                switch strategy.wrapped {
                case .roundRobin(let delay, let spreads):
                    self = .roundRobin(RoundRobinSelector(minimumDelay: delay, spreadsUses: spreads))
                case .smoothWeighted: self = .smoothWeighted(SmoothWeightedSelector())
                case .mostRemainingQuota: self = .mostRemainingQuota(MostRemainingQuotaSelector())
                case .healthAware: self = .healthAware(HealthAwareSelector())
                }
            }

            /// When the strategy itself allows the next grant (a paced round robin), if it paces grants.
            func earliestGrant(keyCount: Int) -> Timestamp? {
                if case .roundRobin(let selector) = self { return selector.earliestGrant(keyCount: keyCount) }
                return nil
            }

            @inline(__always)
            mutating func select(
                from entries: inout ContiguousArray<KeyEntry>,
                cost: Int,
                at now: Timestamp,
                random: inout SplitMix64
            ) -> Int? {
                switch self {
                case .roundRobin(var selector):
                    let pick = selector.select(from: &entries, cost: cost, at: now, random: &random)
                    self = .roundRobin(selector)
                    return pick
                case .smoothWeighted(var selector):
                    let pick = selector.select(from: &entries, cost: cost, at: now, random: &random)
                    self = .smoothWeighted(selector)
                    return pick
                case .mostRemainingQuota(var selector):
                    let pick = selector.select(from: &entries, cost: cost, at: now, random: &random)
                    self = .mostRemainingQuota(selector)
                    return pick
                case .healthAware(var selector):
                    let pick = selector.select(from: &entries, cost: cost, at: now, random: &random)
                    self = .healthAware(selector)
                    return pick
                }
            }
        }

        var entries: ContiguousArray<KeyEntry> = []
        var indexByID: [KeyID: Int] = [:]
        var selector: Selector
        let spacing: Int64
        let policy: HealthPolicy
        var random: SplitMix64
        var generation: UInt64 = 0
        /// Grants so far, never decreasing: each grant's serial number, and the mark a refusal or block records so
        /// that leases taken before it are told apart from later ones even when the clock has not moved.
        var serial: UInt64 = 0

        var acquires = 0
        var rotations = 0
        var waits = 0
        var rateLimited = 0
        var lastSlot = -1

        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var timerTarget: Timestamp?
        var timerGeneration = 0

        init(keys: [APIKey], strategy: SelectionStrategy, policy: HealthPolicy, seed: UInt64, now: Timestamp) {
            self.selector = Selector(strategy)
            self.spacing = strategy.spacingNanoseconds
            self.policy = policy
            self.random = SplitMix64(seed: seed)
            for key in keys where self.indexByID[key.id] == nil {
                self.indexByID[key.id] = self.entries.count
                self.entries.append(KeyEntry(key: key, now: now, policy: policy))
            }
        }

        // MARK: Acquiring

        /// ``tryAcquire(cost:at:respectingQueue:)`` that never picks the keys in `avoiding`: they are hidden behind
        /// an external block for the decision (strategies and the ETA skip them), then shown again.
        mutating func tryAcquire(
            cost: Int,
            at now: Timestamp,
            respectingQueue: Bool,
            avoiding: [KeyID]
        ) -> Decision {
            if avoiding.isEmpty { return self.tryAcquire(cost: cost, at: now, respectingQueue: respectingQueue) }
            var hidden: [(slot: Int, block: Timestamp)] = []
            for id in avoiding {
                guard let slot = self.indexByID[id] else { continue }
                hidden.append((slot, self.entries[slot].externalBlock))
                self.entries[slot].externalBlock = .distantFuture
            }
            defer { for (slot, block) in hidden.reversed() { self.entries[slot].externalBlock = block } }
            let decision = self.tryAcquire(cost: cost, at: now, respectingQueue: respectingQueue)
            if case .grant = decision { return decision }
            // Every key left to this request is quarantined: waiting for their probes would only end in a 401.
            let hiddenSlots = Set(hidden.map(\.slot))
            let othersInvalid = self.entries.indices.allSatisfy {
                hiddenSlots.contains($0) || self.entries[$0].health.isInvalid(at: now)
            }
            if othersInvalid && hiddenSlots.count < self.entries.count {
                return .unavailable(
                    KeyRotatorError(
                        .allKeysInvalid,
                        message: "every key this request may use was rejected as invalid (401), and the others "
                            + "refused it (403); check or replace the keys"
                    )
                )
            }
            return decision
        }

        @inline(__always)
        mutating func tryAcquire(cost: Int, at now: Timestamp, respectingQueue: Bool) -> Decision {
            if respectingQueue && !self.waiters.isEmpty { return self.unavailableOrETA(cost: cost, at: now) }
            guard let slot = self.selector.select(from: &self.entries, cost: cost, at: now, random: &self.random) else {
                return self.unavailableOrETA(cost: cost, at: now)
            }
            return .grant(self.grant(slot: slot, cost: cost, at: now))
        }

        @inline(__always)
        private mutating func grant(slot: Int, cost: Int, at now: Timestamp) -> Grant {
            self.serial &+= 1
            let serial = self.serial
            let sequence = self.acquires + 1
            // One pass over the entry in place: each `entries[slot].field` mutation would check the array's
            // uniqueness again.
            let (probe, material) = self.entries.withUnsafeMutableBufferPointer { buffer in
                Self.take(&buffer[slot], cost: cost, serial: serial, sequence: sequence, at: now)
            }
            self.acquires += 1
            if slot != self.lastSlot {
                if self.lastSlot >= 0 { self.rotations += 1 }
                self.lastSlot = slot
            }
            return Grant(
                slot: slot,
                generation: self.generation,
                serial: serial,
                material: material,
                cost: cost,
                at: now,
                probe: probe
            )
        }

        /// Records a lease of `entry` (serial `serial`, the pool's `sequence`-th grant) at `now`.
        @inline(__always)
        private static func take(
            _ entry: inout KeyEntry,
            cost: Int,
            serial: UInt64,
            sequence: Int,
            at now: Timestamp
        ) -> (KeyHealth.ProbeReason?, KeyMaterial) {
            var probe: KeyHealth.ProbeReason?
            if case .probe(let reason) = entry.health.availability(at: now) {
                probe = reason
                entry.health.beginProbe(reason, at: now)
            }
            if !entry.limiter.isUnlimited { entry.limiter.record(cost: cost, at: now) }
            entry.noteLease(at: now, serial: serial)
            entry.lastUseSequence = sequence
            entry.uses += 1
            entry.inFlight += 1
            return (probe, entry.key.material)
        }

        /// When the pool can serve `cost` units, or why it never will.
        func unavailableOrETA(cost: Int, at now: Timestamp) -> Decision {
            if self.entries.isEmpty {
                return .unavailable(KeyRotatorError(.noKeys, message: "the pool has no keys; add at least one key"))
            }
            var earliest = Timestamp.distantFuture
            var allInvalid = true
            let spacing = self.spacing
            self.entries.withUnsafeBufferPointer { buffer in  // in place: no copy of any entry
                for index in buffer.indices {
                    if allInvalid && !buffer[index].health.isInvalid(at: now) { allInvalid = false }
                    let ready = buffer[index].readyAt(cost: cost, at: now, spacing: spacing)
                    if ready < earliest { earliest = ready }
                }
            }
            if allInvalid {
                return .unavailable(
                    KeyRotatorError(
                        .allKeysInvalid,
                        eta: earliest == .distantFuture ? nil : earliest,
                        message:
                            "the provider rejected every key in the pool as invalid (401); check or replace the keys"
                    )
                )
            }
            if earliest != .distantFuture, let cadence = self.selector.earliestGrant(keyCount: self.entries.count) {
                earliest = max(earliest, cadence)
            }
            if earliest == .distantFuture {
                return .unavailable(
                    KeyRotatorError(
                        .costExceedsCapacity,
                        message: "a request costing \(cost) units exceeds what any key's limits can ever admit"
                    )
                )
            }
            return .notBefore(max(earliest, now))
        }

        /// The pool's ETA for `cost` units (`nil` when it can serve now or never will).
        func eta(cost: Int, at now: Timestamp) -> Timestamp? {
            if case .notBefore(let eta) = self.unavailableOrETA(cost: cost, at: now), eta > now { return eta }
            return nil
        }

        // MARK: Reporting

        func slot(for lease: Lease) -> Int? {
            // Slots move only when a key is removed, and that starts a new generation: a lease of this generation
            // still names its key's slot (reading the entry's material to check would copy the whole entry).
            if lease.generation == self.generation, lease.slot < self.entries.count { return lease.slot }
            return self.indexByID[lease.keyID]
        }

        /// The common case, handled without building actions: a healthy key answered (no state change, no event,
        /// no block to persist), or the key is gone. Returns `false` when ``report(_:_:at:actions:)`` must run.
        @inline(__always)
        mutating func reportQuietly(_ lease: Lease, _ outcome: Outcome, at now: Timestamp) -> Bool {
            guard let slot = self.slot(for: lease) else { return true }  // the key was removed meanwhile
            guard case .success(let latency) = outcome else { return false }
            // One pass over the entry in place (each `entries[slot].field` mutation checks uniqueness again).
            return self.entries.withUnsafeMutableBufferPointer { buffer in
                Self.completeQuietly(&buffer[slot], lease, latency: latency, at: now)
            }
        }

        /// ``reportQuietly(_:_:at:)`` on the entry: `false`, changing nothing, unless the key is plainly healthy.
        @inline(__always)
        private static func completeQuietly(
            _ entry: inout KeyEntry,
            _ lease: Lease,
            latency: Duration,
            at now: Timestamp
        ) -> Bool {
            guard entry.health.isPlainlyAvailable, entry.lastQuotaRefusal == nil,
                !entry.run.isRefused(beforeLease: lease.serial)
            else { return false }
            entry.inFlight = max(0, entry.inFlight - 1)
            entry.recordLatency(latency)
            entry.relaxPace()
            entry.countSuccess(serial: lease.serial)
            entry.settle(lease, at: now)
            return true
        }

        /// A 429 the key's limits did not predict (learned pacing); returns the outcome to record. The first one for a
        /// request of the key's run refuses the run (see ``KeyEntry/refuseRun(at:serial:)``). Without `Retry-After`,
        /// ``KeyEntry/firstRetry(at:backoff:)`` says when to retry the key, and for a retry refused again
        /// ``KeyEntry/nextRetry(at:backoff:)``. A 429 for a request leased before the run began or was refused adds
        /// nothing (the same full window refused it), unless it brings a `Retry-After`.
        private mutating func learnFromRefusal(
            slot: Int,
            lease: Lease,
            retryAfter: Duration?,
            jitter: Double,
            at now: Timestamp
        ) -> Outcome {
            let outcome = Outcome.rateLimited(retryAfter: retryAfter)
            let run = self.entries[slot].run
            if run.supersedes(lease: lease.serial) { return retryAfter == nil ? .abandoned : outcome }
            let backoff = self.entries[slot].health.nextBackoff(jitter: jitter)
            if !run.isRefused {
                self.entries[slot].refuseRun(at: now, serial: self.serial)
                guard retryAfter == nil else { return outcome }
                return .rateLimited(
                    retryAfter: now.duration(to: self.entries[slot].firstRetry(at: now, backoff: backoff))
                )
            }
            guard retryAfter == nil, let retry = self.entries[slot].nextRetry(at: now, backoff: backoff) else {
                return outcome
            }
            return .rateLimited(retryAfter: now.duration(to: retry))
        }

        mutating func report(_ lease: Lease, _ outcome: Outcome, at now: Timestamp, actions: inout Actions) {
            guard let slot = self.slot(for: lease) else { return }  // the key was removed meanwhile
            self.entries[slot].inFlight = max(0, self.entries[slot].inFlight - 1)
            if case .notCounted = outcome {} else { self.entries[slot].settle(lease, at: now) }
            let before = self.entries[slot].health.storedBlock
            var jitter: Double?  // the 429 backoff's, drawn here only when learned pacing needs it first
            var outcome = outcome
            switch outcome {
            case .success(let latency):
                self.entries[slot].recordLatency(latency)
                self.entries[slot].relaxPace()
                if self.entries[slot].run.isRefused(beforeLease: lease.serial) {
                    let cooldownEnd = self.entries[slot].health.blockedUntil
                    self.entries[slot].learnPace(
                        readmittedAt: lease.acquiredAt,
                        serial: lease.serial,
                        cooldownEnd: cooldownEnd
                    )
                } else {
                    self.entries[slot].countSuccess(serial: lease.serial)
                }
                self.entries[slot].lastQuotaRefusal = nil
            case .rateLimited(let retryAfter):
                self.rateLimited += 1
                self.entries[slot].rateLimitedCount += 1
                self.entries[slot].recordFailure(at: now)
                if self.policy.learnsPacing
                    && self.entries[slot].limiter.shortWindowBlock(cost: lease.cost, at: now) == nil
                {
                    let draw = self.random.nextUnitInterval()
                    jitter = draw
                    outcome = self.learnFromRefusal(
                        slot: slot,
                        lease: lease,
                        retryAfter: retryAfter,
                        jitter: draw,
                        at: now
                    )
                }
            case .transientFailure:
                self.entries[slot].failureCount += 1
                self.entries[slot].recordFailure(at: now)
            case .invalidKey:
                self.entries[slot].recordFailure(at: now)
            case .quotaExhausted(let resetAt):
                self.rateLimited += 1
                self.entries[slot].rateLimitedCount += 1
                // A repeat: this request was leased after an earlier quota refusal of the key and no success came
                // between. The short window has had its chance (the key already rested for it), so the quota itself
                // is spent. Requests already in flight at the first refusal are not repeats. A first refusal the
                // counts did not predict (another client used the key, a request the HTTP stack resent unseen) rests
                // the key until its short windows have turned over, not for the day.
                let isRepeat = self.entries[slot].lastQuotaRefusal.map { lease.serial > $0 } ?? false
                if resetAt == nil { self.entries[slot].lastQuotaRefusal = self.serial }
                if let resetAt {
                    outcome = .quotaExhausted(resetAt: resetAt)
                } else if !isRepeat, let short = self.entries[slot].limiter.shortWindowBlock(cost: lease.cost, at: now)
                {
                    // The short window is full: this is the per-minute limit talking, not the daily quota.
                    outcome = .rateLimited(retryAfter: now.duration(to: short))
                } else if !isRepeat, let turnover = self.entries[slot].limiter.shortWindowTurnover(at: now) {
                    outcome = .rateLimited(retryAfter: now.duration(to: turnover))
                } else if let reset = self.entries[slot].limiter.exhaustLongestCalendarWindow(at: now) {
                    outcome = .quotaExhausted(resetAt: reset)
                }
            case .abandoned:
                break
            case .notCounted:
                if !self.entries[slot].limiter.isUnlimited {
                    self.entries[slot].limiter.refund(cost: lease.cost, at: lease.acquiredAt)
                }
                self.entries[slot].uses = max(0, self.entries[slot].uses - 1)
                self.acquires = max(0, self.acquires - 1)
            }
            switch (outcome, self.entries[slot].health.state) {
            case (.success, .coolingDown), (.success, .quotaExhausted):
                // A request sent before the provider refused the key answered late: it lifts no block.
                if lease.serial <= self.entries[slot].blockedSinceSerial { outcome = .abandoned }
            case (_, .probing) where !lease.isProbe:
                // Only the probe's own outcome ends a probe.
                if case .invalidKey = outcome {} else { outcome = .abandoned }
            default:
                break
            }
            if case .abandoned = outcome, case .probing = self.entries[slot].health.state, !lease.isProbe {
                return
            }
            let backoffJitter = jitter ?? self.random.nextUnitInterval()
            if let state = self.entries[slot].health.record(outcome, at: now, jitter: backoffJitter) {
                actions.events.append(KeyEvent(keyID: lease.keyID, kind: .stateChanged(state), at: now))
            }
            let after = self.entries[slot].health.storedBlock
            if after != before {
                if after != nil { self.entries[slot].blockedSinceSerial = self.serial }
                actions.blocks.append((self.entries[slot].key.fingerprint, after))
            }
        }

        /// Takes back a grant the shared store refused: the key is spent elsewhere until `until`.
        mutating func refuse(_ grant: Grant, until: Timestamp?, at now: Timestamp) {
            guard let slot = self.indexByID[grant.material.id] else { return }
            if !self.entries[slot].limiter.isUnlimited {
                self.entries[slot].limiter.refund(cost: grant.cost, at: grant.at)
            }
            self.entries[slot].uses = max(0, self.entries[slot].uses - 1)
            self.entries[slot].inFlight = max(0, self.entries[slot].inFlight - 1)
            self.acquires = max(0, self.acquires - 1)
            if let until { self.entries[slot].externalBlock = max(self.entries[slot].externalBlock, until) }
            if grant.probe != nil { _ = self.entries[slot].health.record(.notCounted, at: now) }
        }

        func limits(of id: KeyID) -> [RateLimit] {
            self.indexByID[id].map { self.entries[$0].key.limits } ?? []
        }

        mutating func observe(remaining: Int, resetAt: Timestamp?, keyID: KeyID, at now: Timestamp) {
            guard let slot = self.indexByID[keyID] else { return }
            self.entries[slot].limiter.observe(remaining: remaining, resetAt: resetAt, at: now)
        }

        // MARK: Waiting

        mutating func makeWaiterID() -> Int {
            self.nextWaiterID += 1
            return self.nextWaiterID
        }

        /// Serves at once if nobody waits and a key is ready; else queues (or fails when the deadline can't be met).
        mutating func enqueue(
            id: Int,
            cost: Int,
            avoiding: [KeyID] = [],
            deadline: Timestamp?,
            continuation: CheckedContinuation<Grant, any Error>,
            at now: Timestamp,
            isCancelled: Bool
        ) -> Actions {
            var actions = Actions()
            if isCancelled {
                actions.resumes.append((continuation, .failure(Self.cancelled)))
                return actions
            }
            switch self.tryAcquire(cost: cost, at: now, respectingQueue: true, avoiding: avoiding) {
            case .grant(let grant):
                actions.resumes.append((continuation, .success(grant)))
                return actions
            case .unavailable(let error):
                actions.resumes.append((continuation, .failure(error)))
                return actions
            case .notBefore(let eta):
                if let deadline, deadline < eta, !self.mayBeFreeSooner(at: now) {
                    actions.resumes.append((continuation, .failure(Self.deadlineError(eta: eta, deadline: deadline))))
                    return actions
                }
            }
            self.waits += 1
            self.waiters.append(
                Waiter(
                    id: id,
                    cost: cost,
                    avoiding: avoiding,
                    deadline: deadline,
                    enqueuedAt: now,
                    continuation: continuation
                )
            )
            self.pump(at: now, actions: &actions)
            return actions
        }

        /// Removes a cancelled waiter; its continuation is resumed by the caller. Others move up.
        mutating func removeWaiter(id: Int, at now: Timestamp) -> (CheckedContinuation<Grant, any Error>?, Actions) {
            var actions = Actions()
            guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return (nil, actions) }
            let waiter = self.waiters.remove(at: index)
            self.pump(at: now, actions: &actions)
            return (waiter.continuation, actions)
        }

        /// Serves waiters in order while keys are ready, fails those whose deadline can't be met, and asks for a
        /// timer at the next instant anything can change.
        mutating func pump(at now: Timestamp, actions: inout Actions) {
            while let head = self.waiters.first {
                switch self.tryAcquire(cost: head.cost, at: now, respectingQueue: false, avoiding: head.avoiding) {
                case .grant(let grant):
                    self.waiters.removeFirst()
                    actions.resumes.append((head.continuation, .success(grant)))
                    continue
                case .unavailable(let error) where error.code == .costExceedsCapacity || !head.avoiding.isEmpty:
                    // Only this waiter's request is impossible (its cost, or the keys it avoids); those behind it may
                    // still be served.
                    self.waiters.removeFirst()
                    actions.resumes.append((head.continuation, .failure(error)))
                    continue
                case .unavailable(let error):
                    for waiter in self.waiters { actions.resumes.append((waiter.continuation, .failure(error))) }
                    self.waiters.removeAll()
                case .notBefore(let eta):
                    if let deadline = head.deadline, deadline < eta, !self.mayBeFreeSooner(at: now) {
                        self.waiters.removeFirst()
                        actions.resumes.append(
                            (head.continuation, .failure(Self.deadlineError(eta: eta, deadline: deadline)))
                        )
                        continue
                    }
                    var wake = eta
                    for waiter in self.waiters {
                        if let deadline = waiter.deadline, deadline < wake { wake = deadline }
                    }
                    for index in self.waiters.indices.reversed() {
                        if let deadline = self.waiters[index].deadline, deadline <= now {
                            let waiter = self.waiters.remove(at: index)
                            actions.resumes.append(
                                (waiter.continuation, .failure(Self.deadlineError(eta: eta, deadline: deadline)))
                            )
                        }
                    }
                    if self.timerTarget == nil || wake < self.timerTarget! {
                        self.timerTarget = wake
                        self.timerGeneration += 1
                        actions.timer = (wake, self.timerGeneration)
                    }
                }
                break
            }
        }

        /// Whether a key may be free before `eta`, the bound the limits give: one that waits only on the answer to
        /// the request it carries (see ``KeyEntry/awaitsAnswer(at:)``). A waiter whose deadline is before `eta` then
        /// waits until its deadline rather than being refused at once.
        func mayBeFreeSooner(at now: Timestamp) -> Bool {
            self.entries.contains { $0.awaitsAnswer(at: now) }
        }

        mutating func timerFired(generation: Int, at now: Timestamp) -> Actions {
            if generation == self.timerGeneration { self.timerTarget = nil }
            var actions = Actions()
            self.pump(at: now, actions: &actions)
            return actions
        }

        static var cancelled: KeyRotatorError {
            KeyRotatorError(.cancelled, message: "the task waiting for a key was cancelled; it took no slot")
        }

        static func deadlineError(eta: Timestamp, deadline: Timestamp) -> KeyRotatorError {
            KeyRotatorError(
                .deadlineExceeded,
                eta: eta,
                message: "no key can serve before the deadline (\(deadline)); the pool can serve at \(eta)"
            )
        }

        // MARK: Changing the pool

        mutating func add(_ key: APIKey, at now: Timestamp) -> Bool {
            guard self.indexByID[key.id] == nil else { return false }
            self.indexByID[key.id] = self.entries.count
            self.entries.append(KeyEntry(key: key, now: now, policy: self.policy))
            return true
        }

        mutating func remove(_ id: KeyID) -> Bool {
            guard let slot = self.indexByID[id] else { return false }
            self.entries.remove(at: slot)
            self.generation += 1
            self.indexByID.removeAll(keepingCapacity: true)
            for (index, entry) in self.entries.enumerated() { self.indexByID[entry.key.id] = index }
            self.lastSlot = -1
            return true
        }

        mutating func setWeight(_ weight: Int, for id: KeyID) -> Bool {
            guard let slot = self.indexByID[id] else { return false }
            self.entries[slot].weight = max(1, weight)
            self.entries[slot].key.weight = max(1, weight)
            return true
        }

        mutating func setLimits(_ limits: [RateLimit], for id: KeyID, at now: Timestamp) -> Bool {
            guard let slot = self.indexByID[id] else { return false }
            self.entries[slot].limiter.setLimits(limits, at: now)
            self.entries[slot].key.limits = limits
            return true
        }

        // MARK: Statistics

        func statistics(at now: Timestamp) -> PoolStatistics {
            let keys = self.entries.map { entry -> PoolStatistics.Key in
                let ready = entry.readyAt(cost: 1, at: now, spacing: self.spacing)
                let remaining = entry.limiter.remainingPerLimit(at: now)
                return PoolStatistics.Key(
                    id: entry.key.id,
                    state: entry.health.state,
                    weight: entry.weight,
                    uses: entry.uses,
                    inFlight: entry.inFlight,
                    rateLimited: entry.rateLimitedCount,
                    failures: entry.failureCount,
                    remaining: Array(zip(entry.limiter.limits, remaining)).map { (limit: $0.0, remaining: $0.1) },
                    nextAvailable: ready > now ? ready : nil,
                    latency: entry.latencyEWMA > 0 ? .nanoseconds(Int64(entry.latencyEWMA)) : nil,
                    learnedSpacing: entry.learnedSpacing > 0 ? .nanoseconds(entry.learnedSpacing) : nil
                )
            }
            return PoolStatistics(
                keys: keys,
                acquires: self.acquires,
                rotations: self.rotations,
                waits: self.waits,
                rateLimited: self.rateLimited,
                waiters: self.waiters.count,
                nextAvailable: self.eta(cost: 1, at: now)
            )
        }
    }
}
