import Synchronization

/// An in-memory sink: what tests pass as stdout and stderr to
/// ``KeyRotationCommandLine/run(arguments:environment:stdout:stderr:)``.
final class CapturedOutput: OutputSink {
    private let buffer = Mutex("")

    /// Whether to pretend to be a terminal.
    let isTerminal: Bool

    /// Creates an empty buffer.
    init(isTerminal: Bool = false) { self.isTerminal = isTerminal }

    func write(_ text: String) throws(OutputWriteError) { self.buffer.withLock { $0 += text } }

    /// Everything written so far.
    var text: String { self.buffer.withLock { $0 } }
}
