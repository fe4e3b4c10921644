/// A command failed in a way that has its own exit code and a message for the user.
///
/// Thrown inside ``Invocation/perform(_:)``, which prints `keyrotation: <message>` to stderr and exits with
/// ``exitCode``. Messages never contain a key.
struct CLIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The exit status.
    var exitCode: ExitCode
    /// What went wrong and what to do.
    var message: String

    /// Creates an error.
    init(_ exitCode: ExitCode, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    /// No usable key (exit 3).
    static func noUsableKey(_ message: String) -> CLIError { CLIError(.noUsableKey, message) }

    /// Some items failed (exit 1).
    static func failed(_ message: String) -> CLIError { CLIError(.someFailed, message) }

    var description: String { self.message }
}
