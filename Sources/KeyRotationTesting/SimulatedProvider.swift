import Foundation
public import KeyRotation
public import KeyRotationHTTP
import Synchronization

/// An in-process upstream that plays VirusTotal, the Aptos node API or Nodit for tests and the benchmark: an
/// ``HTTPTransport`` with per-key quotas, faults and latency, and a log to referee the SDK with.
///
/// Its quota accounting is its own (``SimulatedLimit``), independent of the SDK's limiters, so it can tell when
/// the SDK breaks a limit: a request over a limit is answered 429 (and consumes nothing), and the log answers
/// questions such as ``maxUsesInAnyWindow(key:window:)``. Keys are known by their secret; the log holds only
/// their labels. Faults and latencies come from a seeded ``SplitMix64`` per key, so a run replays exactly.
///
/// Time is the clock's: latencies and hangs sleep on it outside the lock, so on a `TestClock` a request completes
/// only when the test advances time. Calendar windows need UTC: a ``UTCAnchoredClock`` supplies it, any other
/// clock is anchored on the system's wall time when the provider is created.
///
/// ```swift
/// let clock = TestClock()
/// let provider = SimulatedProvider(
///     clock: clock,
///     seed: 1,
///     flavour: .virusTotal,
///     keys: ["secret-a": .virusTotalPublic(label: "a"), "secret-b": .init(label: "b", failures: .every(2))]
/// )
/// ```
public final class SimulatedProvider<C: Clock>: HTTPTransport, Sendable where C.Duration == Duration {
    private let clock: C
    private let anchorInstant: C.Instant
    private let anchorUTC: Timestamp
    private let state: Mutex<SimulatedProviderStateMachine>

    /// Creates a provider.
    ///
    /// - Parameters:
    ///   - clock: The clock that times windows, latencies and hangs.
    ///   - seed: The seed of the fault and latency draws. Default 0.
    ///   - configuration: What to play.
    public init(clock: C, seed: UInt64 = 0, configuration: Configuration) {
        self.clock = clock
        self.anchorInstant = clock.now
        if let anchored = clock as? any UTCAnchoredClock {
            self.anchorUTC = anchored.utcNow
        } else {
            self.anchorUTC = Timestamp(Date())
        }
        self.state = Mutex(
            SimulatedProviderStateMachine(configuration: configuration, seed: seed, now: self.anchorUTC)
        )
    }

    /// Creates a provider from its parts.
    ///
    /// - Parameters:
    ///   - clock: The clock that times windows, latencies and hangs.
    ///   - seed: The seed of the fault and latency draws. Default 0.
    ///   - flavour: Which provider to play.
    ///   - keys: The keys the provider accepts, by secret, with their behaviour.
    ///   - unknownResources: Resources answered 404. Default none.
    ///   - ledger: The chain the node API serves. Default `SimulatedLedger()`.
    public convenience init(
        clock: C,
        seed: UInt64 = 0,
        flavour: Flavour,
        keys: [String: KeyBehaviour],
        unknownResources: Set<String> = [],
        ledger: Ledger = Ledger()
    ) {
        self.init(
            clock: clock,
            seed: seed,
            configuration: Configuration(
                flavour: flavour,
                keys: keys,
                unknownResources: unknownResources,
                ledger: ledger
            )
        )
    }

    /// The UTC instant of the provider's clock now.
    public var utcNow: Timestamp { self.utc(self.clock.now) }

    private func utc(_ instant: C.Instant) -> Timestamp {
        self.anchorUTC.advanced(by: self.anchorInstant.duration(to: instant))
    }

    // MARK: HTTPTransport

