import Synchronization

/// Collapses concurrent identical calls into one: callers that ask for the same key while a call for it is in
/// flight wait for that call and share its result or its error.
///
/// The shared call runs in an unstructured `Task` owned by the flight, so no caller's cancellation reaches it.
/// A cancelled caller stops waiting at once with `CancellationError`; the others keep waiting. When every
/// caller has left, the call is *not* cancelled: it runs to the end (it may already have spent quota upstream),
/// a caller that arrives meanwhile joins it, and if none does its result is dropped. Once the call completes
/// the key is forgotten, so the next call for it runs the operation again (cache the result elsewhere, e.g. in
/// a ``ResponseCache``).
///
/// State sits behind one `Mutex`; continuations are resumed after unlocking.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Value, any Error>

    private struct Flight {
        var id: Int
        var waiters: [Int: Waiter]
    }

    private struct State {
        var nextID = 0
        var flights: [Key: Flight] = [:]

        mutating func makeID() -> Int {
            self.nextID += 1
            return self.nextID
        }
    }

    /// What a caller does after unlocking when it asks to join.
    private enum JoinAction {
        case wait
        case start(flightID: Int)
        case cancel
    }

    private let state = Mutex(State())

    /// Creates a group with nothing in flight.
    public init() {}

    /// Runs `operation` for `key`, or joins the call already in flight for `key`, and returns its result.
    ///
    /// Only the first caller's `operation` runs; a caller that joins a call in flight does not run its own.
    ///
    /// - Parameters:
    ///   - key: What identifies identical calls.
    ///   - operation: The call; it runs in a task of its own, not in the caller's.
    /// - Returns: The shared call's value.
    /// - Throws: The shared call's error, or `CancellationError` if this caller is cancelled while it waits
    ///   (the shared call goes on for the others).
    public func run(key: Key, operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let waiterID = self.state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let action = self.state.withLock { state -> JoinAction in
                    // The flag is set before the handler runs, so a caller cancelled before this point sees it.
                    if Task.isCancelled { return .cancel }
                    if state.flights[key] != nil {
                        state.flights[key]!.waiters[waiterID] = continuation
                        return .wait
                    }
                    let flightID = state.makeID()
                    state.flights[key] = Flight(id: flightID, waiters: [waiterID: continuation])
                    return .start(flightID: flightID)
                }
                switch action {
                case .wait:
                    break
                case .cancel:
                    continuation.resume(throwing: CancellationError())
                case .start(let flightID):
                    Task {
                        let result: Result<Value, any Error>
                        do {
                            result = .success(try await operation())
                        } catch {
                            result = .failure(error)
                        }
                        self.finish(key: key, flightID: flightID, with: result)
                    }
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                state.flights[key]?.waiters.removeValue(forKey: waiterID)
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// How many keys have a call in flight (including calls every caller has left).
    public var inFlightCount: Int {
        self.state.withLock { $0.flights.count }
    }

    /// How many callers wait for the call in flight for `key`; 0 when there is none.
    public func waiterCount(for key: Key) -> Int {
        self.state.withLock { $0.flights[key]?.waiters.count ?? 0 }
    }

    private func finish(key: Key, flightID: Int, with result: Result<Value, any Error>) {
        let waiters = self.state.withLock { state -> [Waiter] in
            guard let flight = state.flights[key], flight.id == flightID else { return [] }
            state.flights.removeValue(forKey: key)
            return Array(flight.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
