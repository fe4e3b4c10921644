import KeyRotation
import Synchronization

/// The classic design the SDK replaces: one FIFO lock; while holding it, take the next key in turn and, if that
/// key was used less than `minimumDelay` ago, sleep until it may go, still holding the lock.
///
/// It knows no limits and no health: it sends, gets 429s, and keeps going.
final class NaiveRotator<T: Timeline>: BenchPool {
    private struct State {
        var isLocked = false
        var queue: [CheckedContinuation<Void, any Error>] = []
        var next = 0
        var lastUse: [Timestamp?]
        var isStopped = false
    }

    let name = "naive (sleeps under lock)"
    private let secrets: [String]
    private let minimumDelay: Duration
    private let timeline: T
    private let state: Mutex<State>

    init(secrets: [String], minimumDelay: Duration, timeline: T) {
        self.secrets = secrets
        self.minimumDelay = minimumDelay
        self.timeline = timeline
        self.state = Mutex(State(lastUse: Array(repeating: nil, count: secrets.count)))
    }

    func acquire() async throws -> PoolLease {
        try await self.lock()
        do {
            let index = self.state.withLock { state -> Int in
                defer { state.next += 1 }
                return state.next % self.secrets.count
            }
            if let last = self.state.withLock({ $0.lastUse[index] }) {
                // The classic mistake, on purpose: sleeping while every other caller queues behind the lock.
                try await self.timeline.sleep(until: last.advanced(by: self.minimumDelay))
            }
            let now = self.timeline.now()
            self.state.withLock { $0.lastUse[index] = now }
            self.unlock()
            return PoolLease(keyIndex: index, secret: self.secrets[index], lease: nil)
        } catch {
            self.unlock()
            throw error
        }
    }

    private func lock() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = self.state.withLock { state -> Result<Void, any Error>? in
                if state.isStopped { return .failure(CancellationError()) }
                if !state.isLocked {
                    state.isLocked = true
                    return .success(())
                }
                state.queue.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func unlock() {
        let next = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.queue.isEmpty {
                state.isLocked = false
                return nil
            }
            return state.queue.removeFirst()  // hand the lock over, in arrival order
        }
        next?.resume()
    }

    func quiescence() -> PoolQuiescence {
        PoolQuiescence(parked: self.state.withLock { $0.queue.count }, nextEvent: nil, isSettled: true)
    }

    func stop() {
        let queued = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.isStopped = true
            defer { state.queue.removeAll() }
            return state.queue
        }
        for continuation in queued { continuation.resume(throwing: CancellationError()) }
    }
}
