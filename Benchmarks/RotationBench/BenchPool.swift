import KeyRotation

/// A key handed to a scenario's caller by a pool under test.
struct PoolLease: Sendable {
    /// The key's index in the scenario's key list.
    var keyIndex: Int
    /// The secret to put on the simulated request.
    var secret: String
    /// The rotator's lease (`nil` for the naive baseline, which learns nothing).
    var lease: Lease?

    func report(_ outcome: Outcome) { self.lease?.report(outcome) }
}

/// What a pool is doing, for ``VirtualDriver``'s quiescence test.
struct PoolQuiescence {
    /// Callers parked inside ``BenchPool/acquire()`` (queued, not running).
    var parked: Int
    /// The instant the pool will act on its own (serve a queued caller), if any.
    var nextEvent: Timestamp?
    /// Whether the pool has nothing to do before ``nextEvent`` (no queued caller it could serve now).
    var isSettled: Bool
}

/// A pool under test: the SDK's `KeyRotator` with one strategy, or the naive baseline.
protocol BenchPool: Sendable {
    /// The name shown in the table.
    var name: String { get }
    /// Waits for a key.
    func acquire() async throws -> PoolLease
    /// Who is parked and when the pool acts next.
    func quiescence() -> PoolQuiescence
    /// Releases every parked caller with `CancellationError` (the end of a run).
    func stop()
}

/// The SDK's rotator behind ``BenchPool``.
final class RotatorPool<C: Clock>: BenchPool where C.Duration == Duration {
    let name: String
    let rotator: KeyRotator<C>
    private let indexByID: [KeyID: Int]

    init(keys: [APIKey], strategy: SelectionStrategy, health: HealthPolicy, seed: UInt64, clock: C) {
        var configuration = KeyRotator<C>.Configuration(strategy: strategy, health: health)
        configuration.seed = seed
        self.rotator = KeyRotator(keys: keys, configuration: configuration, clock: clock)
        self.name = strategy.description
        self.indexByID = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1.id, $0) })
    }

    func acquire() async throws -> PoolLease {
        let lease = try await self.rotator.acquire()
        return PoolLease(keyIndex: self.indexByID[lease.keyID] ?? 0, secret: lease.secret, lease: lease)
    }

    func quiescence() -> PoolQuiescence {
        // The ETA first, then the waiters: a waiter served in between shows as running, never as parked.
        let eta = self.rotator.eta()
        let waiters = self.rotator.waiterCount
        return PoolQuiescence(
            parked: waiters,
            nextEvent: waiters > 0 ? eta.map(self.rotator.timestamp) : nil,
            isSettled: waiters == 0 || eta != nil
        )
    }

    func stop() {}  // the driver cancels the callers' tasks; waiters leave the rotator's queue on cancellation
}
