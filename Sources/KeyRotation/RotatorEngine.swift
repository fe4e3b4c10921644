import Foundation
import Synchronization

/// The clock-independent body of ``KeyRotator``: one `Mutex` around the state machine, and the actions taken
/// after unlocking. Non-generic, so the hot path is compiled once and needs no generic metadata.
@usableFromInline
final class RotatorEngine: Sendable {
    typealias StateMachine = KeyRotatorCore.StateMachine

    @usableFromInline let now: @Sendable () -> Timestamp
    private let sleep: @Sendable (Timestamp) async throws -> Void
    private let state: Mutex<StateMachine>
    private let store: (any KeyStateStore)?
    private let hasStore: Bool
    /// With a shared store: the leases out now, by serial, so ``settleOutstanding()`` can record them as completed
    /// when the process ends with requests in flight. Bounded (``outstandingLimit``): a lease dropped without a report
    /// is forgotten eventually.
    private let outstanding = Mutex<[UInt64: Lease]>([:])
    private static let outstandingLimit = 10_000
    private let eventContinuation: AsyncStream<KeyEvent>.Continuation

    let events: AsyncStream<KeyEvent>

    init<C: Clock>(
        keys: [APIKey],
        configuration: KeyRotator<C>.Configuration,
        now: @escaping @Sendable () -> Timestamp,
        sleep: @escaping @Sendable (Timestamp) async throws -> Void
    ) {
        self.now = now
        self.sleep = sleep
        self.store = configuration.stateStore
        self.hasStore = configuration.stateStore != nil
        (self.events, self.eventContinuation) = AsyncStream.makeStream(
            of: KeyEvent.self,
            bufferingPolicy: .bufferingNewest(max(1, configuration.eventBufferSize))
        )
        let start = now()
        var machine = StateMachine(
            keys: keys,
            strategy: configuration.strategy,
            policy: configuration.health,
            seed: configuration.seed,
            now: start
        )
        if let store = configuration.stateStore {
            do {
                let blocks = try store.blocks(fingerprints: machine.entries.map(\.key.fingerprint), at: start)
                for index in machine.entries.indices {
                    let key = machine.entries[index].key
                    let block = blocks[key.fingerprint]
                    if let block { machine.entries[index].health.restore(block) }
                    // Usage other runs left in the store: each limit's remaining units, and when the key is free.
                    for (part, limit) in key.limits.enumerated() {
                        switch try store.peek(fingerprint: key.fingerprint, cost: 1, limits: [limit], at: start) {
                        case .admitted(let remaining?):  // what would be left after this one unit
                            machine.entries[index].limiter.observe(part: part, remaining: remaining + 1, at: start)
                        case .admitted(nil):
                            break
                        case .notBefore(let instant) where block.map { instant <= $0.until } ?? false:
                            break  // refused for the block restored above (a cooldown), not for this limit
                        case .notBefore(let instant):
                            machine.entries[index].limiter.observe(part: part, remaining: 0, at: start)
                            machine.entries[index].externalBlock = max(machine.entries[index].externalBlock, instant)
                        }
                    }
                }
            } catch {
                self.eventContinuation.yield(KeyEvent(keyID: "*", kind: .storeFailed("\(error)"), at: start))
            }
        }
        self.state = Mutex(machine)
    }

    deinit { self.eventContinuation.finish() }

    // MARK: Acquiring

    @usableFromInline
    enum Answer: Sendable {
        case lease(Lease)
        case notBefore(Timestamp)
        case unavailable(KeyRotatorError)
    }

    @usableFromInline
    func tryAcquire(cost: Int) -> Answer {
        let now = self.now()
        if !self.hasStore {
            // Build the lease inside the lock (a plain value, no I/O): one enum on the way out instead of three.
            var probe: KeyHealth.ProbeReason?
            let answer = self.state.withLock { machine -> Answer in
                switch machine.tryAcquire(cost: cost, at: now, respectingQueue: true) {
                case .grant(let grant):
                    probe = grant.probe
                    return .lease(self.makeLease(grant))
                case .notBefore(let eta): return .notBefore(eta)
                case .unavailable(let error): return .unavailable(error)
                }
            }
            if let probe, case .lease(let lease) = answer {
                self.eventContinuation.yield(KeyEvent(keyID: lease.keyID, kind: .probing(probe), at: now))
            }
            return answer
        }
        let decision = self.state.withLock { $0.tryAcquire(cost: cost, at: now, respectingQueue: true) }
        switch decision {
        case .grant(let grant): return self.confirmWithStore(grant, cost: cost, now: now)
        case .notBefore(let eta): return .notBefore(eta)
        case .unavailable(let error): return .unavailable(error)
        }
    }

