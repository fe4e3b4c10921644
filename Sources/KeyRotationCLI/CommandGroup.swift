/// A group of commands under one word: `keyrotation keys status` is group `keys`, command `status`.
///
/// A group is declared as a static member in its own file and listed once in ``CommandRegistry/groups``:
///
/// ```swift
/// extension CommandGroup {
///     static let vt = CommandGroup(
///         name: "vt",
///         summary: "VirusTotal: look up IOCs with a pool of keys",
///         commands: [VirusTotalLookupCommand(), VirusTotalQuotaCommand()]
///     )
/// }
/// ```
struct CommandGroup: Sendable {
    /// The group's word on the command line.
    let name: String
    /// One line for the top-level group list.
    let summary: String
    /// The commands, in help order.
    let commands: [any CLICommand]
    /// Paragraphs shown in the group's help; default none.
    let discussion: String?

    /// Creates a group.
    init(name: String, summary: String, commands: [any CLICommand], discussion: String? = nil) {
        self.name = name
        self.summary = summary
        self.commands = commands
        self.discussion = discussion
    }

    /// The command called `name`.
    func command(named name: String) -> (any CLICommand)? {
        self.commands.first { $0.name == name }
    }
}
