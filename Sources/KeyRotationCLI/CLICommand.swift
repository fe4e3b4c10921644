/// One command of the command line, such as `keys status`: what it accepts, its help, and what it does.
///
/// The global options (``GlobalOptions/specs``) are added to ``options`` by the dispatcher; parsing, `--help`
/// and usage errors are handled before ``run(_:)`` is called.
///
/// ```swift
/// struct PingCommand: CLICommand {
///     let name = "ping"
///     let summary = "Check that the node answers"
///     var options: [OptionSpec] { [.integer("count", short: "c", help: "Requests to send", range: 1...100)] }
///     var examples: [String] { ["keyrotation aptos ping --count 3"] }
///
///     func run(_ invocation: Invocation) async -> ExitCode {
///         await invocation.perform {
///             let count = invocation.arguments.integer("count") ?? 1
///             invocation.stdout.line("sent \(count)")
///             return .success
///         }
///     }
/// }
/// ```
protocol CLICommand: Sendable {
    /// The command's name within its group (`status`).
    var name: String { get }
    /// One line for the group's command list.
    var summary: String { get }
    /// What follows `keyrotation <group> <command>` in the usage line; default: built from the options and
    /// arguments.
    var usage: String? { get }
    /// The command's own options (the global ones are added).
    var options: [OptionSpec] { get }
    /// The positional arguments; default none.
    var arguments: [ArgumentSpec] { get }
    /// Paragraphs shown after the summary in the command's help; default none.
    var discussion: String? { get }
    /// Example command lines for the help; default none.
    var examples: [String] { get }

    /// Does the work and returns the exit code. Write results to ``Invocation/stdout`` (or the `--output` file),
    /// messages to ``Invocation/stderr``.
    func run(_ invocation: Invocation) async -> ExitCode
}

extension CLICommand {
    var usage: String? { nil }
    var options: [OptionSpec] { [] }
    var arguments: [ArgumentSpec] { [] }
    var discussion: String? { nil }
    var examples: [String] { [] }

    /// The command's options followed by the global ones (a command's own declaration wins on a name clash).
    var allOptions: [OptionSpec] {
        let own = self.options
        let names = Set(own.map(\.name))
        return own + GlobalOptions.specs.filter { !names.contains($0.name) }
    }

    /// The usage line after `keyrotation <group> <command>`: required options, `[options]`, arguments.
    var resolvedUsage: String {
        if let usage { return usage }
        let required = self.options.filter(\.isRequired).map(\.synopsis)
        return (required + ["[options]"] + self.arguments.map(\.synopsis)).joined(separator: " ")
    }
}
