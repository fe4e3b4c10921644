import Synchronization

/// A value behind a `Mutex` that escaping closures and tasks can share (a `Mutex` itself is non-copyable and
/// can't be captured by an escaping closure).
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// Wraps `value`.
    package init(_ value: Value) { self.mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value. Never await or sleep inside.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try self.mutex.withLock { try body(&$0) }
    }

    /// A copy of the value.
    package var value: Value { self.mutex.withLock { $0 } }
}