    /// `acquire`'s fast path: a lease when nobody waits and a key is ready now (tryAcquire never overtakes a
    /// waiter), for a pool without a shared store and a task not cancelled; else `nil`, no lease taken.
    func leaseIfReady(cost: Int) -> Lease? {
        guard !self.hasStore, !Task.isCancelled, case .lease(let lease) = self.tryAcquire(cost: cost) else {
            return nil
        }
        return lease
    }

    /// A lease on a key outside `avoiding` that is ready now, for a retry that had rather not go back to the keys
    /// that just failed it; `nil` when none is (no lease taken, nobody overtaken: the caller then waits as usual).
    func leaseIfReady(cost: Int, avoiding: [KeyID]) async -> Lease? {
        guard !Task.isCancelled else { return nil }
        let now = self.now()
        let decision = self.state.withLock {
            $0.tryAcquire(cost: cost, at: now, respectingQueue: true, avoiding: avoiding)
        }
        guard case .grant(let grant) = decision else { return nil }
        guard self.store != nil else { return self.lease(grant) }
        if case .lease(let lease) = await self.confirmOffThePool(grant, cost: cost, avoiding: avoiding) {
            return lease
        }
        return nil
    }

    func acquire(cost: Int, deadline: Timestamp?) async throws -> Lease {
        // The fast path: no continuation.
        if let lease = self.leaseIfReady(cost: cost) { return lease }
        return try await self.waitForLease(cost: cost, deadline: deadline)
    }

    /// `acquire` without its fast path, for a caller that has just tried ``leaseIfReady(cost:)`` (trying twice
    /// could draw the strategy's randomness twice).
    func waitForLease(cost: Int, deadline: Timestamp?, avoiding: [KeyID] = []) async throws -> Lease {
        for _ in 0..<64 {
            let grant = try await self.waitForGrant(cost: cost, deadline: deadline, avoiding: avoiding)
            guard self.store != nil else { return self.lease(grant) }
            switch await self.confirmOffThePool(grant, cost: cost, avoiding: avoiding) {
            case .lease(let lease): return lease
            case .unavailable(let error): throw error
            case .notBefore: continue  // spent elsewhere: wait again
            }
        }
        throw KeyRotatorError(.storeFailed, message: "the shared store refused every key 64 times in a row")
    }

