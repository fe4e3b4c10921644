public import KeyRotation
import Synchronization

/// A manual clock for tests: time moves only when the test advances it, and sleepers resume exactly then.
///
/// Its instants are ``Timestamp``s, so a test picks the UTC time too (calendar-aligned quotas reset at the
/// midnights it chooses). Modelled on swift-async-algorithms' `ManualClock`.
public final class TestClock: Clock, UTCAnchoredClock, Sendable {
    public typealias Instant = Timestamp
    public typealias Duration = Swift.Duration

    private struct Sleeper {
        var deadline: Timestamp
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var now: Timestamp
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        var cancelledBeforeStart: Set<Int> = []
    }

    private let state: Mutex<State>

    /// Creates a clock that starts at `start` (default: 2026-01-01 00:00:00 UTC).
    public init(start: Timestamp = TestClock.defaultStart) {
        self.state = Mutex(State(now: start))
    }

    /// 2026-01-01 00:00:00 UTC.
    public static let defaultStart = Timestamp(nanosecondsSinceEpoch: 1_767_225_600 * 1_000_000_000)

    public var now: Timestamp { self.state.withLock { $0.now } }
    public var utcNow: Timestamp { self.now }
    public var minimumResolution: Swift.Duration { .nanoseconds(1) }

    /// How many tasks are sleeping on this clock now.
    public var sleeperCount: Int { self.state.withLock { $0.sleepers.count } }

    /// The earliest deadline among the sleepers, if any.
    public var nextDeadline: Timestamp? { self.state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    public func sleep(until deadline: Timestamp, tolerance: Swift.Duration? = nil) async throws {
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = self.state.withLock { state in
                    if state.cancelledBeforeStart.remove(id) != nil || Task.isCancelled {
                        return .failure(CancellationError())
                    }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let sleeper = state.sleepers.removeValue(forKey: id) else {
                    state.cancelledBeforeStart.insert(id)
                    return nil
                }
                return sleeper.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline has come.
    public func advance(by duration: Swift.Duration) {
        self.advance(to: self.now.advanced(by: duration))
    }

    /// Moves time to `instant` (never backwards) and resumes every sleeper whose deadline has come.
    public func advance(to instant: Timestamp) {
        let due = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            if instant > state.now { state.now = instant }
            let now = state.now
            let ready = state.sleepers.filter { $0.value.deadline <= now }
                .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            for (id, _) in ready { state.sleepers.removeValue(forKey: id) }
            return ready.compactMap(\.value.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Advances to the earliest sleeper's deadline, if there is one, and returns it.
    @discardableResult
    public func advanceToNextDeadline() -> Timestamp? {
        guard let next = self.nextDeadline else { return nil }
        self.advance(to: next)
        return next
    }

    /// Waits (yielding, never sleeping on the wall clock) until at least `count` tasks sleep on this clock.
    ///
    /// Bounded: gives up after `maximumYields` yields and returns `false`.
    @discardableResult
    public func waitForSleepers(count: Int, maximumYields: Int = 1_000_000) async -> Bool {
        for _ in 0..<maximumYields {
            if self.sleeperCount >= count { return true }
            await Task.yield()
        }
        return self.sleeperCount >= count
    }
}
