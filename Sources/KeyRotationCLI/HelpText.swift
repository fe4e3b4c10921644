/// The help texts of every level: top level, group, command.
enum HelpText {
    /// `keyrotation --help`: groups, global options, environment, exit codes.
    static func topLevel(groups: [CommandGroup]) -> String {
        var text = """
            keyrotation \(KeyRotationCommandLine.version): spread API calls over a pool of keys per service, \
            within each key's limits.

            Usage: keyrotation <group> <command> [options] [arguments]
                   keyrotation <group> --help
                   keyrotation --help | --version

            Command groups:

            """
        text += Self.columns(groups.map { ($0.name, $0.summary) })
        text += "\nGlobal options (every command accepts them):\n"
        text += Self.columns(
            Self.optionRows(GlobalOptions.specs) + [("    --version", "Show the version (before any group)")]
        )
        text += "\nEnvironment:\n"
        var variables = CLIProvider.all.map {
            ($0.keyVariables, "\($0.displayName) keys (comma list, one, or numbered)")
        }
        variables += [
            ("KEYROTATION_STORE", "Key-state database path (overridden by --store)"),
            ("XDG_DATA_HOME", "Default store: $XDG_DATA_HOME/keyrotation/state.sqlite (else ~/.local/share/…)"),
        ]
        variables += CLIProvider.all.map { ($0.baseURLVariable, "\($0.displayName) base URL (http only for loopback)") }
        variables += [CLIProvider.aptos, .nodit].map {
            ($0.requestCostVariable, "Limit units one \($0.displayName) request spends (compute units; default 1)")
        }
        variables += [
            ("NODIT_WEB3_BASE_URL", "Nodit Web3 Data API base URL (http only for loopback)"),
            ("VT_REPORT_TTL", "How long stored VirusTotal answers are served (45m, 2h, 1d; 0 = forever; --ttl wins)"),
        ]
        text += Self.columns(variables)
        text += "\nExit codes:\n"
        text += Self.columns(ExitCode.documented.map { ("\($0.code)", $0.meaning) })
        text += "\nKeys are never printed: output shows key ids (vt-1, vt-2, …) only.\n"
        text += "Run 'keyrotation <group> --help' for a group's commands, "
        text += "'keyrotation <group> <command> --help' for one command.\n"
        return text
    }

    /// `keyrotation <group> --help`: the group's commands.
    static func group(_ group: CommandGroup) -> String {
        var text = "keyrotation \(group.name): \(group.summary)\n\n"
        text += "Usage: keyrotation \(group.name) <command> [options]\n\n"
        if let discussion = group.discussion { text += Self.wrap(discussion, width: Self.width) + "\n\n" }
        text += "Commands:\n"
        text += Self.columns(group.commands.map { ($0.name, $0.summary) })
        text += "\nRun 'keyrotation \(group.name) <command> --help' for a command's options.\n"
        return text
    }

    /// `keyrotation <group> <command> --help`: usage, options, arguments, examples.
    static func command(_ command: any CLICommand, group: CommandGroup) -> String {
        var text = "keyrotation \(group.name) \(command.name): \(command.summary)\n\n"
        text += "Usage: keyrotation \(group.name) \(command.name) \(command.resolvedUsage)\n"
        if let discussion = command.discussion { text += "\n" + Self.wrap(discussion, width: Self.width) + "\n" }
        if !command.arguments.isEmpty {
            text += "\nArguments:\n"
            text += Self.columns(command.arguments.map { ($0.synopsis, $0.help) })
        }
        let own = command.options
        if !own.isEmpty {
            text += "\nOptions:\n"
            text += Self.options(own)
        }
        let ownNames = Set(own.map(\.name))
        text += "\nGlobal options:\n"
        text += Self.options(GlobalOptions.specs.filter { !ownNames.contains($0.name) })
        if !command.examples.isEmpty {
            text += "\nExamples:\n"
            text += command.examples.map { "  \($0)\n" }.joined()
        }
        text += "\nExit codes: " + ExitCode.documented.map { "\($0.code) \($0.name)" }.joined(separator: ", ") + ".\n"
        return text
    }

    /// The width help text is wrapped to.
    static let width = 100

    /// An option list: `-o, --output FILE   Write …`, with `(required)` and `(repeatable)` marks.
    static func options(_ options: [OptionSpec]) -> String { Self.columns(Self.optionRows(options)) }

    private static func optionRows(_ options: [OptionSpec]) -> [(String, String)] {
        options.map { option in
            var help = option.help
            if option.isRequired { help += " (required)" }
            if option.isRepeatable { help += " (repeatable)" }
            return (option.helpLabel, help)
        }
    }

    /// Two aligned columns, indented by two spaces; the second is wrapped to ``width``.
    static func columns(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        let indent = String(repeating: " ", count: width + 5)
        return rows.map { name, help in
            let padding = String(repeating: " ", count: width - name.count)
            guard !help.isEmpty else { return "  \(name)\n" }
            let lines = Self.wrap(help, width: max(30, Self.width - width - 5)).split(separator: "\n")
            return "  \(name)\(padding)   " + lines.joined(separator: "\n" + indent) + "\n"
        }.joined()
    }

    /// `text` with its paragraphs' lines broken at spaces so that none is longer than `width` (a longer word
    /// stays whole).
    static func wrap(_ text: String, width: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { paragraph in
            var lines: [String] = []
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            lines.append(line)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
