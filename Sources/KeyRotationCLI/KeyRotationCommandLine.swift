import Foundation
import KeyRotationHTTP
import KeyRotationStore

/// The `keyrotation` dispatcher: finds the group and command, parses and validates the options, shows help and
/// usage errors, and runs the command. Tests call ``run(arguments:environment:stdout:stderr:)`` in-process.
///
/// Global options may come before the group (`keyrotation --json keys status …`) or after the command.
struct KeyRotationCommandLine: Sendable {
    /// The version `--version` prints.
    static let version = "0.1.0"

    /// The command groups.
    var groups: [CommandGroup]
    /// Opens the key-state store for commands; the default keeps state in memory.
    var makeStateStore: StateStoreFactory
    /// Holds SIGINT and SIGTERM off while a command finishes a unit of output (``TerminationGuard``).
    var termination: TerminationGuard

    /// Creates a command line with `groups` (default: every registered group).
    init(
        groups: [CommandGroup] = CommandRegistry.groups,
        makeStateStore: @escaping StateStoreFactory = KeyRotationCommandLine.defaultStateStore,
        termination: TerminationGuard = .shared
    ) {
        self.groups = groups
        self.makeStateStore = makeStateStore
        self.termination = termination
    }

    /// The default store: SQLite at the resolved store path, so quotas and cooldowns hold across runs and processes.
    static let defaultStateStore: StateStoreFactory = { path in
        Self.createParentDirectory(of: path)
        return try SQLiteKeyStateStore(path: path)
    }

    /// Creates the folder a store file lives in (the default under the XDG data directory may not exist yet).
    static func createParentDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs `keyrotation` with `arguments` (without the program name) and returns its exit code.
    ///
    /// - Parameters:
    ///   - arguments: The words after `keyrotation`.
    ///   - environment: The variables (keys, store path); default the process environment.
    ///   - stdout: Where results go.
    ///   - stderr: Where help on a usage error, messages and progress go.
    static func run(
        arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        stdout: some OutputSink,
        stderr: some OutputSink
    ) async -> ExitCode {
        await KeyRotationCommandLine().run(
            arguments: arguments,
            environment: environment,
            stdout: stdout,
            stderr: stderr
        )
    }

    /// Runs `keyrotation` with `arguments` (without the program name) and returns its exit code.
    func run(
        arguments: [String],
        environment: [String: String],
        stdout: any OutputSink,
        stderr: any OutputSink
    ) async -> ExitCode {
        // Global options before the group.
        var leading: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let token = arguments[index]
            if token == "--help" || token == "-h" {
                return Self.show(HelpText.topLevel(groups: self.groups), stdout, stderr)
            }
            if token == "--version" {
                return Self.show("keyrotation \(Self.version)\n", stdout, stderr)
            }
            guard token.hasPrefix("-"), token != "-" else { break }
            let name = token.hasPrefix("--") ? String(token.dropFirst(2).prefix { $0 != "=" }) : nil
            guard let name, let option = GlobalOptions.specs.first(where: { $0.name == name }) else {
                let shown = name.flatMap { UsageError.isSafeToEcho($0) ? " '--\($0)'" : nil } ?? ""
                return Self.usageError("unknown option\(shown) before the command group", hint: nil, stderr)
            }
            leading.append(token)
            index += 1
            if option.takesValue && !token.contains("="), index < arguments.endIndex {
                leading.append(arguments[index])
                index += 1
            }
        }
        guard index < arguments.endIndex else {
            if leading.isEmpty {
                try? stderr.write(HelpText.topLevel(groups: self.groups))
                return .usage
            }
            return Self.usageError("missing command group", hint: nil, stderr)
        }
        let groupName = arguments[index]
        var rest = Array(arguments[(index + 1)...])
        if groupName == "help" { return self.help(topics: rest, stdout: stdout, stderr: stderr) }
        guard let group = self.groups.first(where: { $0.name == groupName }) else {
            return Self.usageError(Self.unknown("command group", groupName), hint: nil, stderr)
        }

