import Synchronization

/// A progress line on stderr, such as `12/40 enriched`.
///
/// On a terminal it is redrawn in place (`\r`, then the line, then "erase to end of line"); when stderr is not a
/// terminal it is silent, unless `--progress` forces one line per update. ``finish()`` ends the line.
final class ProgressLine: Sendable {
    /// How progress is drawn.
    enum Mode: Hashable, Sendable {
        /// Not at all.
        case off
        /// Redrawn in place on a terminal.
        case inPlace
        /// One line per update (forced, not a terminal).
        case lines

        /// In place on a terminal; one line per update when forced elsewhere; else off.
        static func resolve(forced: Bool, isTerminal: Bool) -> Mode {
            if isTerminal { return .inPlace }
            return forced ? .lines : .off
        }
    }

    private struct State {
        var completed = 0
        var lastDrawn: String?
        var isFinished = false
    }

    /// How progress is drawn.
    let mode: Mode
    /// What is counted, after the numbers (`enriched`).
    let label: String
    /// The number of items, if known.
    let total: Int?
    private let sink: any OutputSink
    private let state = Mutex(State())

    /// Creates a progress line; nothing is drawn until the first update.
    init(sink: any OutputSink, mode: Mode, label: String, total: Int?) {
        self.sink = sink
        self.mode = mode
        self.label = label
        self.total = total
    }

    /// The text for `completed` items: `12/40 enriched`, or `12 enriched` without a total.
    func text(completed: Int) -> String {
        if let total = self.total { return "\(completed)/\(total) \(self.label)" }
        return "\(completed) \(self.label)"
    }

    /// Sets the count of completed items and redraws.
    func update(completed: Int) { self.redraw { $0 = completed } }

    /// Adds `count` completed items and redraws.
    func advance(by count: Int = 1) { self.redraw { $0 += count } }

    private func redraw(_ change: (inout Int) -> Void) {
        guard self.mode != .off else { return }
        // Written under the lock so that concurrent updates reach the terminal in order (a write, never a wait).
        self.state.withLock { state in
            guard !state.isFinished else { return }
            change(&state.completed)
            let text = self.text(completed: state.completed)
            guard text != state.lastDrawn else { return }
            state.lastDrawn = text
            // Progress is a message: a stderr that can't be written doesn't stop the command.
            try? self.sink.write(self.mode == .inPlace ? "\r\(text)\u{1B}[K" : "\(text)\n")
        }
    }

    /// Ends the line (on a terminal, moves to the next line so later messages don't overwrite it).
    func finish() {
        let needsNewline = self.state.withLock { state -> Bool in
            defer { state.isFinished = true }
            return !state.isFinished && state.lastDrawn != nil
        }
        if needsNewline && self.mode == .inPlace { try? self.sink.write("\n") }
    }
}
