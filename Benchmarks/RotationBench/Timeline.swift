import KeyRotation
import KeyRotationTesting
import Synchronization

/// Where a scenario's time comes from: virtual (a `TestClock` moved by ``VirtualDriver``) or the wall clock.
protocol Timeline: Sendable {
    associatedtype C: Clock where C.Duration == Duration
    /// The clock the rotator and the simulated provider run on.
    var clock: C { get }
    /// Now, in UTC.
    func now() -> Timestamp
    /// Sleeps until `instant` (callers' latency, the naive baseline's spacing).
    func sleep(until instant: Timestamp) async throws
    /// Whether time is virtual (deterministic, driven by ``VirtualDriver``).
    var isVirtual: Bool { get }
}

/// Virtual time: callers sleep in this scheduler (not on the clock), so the driver knows exactly who sleeps and
/// until when; the driver moves the `TestClock` from one event to the next.
final class VirtualTimeline: Timeline {
    private struct Sleeper {
        var wake: Timestamp
        var sequence: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var sleepers: [Sleeper] = []
        var sequence = 0
        var isStopped = false
    }

    let clock: TestClock
    private let state = Mutex(State())

    init(start: Timestamp = TestClock.defaultStart) { self.clock = TestClock(start: start) }

    var isVirtual: Bool { true }

    func now() -> Timestamp { self.clock.now }

    func sleep(until instant: Timestamp) async throws {
        if instant <= self.clock.now { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let stopped = self.state.withLock { state -> Bool in
                if state.isStopped { return true }
                state.sequence += 1
                state.sleepers.append(Sleeper(wake: instant, sequence: state.sequence, continuation: continuation))
                return false
            }
            if stopped { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Callers sleeping now.
    var sleeperCount: Int { self.state.withLock { $0.sleepers.count } }

    /// The earliest wake-up among the sleepers.
    var nextWake: Timestamp? { self.state.withLock { $0.sleepers.lazy.map(\.wake).min() } }

    /// Resumes, in (wake, arrival) order, every sleeper due at the clock's now.
    func resumeDue() {
        let now = self.clock.now
        let due = self.state.withLock { state -> [Sleeper] in
            let due = state.sleepers.filter { $0.wake <= now }.sorted {
                ($0.wake, $0.sequence) < ($1.wake, $1.sequence)
            }
            state.sleepers.removeAll { $0.wake <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Wakes every sleeper with `CancellationError` and refuses new sleeps: the end of a run.
    func stop() {
        let all = self.state.withLock { state -> [Sleeper] in
            state.isStopped = true
            defer { state.sleepers.removeAll() }
            return state.sleepers
        }
        for sleeper in all { sleeper.continuation.resume(throwing: CancellationError()) }
    }
}

/// Wall-clock time (`--real-time`): `ContinuousClock`, anchored on the system's UTC time at creation.
struct RealTimeline: Timeline {
    let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let startUTC: Timestamp

    init(startUTC: Timestamp) {
        self.start = self.clock.now
        self.startUTC = startUTC
    }

    var isVirtual: Bool { false }

    func now() -> Timestamp { self.startUTC.advanced(by: self.start.duration(to: self.clock.now)) }

    func sleep(until instant: Timestamp) async throws {
        let delay = self.now().duration(to: instant)
        if delay > .zero { try await self.clock.sleep(for: delay) }
    }
}