    private func waitForGrant(
        cost: Int,
        deadline: Timestamp?,
        avoiding: [KeyID]
    ) async throws -> KeyRotatorCore.Grant {
        let id = self.state.withLock { $0.makeWaiterID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<KeyRotatorCore.Grant, any Error>) in
                let now = self.now()
                let actions = self.state.withLock {
                    $0.enqueue(
                        id: id,
                        cost: cost,
                        avoiding: avoiding,
                        deadline: deadline,
                        continuation: continuation,
                        at: now,
                        isCancelled: Task.isCancelled
                    )
                }
                self.perform(actions)
            }
        } onCancel: {
            let now = self.now()
            let (continuation, actions) = self.state.withLock { $0.removeWaiter(id: id, at: now) }
            continuation?.resume(throwing: StateMachine.cancelled)
            self.perform(actions)
        }
    }

    /// The lease for a grant, announcing a probe.
    func lease(_ grant: KeyRotatorCore.Grant) -> Lease {
        if let probe = grant.probe {
            self.eventContinuation.yield(KeyEvent(keyID: grant.material.id, kind: .probing(probe), at: grant.at))
        }
        let lease = self.makeLease(grant)
        if self.hasStore {
            self.outstanding.withLock { outstanding in
                if outstanding.count >= Self.outstandingLimit, let oldest = outstanding.keys.min() {
                    outstanding[oldest] = nil
                }
                outstanding[lease.serial] = lease
            }
        }
        return lease
    }

    /// Records every lease still out as completed now in the shared store (see ``KeyRotator/settleOutstanding()``).
    func settleOutstanding() {
        guard let store = self.store else { return }
        let leases = self.outstanding.withLock { outstanding in
            defer { outstanding.removeAll() }
            return Array(outstanding.values)
        }
        let now = self.now()
        for lease in leases { self.record(lease, .success(latency: .zero), in: store, at: now) }
    }

    /// Tells the shared store how `lease` ended at `now`: units given back for a request never sent, else the use
    /// moved to the instant it completed (rolling windows and spacing count from there). A failure is an event.
    private func record(_ lease: Lease, _ outcome: Outcome, in store: any KeyStateStore, at now: Timestamp) {
        let limits = self.state.withLock { $0.limits(of: lease.keyID) }
        do {
            if case .notCounted = outcome {
                try store.refund(fingerprint: lease.fingerprint, cost: lease.cost, limits: limits, at: lease.acquiredAt)
            } else if now > lease.acquiredAt {
                try store.settle(
                    fingerprint: lease.fingerprint,
                    cost: lease.cost,
                    acquiredAt: lease.acquiredAt,
                    completedAt: now,
                    limits: limits
                )
            }
        } catch {
            self.eventContinuation.yield(KeyEvent(keyID: lease.keyID, kind: .storeFailed("\(error)"), at: now))
        }
    }

    @inline(__always)
    private func makeLease(_ grant: KeyRotatorCore.Grant) -> Lease {
        Lease(
            material: grant.material,
            cost: grant.cost,
            acquiredAt: grant.at,
            isProbe: grant.probe != nil,
            slot: grant.slot,
            generation: grant.generation,
            serial: grant.serial,
            reporter: self
        )
    }

    /// Takes a grant back and lets waiters have what it freed.
    private func refuse(_ grant: KeyRotatorCore.Grant, until: Timestamp?, at now: Timestamp) {
        let actions = self.state.withLock { machine -> KeyRotatorCore.Actions in
            var actions = KeyRotatorCore.Actions()
            machine.refuse(grant, until: until, at: now)
            if !machine.waiters.isEmpty { machine.pump(at: now, actions: &actions) }
            return actions
        }
        self.perform(actions)
    }

    /// ``confirmWithStore(_:cost:now:)`` on a Dispatch thread: a store's I/O (a SQLite busy wait, a Redis round
    /// trip or its connect timeout during an outage) never blocks a thread of Swift's cooperative pool, which the
    /// rest of the program needs.
    private func confirmOffThePool(_ grant: KeyRotatorCore.Grant, cost: Int, avoiding: [KeyID]) async -> Answer {
        await withCheckedContinuation { continuation in
            Self.storeQueue.async {
                continuation.resume(
                    returning: self.confirmWithStore(grant, cost: cost, now: grant.at, avoiding: avoiding)
                )
            }
        }
    }

    /// Where store admissions run: concurrent, so one slow store call doesn't hold up another pool's.
    private static let storeQueue = DispatchQueue(label: "KeyRotation.store", attributes: .concurrent)

    /// Asks the shared store to confirm a local grant; on refusal, blocks the key locally and tries the next one.
    func confirmWithStore(
        _ first: KeyRotatorCore.Grant,
        cost: Int,
        now: Timestamp,
        avoiding: [KeyID] = []
    ) -> Answer {
        guard let store = self.store else { return .lease(self.lease(first)) }
        var grant = first
        var now = now
        for _ in 0...max(1, self.state.withLock { $0.entries.count }) {
            let admission: StoreAdmission
            do {
                let limits = self.state.withLock { $0.limits(of: grant.material.id) }
                admission = try store.admit(
                    fingerprint: grant.material.fingerprint,
                    cost: cost,
                    limits: limits,
                    at: now
                )
            } catch {
                self.refuse(grant, until: nil, at: now)
                self.eventContinuation.yield(
                    KeyEvent(keyID: grant.material.id, kind: .storeFailed("\(error)"), at: now)
                )
                return .unavailable(
                    KeyRotatorError(.storeFailed, message: "the key-state store failed, so no key was used: \(error)")
                )
            }
            switch admission {
            case .admitted: return .lease(self.lease(grant))
            case .notBefore(let until):
                self.eventContinuation.yield(
                    KeyEvent(keyID: grant.material.id, kind: .refusedByStore(until: until), at: now)
                )
                now = self.now()
                let decision = self.state.withLock { machine -> KeyRotatorCore.Decision in
                    machine.refuse(grant, until: until, at: now)
                    return machine.tryAcquire(cost: cost, at: now, respectingQueue: false, avoiding: avoiding)
                }
                switch decision {
                case .grant(let next): grant = next
                case .notBefore(let eta): return .notBefore(eta)
                case .unavailable(let error): return .unavailable(error)
                }
            }
        }
        self.refuse(grant, until: nil, at: now)
        return .notBefore(now.advanced(by: .milliseconds(10)))
    }

    // MARK: After unlocking

    private func perform(_ actions: KeyRotatorCore.Actions) {
        if actions.isEmpty { return }
        for (continuation, result) in actions.resumes { continuation.resume(with: result) }
        for event in actions.events { self.eventContinuation.yield(event) }
        if let store = self.store {
            for (fingerprint, block) in actions.blocks {
                do { try store.setBlock(block, fingerprint: fingerprint) } catch {
                    self.eventContinuation.yield(KeyEvent(keyID: "*", kind: .storeFailed("\(error)"), at: self.now()))
                }
            }
        }
        if let (at, generation) = actions.timer {
            let sleep = self.sleep
            Task { [weak self] in
                try? await sleep(at)
                guard let self else { return }
                let now = self.now()
                let actions = self.state.withLock { $0.timerFired(generation: generation, at: now) }
                self.perform(actions)
            }
        }
    }

    // MARK: Changing the pool

    /// Adds a key; `false` if a key with the same id is in the pool.
    @discardableResult
    func add(_ key: APIKey) -> Bool {
        let now = self.now()
        let (added, actions) = self.state.withLock { machine -> (Bool, KeyRotatorCore.Actions) in
            var actions = KeyRotatorCore.Actions()
            let added = machine.add(key, at: now)
            if added { machine.pump(at: now, actions: &actions) }
            return (added, actions)
        }
        if added { self.eventContinuation.yield(KeyEvent(keyID: key.id, kind: .added, at: now)) }
        self.perform(actions)
        return added
    }

    /// Removes a key; leases already out on it may still report (their reports are ignored).
    @discardableResult
    func remove(_ id: KeyID) -> Bool {
        let now = self.now()
        let (removed, actions) = self.state.withLock { machine -> (Bool, KeyRotatorCore.Actions) in
            var actions = KeyRotatorCore.Actions()
            let removed = machine.remove(id)
            if removed { machine.pump(at: now, actions: &actions) }
            return (removed, actions)
        }
        if removed { self.eventContinuation.yield(KeyEvent(keyID: id, kind: .removed, at: now)) }
        self.perform(actions)
        return removed
    }

    /// Changes a key's weight (weighted strategies).
    @discardableResult
    func setWeight(_ weight: Int, for id: KeyID) -> Bool {
        let now = self.now()
        let changed = self.state.withLock { $0.setWeight(weight, for: id) }
        if changed { self.eventContinuation.yield(KeyEvent(keyID: id, kind: .reconfigured, at: now)) }
        return changed
    }

    /// Changes a key's limits; usage already recorded carries over, so the change never over-admits.
    @discardableResult
    func setLimits(_ limits: [RateLimit], for id: KeyID) -> Bool {
        let now = self.now()
        let (changed, actions) = self.state.withLock { machine -> (Bool, KeyRotatorCore.Actions) in
            var actions = KeyRotatorCore.Actions()
            let changed = machine.setLimits(limits, for: id, at: now)
            if changed { machine.pump(at: now, actions: &actions) }
            return (changed, actions)
        }
        if changed { self.eventContinuation.yield(KeyEvent(keyID: id, kind: .reconfigured, at: now)) }
        self.perform(actions)
        return changed
    }

    /// Feeds what a server said about a key's remaining quota (from `X-RateLimit-*` or `RateLimit` headers).
    func observe(remaining: Int, resetAt: Timestamp?, for id: KeyID) {
        let now = self.now()
        let key = self.state.withLock { machine -> (fingerprint: String, limits: [RateLimit])? in
            machine.observe(remaining: remaining, resetAt: resetAt, keyID: id, at: now)
            return machine.indexByID[id].map { (machine.entries[$0].key.fingerprint, machine.entries[$0].key.limits) }
        }
        // What the server said holds for every process that shares the key: tell the shared store too.
        if self.hasStore, let store = self.store, let key {
            do {
                try store.observe(
                    remaining: remaining,
                    resetAt: resetAt,
                    fingerprint: key.fingerprint,
                    limits: key.limits,
                    at: now
                )
            } catch {
                self.eventContinuation.yield(KeyEvent(keyID: id, kind: .storeFailed("\(error)"), at: now))
            }
        }
    }

    // MARK: Reading

    /// A snapshot of every key and of the pool.
    func statistics() -> PoolStatistics {
        let now = self.now()
        return self.state.withLock { $0.statistics(at: now) }
    }

    func eta(cost: Int) -> Timestamp? {
        let now = self.now()
        return self.state.withLock { $0.eta(cost: cost, at: now) }
    }

    /// The keys in the pool (their secrets stay redacted in any description).
    var keys: [APIKey] { self.state.withLock { $0.entries.map(\.key) } }

    /// How many keys the pool holds.
    var keyCount: Int { self.state.withLock { $0.entries.count } }

    /// Tasks waiting in ``acquire(cost:deadline:)`` now.
    var waiterCount: Int { self.state.withLock { $0.waiters.count } }
}

extension RotatorEngine {
    @usableFromInline
    func report(_ lease: Lease, _ outcome: Outcome) {
        let now = self.now()
        let actions = self.state.withLock { machine -> KeyRotatorCore.Actions? in
            if machine.waiters.isEmpty && machine.reportQuietly(lease, outcome, at: now) { return nil }
            var actions = KeyRotatorCore.Actions()
            machine.report(lease, outcome, at: now, actions: &actions)
            if !machine.waiters.isEmpty { machine.pump(at: now, actions: &actions) }
            return actions
        }
        if let actions { self.perform(actions) }
        guard self.hasStore, let store = self.store else { return }
        _ = self.outstanding.withLock { $0.removeValue(forKey: lease.serial) }
        self.record(lease, outcome, in: store, at: now)
    }
}
