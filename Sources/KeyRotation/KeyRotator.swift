import Foundation
import Synchronization

/// The namespace of the rotator's clock-independent parts (state machine, grants, actions).
enum KeyRotatorCore {}

/// A pool of keys for one service: hands out the key to use now, never breaks a key's limits, and routes around
/// keys that fail.
///
/// All state sits behind one `Mutex`; nothing sleeps or awaits while holding it. Decisions are made by a value-type
/// state machine; the rotator reads the clock, locks, decides, unlocks, then acts (resumes waiters, starts a timer,
/// publishes events, talks to the shared store).
///
/// ```swift
/// let rotator = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin(minimumDelay: .milliseconds(100))))
/// let lease = try await rotator.acquire(deadline: .now + .seconds(5))
/// // … send the request with lease.key …
/// lease.report(.success(latency: elapsed))
/// ```
public final class KeyRotator<C: Clock>: Sendable where C.Duration == Duration {
    /// How a pool behaves.
    public struct Configuration: Sendable {
        /// How keys are picked. Default ``SelectionStrategy/roundRobin``.
        public var strategy: SelectionStrategy = .roundRobin
        /// Cooldowns, quarantine and circuit breaking. Default ``HealthPolicy/default``.
        public var health: HealthPolicy = .default
        /// The seed of the strategies' and backoff's randomness. Default: random.
        public var seed: UInt64 = UInt64.random(in: .min ... .max)
        /// Where key state is shared with other processes; `nil` (default) keeps it in this process only.
        public var stateStore: (any KeyStateStore)? = nil
        /// Events kept for a slow reader of ``KeyRotator/events`` before the oldest are dropped. Default 1,024.
        public var eventBufferSize: Int = 1024

        /// The defaults.
        public init() {}

        /// A configuration with the given strategy.
        public init(strategy: SelectionStrategy, health: HealthPolicy = .default, stateStore: (any KeyStateStore)? = nil) {
            self.strategy = strategy
            self.health = health
            self.stateStore = stateStore
        }
    }

    /// The answer of ``KeyRotator/tryAcquire(cost:)``.
    public enum AcquireResult: Sendable {
        /// A key to use now.
        case lease(Lease)
        /// Every usable key is limited; the pool can serve at this instant.
        case notBefore(C.Instant)
        /// The pool can't serve at all; the error says why (no keys, every key invalid, cost too high).
        case unavailable(KeyRotatorError)
    }

    typealias StateMachine = KeyRotatorCore.StateMachine

    private let clock: C
    private let epoch: C.Instant
    private let epochUTC: Timestamp
    private let state: Mutex<StateMachine>
    private let store: (any KeyStateStore)?
    private let eventContinuation: AsyncStream<KeyEvent>.Continuation

    /// State changes of the pool's keys, for logs and metrics. Buffers the newest events for a slow reader.
    public let events: AsyncStream<KeyEvent>

    /// The strategy in use.
    public let strategy: SelectionStrategy

    /// Creates a pool.
    ///
    /// Duplicate key ids are dropped (the first wins). With a ``Configuration/stateStore``, blocks persisted by
    /// earlier runs (cooldowns, quarantines, exhausted quotas) are restored.
    public init(keys: [APIKey], configuration: Configuration = .init(), clock: C) {
        self.clock = clock
        self.epoch = clock.now
        self.epochUTC = (clock as? any UTCAnchoredClock)?.utcNow ?? Timestamp(secondsSinceEpoch: Self.wallSeconds())
        self.store = configuration.stateStore
        self.strategy = configuration.strategy
        (self.events, self.eventContinuation) = AsyncStream.makeStream(
            of: KeyEvent.self,
            bufferingPolicy: .bufferingNewest(max(1, configuration.eventBufferSize))
        )
        var machine = StateMachine(
            keys: keys,
            strategy: configuration.strategy,
            policy: configuration.health,
            seed: configuration.seed,
            now: self.epochUTC
        )
        if let store = configuration.stateStore {
            do {
                let blocks = try store.blocks(fingerprints: machine.entries.map(\.key.fingerprint), at: self.epochUTC)
                for index in machine.entries.indices {
                    if let block = blocks[machine.entries[index].key.fingerprint] {
                        machine.entries[index].health.restore(block)
                    }
                }
            } catch {
                self.eventContinuation.yield(KeyEvent(keyID: "*", kind: .storeFailed("\(error)"), at: self.epochUTC))
            }
        }
        self.state = Mutex(machine)
    }

