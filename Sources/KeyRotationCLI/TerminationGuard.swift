import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Holds SIGINT and SIGTERM off while a unit of work that must not be cut in half runs: `aptos stream` writes a
/// line and then saves its checkpoint, and a stop between the two would print that line again on the next run.
///
/// A signal that arrives outside such a unit ends the process at once, as the default action would; one that
/// arrives inside it ends the process as soon as the unit is done. Either way the cleanups registered with
/// ``addCleanup(_:)`` run first (an `--output` file's temporary file is removed), and the process dies of that
/// signal, so the shell sees the usual status (130 for Ctrl-C, 143 for `kill`).
final class TerminationGuard: Sendable {
    private struct State {
        var busy = false
        var pending: Int32?
    }

    private struct Cleanups {
        var next = 0
        var actions: [Int: @Sendable () -> Void] = [:]
    }

    /// The process's guard; ``installSignalHandlers()`` makes the signals go through it.
    static let shared = TerminationGuard(terminate: TerminationGuard.die(of:))

    private let state = Mutex(State())
    private let terminate: @Sendable (Int32) -> Void
    private let sources = Mutex<[any DispatchSourceSignal]>([])
    private let cleanups = Mutex(Cleanups())

    /// Creates a guard that calls `terminate` with the signal's number to end the process (tests record it).
    init(terminate: @escaping @Sendable (Int32) -> Void) {
        self.terminate = terminate
    }

    /// Routes SIGINT and SIGTERM to ``deliver(_:)`` instead of their default action.
    func installSignalHandlers() {
        self.sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in self.deliver(number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// A termination signal arrived: ends the process now, or when the unit in progress is done.
    func deliver(_ signal: Int32) {
        // The lock is held while terminating, so no unit can start once the decision is taken.
        self.state.withLock { state in
            if state.busy {
                state.pending = state.pending ?? signal
            } else {
                self.end(signal)
            }
        }
    }

    /// Registers `action` to run when a signal ends the process; returns the token that ``removeCleanup(_:)``
    /// takes once the action is no longer needed.
    func addCleanup(_ action: @escaping @Sendable () -> Void) -> Int {
        self.cleanups.withLock { cleanups in
            cleanups.next += 1
            cleanups.actions[cleanups.next] = action
            return cleanups.next
        }
    }

    /// Forgets a cleanup registered with ``addCleanup(_:)``.
    func removeCleanup(_ token: Int) {
        _ = self.cleanups.withLock { $0.actions.removeValue(forKey: token) }
    }

    /// Runs the cleanups, then ends the process.
    private func end(_ signal: Int32) {
        let actions = self.cleanups.withLock { cleanups in
            defer { cleanups.actions = [:] }
            return cleanups.actions.sorted { $0.key < $1.key }.map(\.value)
        }
        for action in actions { action() }
        self.terminate(signal)
    }

    /// Runs `body` with termination held off; a signal that came meanwhile ends the process right after it.
    ///
    /// Units do not nest, and `body` must be short: it must not wait for the network.
    func atomically<T>(_ body: () throws -> T) rethrows -> T {
        self.state.withLock { $0.busy = true }
        defer {
            self.state.withLock { state in
                state.busy = false
                if let signal = state.pending {
                    state.pending = nil
                    self.end(signal)
                }
            }
        }
        return try body()
    }

    /// Dies of the signal `number`: its default action restored, unblocked on this thread (Dispatch blocks it on
    /// its own), raised again; should that not end the process, exits with the shell's 128 + number.
    private static func die(of number: Int32) {
        signal(number, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(number)
        _exit(128 + number)
    }
}
