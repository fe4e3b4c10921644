/// The command line could not be understood; exits with ``ExitCode/usage``.
///
/// The message says what was wrong and never repeats a value the user typed (it could be a key), only option
/// names, numbers and the accepted choices.
struct UsageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, as a sentence fragment after `keyrotation: `.
    var message: String

    /// Creates a usage error.
    init(_ message: String) { self.message = message }

    var description: String { self.message }

    /// Whether `text` may be repeated in an error message: a short word of lower-case letters and dashes, as
    /// command and option names are. Keys (long, with digits or capitals) never pass.
    static func isSafeToEcho(_ text: some StringProtocol) -> Bool {
        (1...24).contains(text.count) && text.allSatisfy { ("a"..."z").contains($0) || $0 == "-" }
    }
}