    deinit { self.eventContinuation.finish() }

    private static func wallSeconds() -> Double {
        Date().timeIntervalSince1970
    }

    // MARK: Time

    /// The clock's current instant in UTC.
    @inline(__always)
    public func now() -> Timestamp { self.timestamp(self.clock.now) }

    /// `instant` in UTC.
    @inline(__always)
    public func timestamp(_ instant: C.Instant) -> Timestamp { self.epochUTC.advanced(by: self.epoch.duration(to: instant)) }

    /// `timestamp` as an instant of the rotator's clock.
    public func instant(_ timestamp: Timestamp) -> C.Instant { self.epoch.advanced(by: self.epochUTC.duration(to: timestamp)) }

    // MARK: Acquiring

    /// A key to use now, or when the pool can serve, or why it can't. Never waits, and never overtakes a task
    /// that is waiting in ``acquire(cost:deadline:)``.
    ///
    /// - Parameter cost: Quota units the request spends. Default 1.
    @inline(__always)
    public func tryAcquire(cost: Int = 1) -> AcquireResult {
        let now = self.now()
        let decision = self.state.withLock { $0.tryAcquire(cost: cost, at: now, respectingQueue: true) }
        switch decision {
        case .grant(let grant):
            if self.store == nil { return .lease(self.lease(grant)) }
            return self.confirmWithStore(grant, cost: cost, now: now)
        case .notBefore(let eta): return .notBefore(self.instant(eta))
        case .unavailable(let error): return .unavailable(error)
        }
    }

    /// Waits for a key and leases it.
    ///
    /// Waiters are served first come, first served: one that arrives later never overtakes one that waits.
    /// Cancellation and the deadline leave no trace.
    ///
    /// - Parameters:
    ///   - cost: Quota units the request spends. Default 1.
    ///   - deadline: The latest instant to wait until; `nil` waits as long as it takes.
    /// - Returns: A lease on the chosen key.
    /// - Throws: ``KeyRotatorError``: `.deadlineExceeded` with the pool's ETA at once when the deadline can't be
    ///   met, `.allKeysInvalid` or `.noKeys` at once, `.cancelled` when the task is cancelled.
    public func acquire(cost: Int = 1, deadline: C.Instant? = nil) async throws -> Lease {
        let deadlineUTC = deadline.map(self.timestamp)
        for _ in 0..<64 {
            let grant = try await self.waitForGrant(cost: cost, deadline: deadlineUTC)
            guard self.store != nil else { return self.lease(grant) }
            switch self.confirmWithStore(grant, cost: cost, now: self.now()) {
            case .lease(let lease): return lease
            case .unavailable(let error): throw error
            case .notBefore: continue  // spent elsewhere: wait again
            }
        }
        throw KeyRotatorError(.storeFailed, message: "the shared store refused every key 64 times in a row")
    }

