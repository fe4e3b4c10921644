/// The process exit status of a command, documented in the top-level help.
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | some items failed (the others were processed) |
/// | 2 | usage or setup error (unknown option, missing or bad value, unexpected argument; a store or checkpoint
///   file that can't be opened) |
/// | 3 | no usable key (none configured, or every key rejected as invalid) |
/// | 4 | the results could not be written (stdout or `--output`: a full disk, an I/O error) |
struct ExitCode: Hashable, Sendable, CustomStringConvertible {
    /// The numeric status handed to `exit`.
    let rawValue: Int32

    /// Creates an exit code from its number.
    init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Everything worked.
    static let success = ExitCode(0)
    /// Some items failed; the others were processed.
    static let someFailed = ExitCode(1)
    /// The command line was wrong, or a file the run needs (the key-state store, a checkpoint) can't be opened;
    /// nothing was done.
    static let usage = ExitCode(2)
    /// No usable key: none configured, or every key was rejected.
    static let noUsableKey = ExitCode(3)
    /// Results could not be written to stdout or the `--output` file; what was written before is incomplete.
    static let outputFailed = ExitCode(4)

    /// Every documented code with its meaning, for help texts.
    static let documented: [(code: ExitCode, name: String, meaning: String)] = [
        (.success, "success", "success"),
        (.someFailed, "some items failed", "some items failed (the others were processed)"),
        (
            .usage, "usage or setup error",
            "usage or setup error: unknown option, missing or bad value, unexpected argument, or a store or "
                + "checkpoint file that cannot be opened"
        ),
        (.noUsableKey, "no usable key", "no usable key: none configured, or every key rejected as invalid"),
        (
            .outputFailed, "output not written",
            "the results could not be written (stdout or --output: a full disk, an I/O error)"
        ),
    ]

    var description: String { "\(self.rawValue)" }
}
