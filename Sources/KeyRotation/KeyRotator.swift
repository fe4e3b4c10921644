import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        public init(
            strategy: SelectionStrategy,
            health: HealthPolicy = .default,
            stateStore: (any KeyStateStore)? = nil
        ) {
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

    @usableFromInline let engine: RotatorEngine
    @usableFromInline let epoch: C.Instant
    @usableFromInline let epochUTC: Timestamp
    private let clock: C

    /// State changes of the pool's keys, for logs and metrics. Buffers the newest events for a slow reader.
    public var events: AsyncStream<KeyEvent> { self.engine.events }

    /// The strategy in use.
    public let strategy: SelectionStrategy

    /// Creates a pool.
    ///
    /// Duplicate key ids are dropped (the first wins). With a ``Configuration/stateStore``, blocks persisted by
    /// earlier runs (cooldowns, quarantines, exhausted quotas) are restored.
    public init(keys: [APIKey], configuration: Configuration = .init(), clock: C) {
        let epoch = clock.now
        let epochUTC = (clock as? any UTCAnchoredClock)?.utcNow ?? Timestamp(Date())
        self.clock = clock
        self.epoch = epoch
        self.epochUTC = epochUTC
        self.strategy = configuration.strategy
        let now: @Sendable () -> Timestamp
        if let anchored = clock as? any UTCAnchoredClock {
            now = { anchored.utcNow }
        } else if C.self == ContinuousClock.self {
            // ContinuousClock counts CLOCK_BOOTTIME on Linux (CLOCK_MONOTONIC_RAW on Darwin): read it directly,
            // with integer arithmetic, instead of going through Duration on every acquire.
            let offset = epochUTC.nanosecondsSinceEpoch &- Self.continuousNanoseconds()
            now = { Timestamp(nanosecondsSinceEpoch: Self.continuousNanoseconds() &+ offset) }
        } else {
            now = { epochUTC.advanced(by: epoch.duration(to: clock.now)) }
        }
        self.engine = RotatorEngine(
            keys: keys,
            configuration: configuration,
            now: now,
            sleep: { timestamp in
                try await clock.sleep(until: epoch.advanced(by: epochUTC.duration(to: timestamp)), tolerance: nil)
            }
        )
    }

    private static func continuousNanoseconds() -> Int64 {
        #if os(Linux)
            var spec = timespec()
            clock_gettime(CLOCK_BOOTTIME, &spec)
            return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
        #else
            return Int64(clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW))
        #endif
    }

    // MARK: Time

    /// The clock's current instant in UTC.
    @inlinable
    public func now() -> Timestamp { self.engine.now() }

    /// `instant` in UTC.
    @inlinable
    public func timestamp(_ instant: C.Instant) -> Timestamp {
        self.epochUTC.advanced(by: self.epoch.duration(to: instant))
    }

    /// `timestamp` as an instant of the rotator's clock.
    @inlinable
    public func instant(_ timestamp: Timestamp) -> C.Instant {
        self.epoch.advanced(by: self.epochUTC.duration(to: timestamp))
    }

    // MARK: Acquiring

    /// A key to use now, or when the pool can serve, or why it can't. Never waits, and never overtakes a task
    /// that is waiting in ``acquire(cost:deadline:)``.
    ///
    /// - Parameter cost: Quota units the request spends. Default 1.
    @inlinable
    public func tryAcquire(cost: Int = 1) -> AcquireResult {
        switch self.engine.tryAcquire(cost: cost) {
        case .lease(let lease): return .lease(lease)
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
        try await self.engine.acquire(cost: cost, deadline: deadline.map(self.timestamp))
    }

    /// ``acquire(cost:deadline:)`` that never hands out the keys in `avoiding` (for instance those that answered this
    /// request with 403: the key lacks the privilege, another may have it). The keys stay in the pool for everyone
    /// else.
    ///
    /// - Throws: as ``acquire(cost:deadline:)``; `.costExceedsCapacity` when every key is avoided.
    public func acquire(cost: Int = 1, avoiding: Set<KeyID>, deadline: C.Instant? = nil) async throws -> Lease {
        if avoiding.isEmpty { return try await self.acquire(cost: cost, deadline: deadline) }
        return try await self.engine.waitForLease(
            cost: cost,
            deadline: deadline.map(self.timestamp),
            avoiding: Array(avoiding)
        )
    }

    /// The process is ending with requests in flight (a termination signal): records every lease not yet reported
    /// as completed now in the shared store, so that its rolling windows and spacing count those uses from no earlier
    /// than the provider can have counted them, and the next process does not send a window's next use too early.
    /// Does nothing without a store. Call it last: the leases are forgotten, and reporting one afterwards settles it
    /// again at its own completion.
    public func settleOutstanding() { self.engine.settleOutstanding() }

    /// A lease on a key outside `avoiding` that is ready now, or `nil` (no lease taken) when none is: for a retry that
    /// had rather not go back to a key that just failed it, but will when no other key is free (call
    /// ``acquire(cost:deadline:)`` then). Never overtakes a waiting task.
    ///
    /// - Parameters:
    ///   - cost: Quota units the request spends. Default 1.
    ///   - avoiding: Keys to pass over.
    public func acquireIfReady(cost: Int = 1, avoiding: Set<KeyID>) async -> Lease? {
        await self.engine.leaseIfReady(cost: cost, avoiding: Array(avoiding))
    }

    /// What ``acquire(cost:deadline:)`` returns at once, without suspending: a lease when nobody waits and a key
    /// is ready now, the pool has no shared store and the task is not cancelled; else `nil`, no lease taken (call
    /// ``waitForLease(cost:deadline:)`` to wait). For callers on a hot path that would otherwise pay for an async
    /// call.
    ///
    /// - Parameter cost: Quota units the request spends.
    package func leaseIfReady(cost: Int = 1) -> Lease? { self.engine.leaseIfReady(cost: cost) }

    /// Whether a key outside `excluded` can still answer: available or only cooling down, not quarantined as
    /// invalid, with no open circuit or probe in flight, and no quota spent. A retry that goes elsewhere asks this.
    package func hasUsableKey(excluding excluded: Set<KeyID>) -> Bool {
        self.statistics().keys.contains { key in
            guard !excluded.contains(key.id) else { return false }
            switch key.state {
            case .available, .coolingDown: return true
            case .invalid, .quotaExhausted, .circuitOpen, .probing: return false
            }
        }
    }

    /// ``acquire(cost:deadline:)`` without its fast path, for a caller that has just had `nil` from
    /// ``leaseIfReady(cost:)``.
    package func waitForLease(cost: Int = 1, deadline: C.Instant? = nil) async throws -> Lease {
        try await self.engine.waitForLease(cost: cost, deadline: deadline.map(self.timestamp))
    }

    // MARK: Changing the pool

    /// Adds a key; `false` if a key with the same id is in the pool.
    @discardableResult
    public func add(_ key: APIKey) -> Bool { self.engine.add(key) }

    /// Removes a key; leases already out on it may still report (their reports are ignored).
    @discardableResult
    public func remove(_ id: KeyID) -> Bool { self.engine.remove(id) }

    /// Changes a key's weight (weighted strategies).
    @discardableResult
    public func setWeight(_ weight: Int, for id: KeyID) -> Bool { self.engine.setWeight(weight, for: id) }

    /// Changes a key's limits; usage already recorded carries over, so the change never over-admits.
    @discardableResult
    public func setLimits(_ limits: [RateLimit], for id: KeyID) -> Bool { self.engine.setLimits(limits, for: id) }

    /// Feeds what a server said about a key's remaining quota (from `X-RateLimit-*` or `RateLimit` headers).
    public func observe(remaining: Int, resetAt: Timestamp?, for id: KeyID) {
        self.engine.observe(remaining: remaining, resetAt: resetAt, for: id)
    }

    // MARK: Reading

    /// A snapshot of every key and of the pool.
    public func statistics() -> PoolStatistics { self.engine.statistics() }

    /// When the pool can serve `cost` units: `nil` if now (or never: see ``tryAcquire(cost:)`` for why).
    public func eta(cost: Int = 1) -> C.Instant? { self.engine.eta(cost: cost).map(self.instant) }

    /// The keys in the pool (their secrets stay redacted in any description).
    public var keys: [APIKey] { self.engine.keys }

    /// How many keys the pool holds (cheaper than ``keys``: nothing is copied).
    public var keyCount: Int { self.engine.keyCount }

    /// Tasks waiting in ``acquire(cost:deadline:)`` now.
    public var waiterCount: Int { self.engine.waiterCount }
}

extension KeyRotator where C == ContinuousClock {
    /// Creates a pool on the continuous clock.
    public convenience init(keys: [APIKey], configuration: Configuration = .init()) {
        self.init(keys: keys, configuration: configuration, clock: ContinuousClock())
    }
}