    private func waitForGrant(cost: Int, deadline: Timestamp?) async throws -> KeyRotatorCore.Grant {
        let id = self.state.withLock { $0.makeWaiterID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KeyRotatorCore.Grant, any Error>) in
                let now = self.now()
                let actions = self.state.withLock {
                    $0.enqueue(
                        id: id,
                        cost: cost,
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

    @inline(__always)
    private func lease(_ grant: KeyRotatorCore.Grant) -> Lease {
        if let probe = grant.probe {
            self.eventContinuation.yield(KeyEvent(keyID: grant.key.id, kind: .probing(probe), at: grant.at))
        }
        return Lease(
            key: grant.key,
            cost: grant.cost,
            acquiredAt: grant.at,
            isProbe: grant.probe != nil,
            slot: grant.slot,
            generation: grant.generation,
            reporter: self
        )
    }

    /// Asks the shared store to confirm a local grant; on refusal, blocks the key locally and tries the next one.
    private func confirmWithStore(_ first: KeyRotatorCore.Grant, cost: Int, now: Timestamp) -> AcquireResult {
        guard let store = self.store else { return .lease(self.lease(first)) }
        var grant = first
        var now = now
        for _ in 0...max(1, self.state.withLock { $0.entries.count }) {
            let admission: StoreAdmission
            do {
                admission = try store.admit(fingerprint: grant.key.fingerprint, cost: cost, limits: grant.key.limits, at: now)
            } catch {
                self.state.withLock { $0.refuse(grant, until: nil, at: now) }
                self.eventContinuation.yield(KeyEvent(keyID: grant.key.id, kind: .storeFailed("\(error)"), at: now))
                return .unavailable(
                    KeyRotatorError(.storeFailed, message: "the key-state store failed, so no key was used: \(error)")
                )
            }
            switch admission {
            case .admitted: return .lease(self.lease(grant))
            case .notBefore(let until):
                self.eventContinuation.yield(KeyEvent(keyID: grant.key.id, kind: .refusedByStore(until: until), at: now))
                now = self.now()
                let decision = self.state.withLock { machine -> KeyRotatorCore.Decision in
                    machine.refuse(grant, until: until, at: now)
                    return machine.tryAcquire(cost: cost, at: now, respectingQueue: false)
                }
                switch decision {
                case .grant(let next): grant = next
                case .notBefore(let eta): return .notBefore(self.instant(eta))
                case .unavailable(let error): return .unavailable(error)
                }
            }
        }
        self.state.withLock { $0.refuse(grant, until: nil, at: now) }
        return .notBefore(self.instant(now.advanced(by: .milliseconds(10))))
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
            let clock = self.clock
            let instant = self.instant(at)
            Task { [weak self] in
                try? await clock.sleep(until: instant, tolerance: nil)
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
    public func add(_ key: APIKey) -> Bool {
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
    public func remove(_ id: KeyID) -> Bool {
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
    public func setWeight(_ weight: Int, for id: KeyID) -> Bool {
        let now = self.now()
        let changed = self.state.withLock { $0.setWeight(weight, for: id) }
        if changed { self.eventContinuation.yield(KeyEvent(keyID: id, kind: .reconfigured, at: now)) }
        return changed
    }

    /// Changes a key's limits; usage already recorded carries over, so the change never over-admits.
    @discardableResult
    public func setLimits(_ limits: [RateLimit], for id: KeyID) -> Bool {
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
    public func observe(remaining: Int, resetAt: Timestamp?, for id: KeyID) {
        let now = self.now()
        self.state.withLock { $0.observe(remaining: remaining, resetAt: resetAt, keyID: id, at: now) }
    }

    // MARK: Reading

    /// A snapshot of every key and of the pool.
    public func statistics() -> PoolStatistics {
        let now = self.now()
        return self.state.withLock { $0.statistics(at: now) }
    }

    /// When the pool can serve `cost` units: `nil` if now (or never: see ``tryAcquire(cost:)`` for why).
    public func eta(cost: Int = 1) -> C.Instant? {
        let now = self.now()
        return self.state.withLock { $0.eta(cost: cost, at: now) }.map(self.instant)
    }

    /// The keys in the pool (their secrets stay redacted in any description).
    public var keys: [APIKey] { self.state.withLock { $0.entries.map(\.key) } }

    /// Tasks waiting in ``acquire(cost:deadline:)`` now.
    public var waiterCount: Int { self.state.withLock { $0.waiters.count } }
}

extension KeyRotator where C == ContinuousClock {
    /// Creates a pool on the continuous clock.
    public convenience init(keys: [APIKey], configuration: Configuration = .init()) {
        self.init(keys: keys, configuration: configuration, clock: ContinuousClock())
    }
}

extension KeyRotator: LeaseReporter {
    @inline(__always)
    func report(_ lease: Lease, _ outcome: Outcome) {
        let now = self.now()
        let actions = self.state.withLock { machine -> KeyRotatorCore.Actions in
            var actions = KeyRotatorCore.Actions()
            machine.report(lease, outcome, at: now, actions: &actions)
            if !machine.waiters.isEmpty { machine.pump(at: now, actions: &actions) }
            return actions
        }
        self.perform(actions)
        if case .notCounted = outcome, let store = self.store {
            try? store.refund(fingerprint: lease.key.fingerprint, cost: lease.cost, limits: lease.key.limits, at: now)
        }
    }
}
