import Synchronization

/// A value behind a `Mutex` that closures and tasks can share (a `Mutex` itself can't be captured by escaping
/// closures: it is non-copyable).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// Wraps `value`.
    public init(_ value: Value) { self.mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try self.mutex.withLock { try body(&$0) }
    }

    /// A copy of the value.
    public var value: Value { self.mutex.withLock { $0 } }
}
