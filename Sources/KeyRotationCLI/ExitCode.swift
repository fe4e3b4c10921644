/// The process exit status of a command, documented in the top-level help.
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | some items failed (the others were processed) |
/// | 2 | usage error (unknown option, missing or bad value, unexpected argument) |
/// | 3 | no usable key (none configured, or every key rejected as invalid) |
struct ExitCode: Hashable, Sendable, CustomStringConvertible {
    /// The numeric status handed to `exit`.
    let rawValue: Int32

    /// Creates an exit code from its number.
    init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Everything worked.
    static let success = ExitCode(0)
    /// Some items failed; the others were processed.
    static let someFailed = ExitCode(1)
    /// The command line was wrong; nothing was done.
    static let usage = ExitCode(2)
    /// No usable key: none configured, or every key was rejected.
    static let noUsableKey = ExitCode(3)

    /// Every documented code with its meaning, for help texts.
    static let documented: [(code: ExitCode, name: String, meaning: String)] = [
        (.success, "success", "success"),
        (.someFailed, "some items failed", "some items failed (the others were processed)"),
        (.usage, "usage error", "usage error: unknown option, missing or bad value, unexpected argument"),
        (.noUsableKey, "no usable key", "no usable key: none configured, or every key rejected as invalid"),
    ]

    var description: String { "\(self.rawValue)" }
}