        // A group of one command named after it (`keyrotation serve …`) needs no second word.
        if group.commands.count == 1, group.commands[0].name == group.name, rest.first != group.name,
            !(rest.first == "--help" || rest.first == "-h")
        {
            rest.insert(group.name, at: 0)
        }
        // The command.
        guard let commandName = rest.first else {
            try? stderr.write(HelpText.group(group))
            return .usage
        }
        if commandName == "--help" || commandName == "-h" {
            return Self.show(HelpText.group(group), stdout, stderr)
        }
        if commandName.hasPrefix("-") {
            return Self.usageError("missing command before '\(Self.optionName(commandName))'", hint: group.name, stderr)
        }
        guard let command = group.command(named: commandName) else {
            return Self.usageError(
                Self.unknown("command", commandName) + " in group \(group.name)",
                hint: group.name,
                stderr
            )
        }

        // Its options and arguments.
        let path = "\(group.name) \(command.name)"
        let parsed: CommandLineArguments
        let global: GlobalOptions
        do {
            parsed = try CommandLineArguments.parse(
                leading + rest.dropFirst(),
                options: command.allOptions,
                arguments: command.arguments
            )
            if parsed.isHelpRequested {
                return Self.show(HelpText.command(command, group: group), stdout, stderr)
            }
            global = try GlobalOptions(parsed)
        } catch {
            return Self.usageError(error.message, hint: path, stderr)
        }
        let invocation = Invocation(
            group: group.name,
            command: command.name,
            arguments: parsed,
            global: global,
            environment: CLIEnvironment(variables: environment),
            stdout: stdout,
            stderr: stderr,
            makeStateStore: self.makeStateStore,
            termination: self.termination
        )
        guard global.verbose else { return await command.run(invocation) }
        // Every attempt of every request the command makes, by key id (never the key), on stderr.
        return await RequestLog.$observer.withValue(RequestLog.Observer { stderr.message("keyrotation: \($0)") }) {
            await command.run(invocation)
        }
    }

    /// `keyrotation help [group [command]]`.
    private func help(topics: [String], stdout: any OutputSink, stderr: any OutputSink) -> ExitCode {
        guard let groupName = topics.first else {
            return Self.show(HelpText.topLevel(groups: self.groups), stdout, stderr)
        }
        guard let group = self.groups.first(where: { $0.name == groupName }) else {
            return Self.usageError(Self.unknown("command group", groupName), hint: nil, stderr)
        }
        guard topics.count > 1 else {
            return Self.show(HelpText.group(group), stdout, stderr)
        }
        guard topics.count == 2, let command = group.command(named: topics[1]) else {
            return Self.usageError(
                Self.unknown("command", topics[1]) + " in group \(group.name)",
                hint: group.name,
                stderr
            )
        }
        return Self.show(HelpText.command(command, group: group), stdout, stderr)
    }

    /// Writes a help text or the version to stdout: exit 0, or 4 with the reason on stderr when it can't be written.
    private static func show(_ text: String, _ stdout: any OutputSink, _ stderr: any OutputSink) -> ExitCode {
        do {
            try stdout.write(text)
            return .success
        } catch {
            stderr.message("keyrotation: \(error.message)")
            return .outputFailed
        }
    }

    /// `keyrotation: <message>` and `Run 'keyrotation <hint> --help' for usage.` on stderr; exit 2.
    static func usageError(_ message: String, hint: String?, _ stderr: any OutputSink) -> ExitCode {
        stderr.message("keyrotation: \(message)")
        stderr.message("Run 'keyrotation \(hint.map { $0 + " " } ?? "")--help' for usage.")
        return .usage
    }

    private static func unknown(_ what: String, _ name: String) -> String {
        UsageError.isSafeToEcho(name) ? "unknown \(what) '\(name)'" : "unknown \(what)"
    }

    private static func optionName(_ token: String) -> String {
        let name = token.prefix { $0 != "=" }
        return UsageError.isSafeToEcho(name.drop { $0 == "-" }) ? String(name) : "-…"
    }
}
