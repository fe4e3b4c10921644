/// Where a command writes text: stdout, stderr, a file, or a buffer in tests.
///
/// Like `TextOutputStream`, but a shared reference that tasks can write to concurrently.
protocol OutputSink: Sendable {
    /// Writes `text` as is (add the newline yourself, or use ``OutputSink/line(_:)``).
    func write(_ text: String)

    /// Whether the sink is an interactive terminal (progress is drawn in place only there).
    var isTerminal: Bool { get }
}

extension OutputSink {
    /// Writes `text` and a newline.
    func line(_ text: String = "") { self.write(text + "\n") }
}
