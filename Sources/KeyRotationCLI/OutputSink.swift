/// Where a command writes text: stdout, stderr, a file, or a buffer in tests.
///
/// Like `TextOutputStream`, but a shared reference that tasks can write to concurrently, and a write that fails
/// says so: results that could not be written must never pass for written.
protocol OutputSink: Sendable {
    /// Writes `text` as is (add the newline yourself, or use ``OutputSink/line(_:)``).
    ///
    /// - Throws: ``OutputWriteError`` when the text could not be written in full (a full disk, an I/O error).
    func write(_ text: String) throws(OutputWriteError)

    /// Whether the sink is an interactive terminal (progress is drawn in place only there).
    var isTerminal: Bool { get }
}

extension OutputSink {
    /// Writes `text` and a newline.
    ///
    /// - Throws: ``OutputWriteError`` when the line could not be written in full.
    func line(_ text: String = "") throws(OutputWriteError) { try self.write(text + "\n") }

    /// Writes `text` and a newline, for messages on stderr: a failure is ignored, as there is nowhere left to
    /// report it. Results go through ``line(_:)``, whose failures stop the command.
    func message(_ text: String) { try? self.write(text + "\n") }
}

/// Results could not be written to stdout or an `--output` file: the command stops (exit 4) and says what failed.
struct OutputWriteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being written: `standard output` or a file's path.
    var target: String
    /// The `errno` of the failed call.
    var code: Int32

    /// Creates an error.
    init(target: String, code: Int32) {
        self.target = target
        self.code = code
    }

    /// `cannot write to standard output: No space left on device`.
    var message: String { "cannot write to \(self.target): \(SystemError.reason(self.code))" }

    var description: String { self.message }
}