    /// Answers `request` as the configured provider would, after the key's latency.
    ///
    /// - Throws: `TransportError` with code `connectionReset` when that fault strikes; `CancellationError` when
    ///   the task is cancelled while the answer is held back (the request stays in the log).
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let now = self.utc(self.clock.now)
        let plan = self.state.withLock { $0.handle(request, at: now) }
        if plan.delay > .zero {
            try await self.clock.sleep(for: plan.delay)
        }
        return try plan.outcome.get()
    }

    // MARK: Run-time changes

    /// Sets (or adds) the behaviour of the key with `secret`; its request count is kept, and its limits' usage
    /// too unless the limits changed.
    public func setBehaviour(_ behaviour: KeyBehaviour, forKey secret: String) {
        self.state.withLock { $0.setBehaviour(behaviour, forSecret: secret) }
    }

    /// Forgets the key with `secret`: its requests are answered 401 from now on.
    public func removeKey(_ secret: String) {
        self.state.withLock { $0.removeKey(secret: secret) }
    }

    /// Moves the ledger head to `version` now (it keeps growing at the configured rate from there).
    public func setLedgerHead(_ version: UInt64) {
        let now = self.utcNow
        self.state.withLock { $0.setLedgerHead(version, at: now) }
    }

    /// Moves the pruning horizon: reads below `version` answer 410.
    public func setOldestVersion(_ version: UInt64) {
        self.state.withLock { $0.setOldestVersion(version) }
    }

    /// Clears the log, every key's usage and request count and the random streams: as if just created.
    public func reset() {
        let now = self.utcNow
        self.state.withLock { $0.reset(at: now) }
    }

    /// Clears the log only; usage and request counts stay.
    public func clearLog() {
        self.state.withLock { $0.clearLog() }
    }

    // MARK: Queries

    /// The labels of the configured keys, sorted.
    public var keyIDs: [KeyID] { self.state.withLock { $0.keyIDs } }

    /// The ledger head version now.
    public var ledgerHeadVersion: UInt64 {
        let now = self.utcNow
        return self.state.withLock { $0.ledger(at: now).headVersion }
    }

    /// Every request since creation (or the last reset), in arrival order.
    public var log: [LogEntry] { self.state.withLock { $0.log } }

    /// How many requests arrived.
    public var totalRequests: Int { self.state.withLock { $0.log.count } }

    /// The requests that carried the key labelled `key`, in arrival order.
    public func requests(forKey key: KeyID) -> [LogEntry] {
        self.state.withLock { $0.log.filter { $0.keyID == key } }
    }

    /// How many requests were answered with each status (0: a thrown connection reset).
    public var statusCounts: [Int: Int] {
        self.state.withLock { state in
            state.log.reduce(into: [:]) { counts, entry in counts[entry.status, default: 0] += 1 }
        }
    }

    /// How many requests were answered with `status`, for one key or (`key` `nil`) for all.
    public func count(status: Int, forKey key: KeyID? = nil) -> Int {
        self.state.withLock { state in
            state.log.reduce(0) { $0 + ($1.status == status && (key == nil || $1.keyID == key) ? 1 : 0) }
        }
    }

    /// The most requests carrying the key labelled `key` in any half-open window `[t, t + window)`: what the
    /// SDK sent, whatever the answers (429s and failures included). A pool that respects "N per window" keeps
    /// this at most N.
    ///
    /// - Parameters:
    ///   - key: The key's label.
    ///   - window: The window's length.
    ///   - isIncluded: Which requests count. Default all.
    public func maxUsesInAnyWindow(
        key: KeyID,
        window: Duration,
        where isIncluded: (LogEntry) -> Bool = { _ in true }
    ) -> Int {
        let times = self.requests(forKey: key).filter(isIncluded).map(\.timestamp)
        var best = 0
        var low = 0
        for high in times.indices {
            while times[low].advanced(by: window) <= times[high] { low += 1 }
            best = max(best, high - low + 1)
        }
        return best
    }

    /// The most requests carrying the key labelled `key` within one UTC-aligned window of `period` (429s and
    /// failures included). A pool that respects "N per UTC day" keeps this at most N.
    public func maxUsesInAnyFixedWindow(
        key: KeyID,
        period: SimulatedLimit.Period,
        where isIncluded: (LogEntry) -> Bool = { _ in true }
    ) -> Int {
        let counts = self.requests(forKey: key).filter(isIncluded)
            .reduce(into: [Timestamp: Int]()) { counts, entry in
                counts[period.start(containing: entry.timestamp), default: 0] += 1
            }
        return counts.values.max() ?? 0
    }
}

extension SimulatedProvider where C == ContinuousClock {
    /// Creates a provider on the continuous clock (real latencies; windows anchored on the system's UTC time).
    public convenience init(seed: UInt64 = 0, configuration: Configuration) {
        self.init(clock: ContinuousClock(), seed: seed, configuration: configuration)
    }
}
