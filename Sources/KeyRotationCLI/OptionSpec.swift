/// One option a command accepts: `--name`, maybe a short alias `-n`, a flag or a value.
///
/// ```swift
/// static let limit = OptionSpec.integer("limit", placeholder: "N", help: "Items per page", range: 1...100)
/// static let provider = OptionSpec.choice("provider", ["vt", "aptos", "nodit"], help: "Which pool", required: true)
/// ```
struct OptionSpec: Hashable, Sendable {
    /// What the option takes.
    enum Kind: Hashable, Sendable {
        /// No value: present or not.
        case flag
        /// Any text (a path, an IOC, a limit list); never repeated in error messages.
        case text(placeholder: String)
        /// A whole number, optionally within a range.
        case integer(placeholder: String, range: ClosedRange<Int>?)
        /// One of a fixed set of words.
        case choice([String])
    }

    /// The long name, without the dashes (`output` for `--output`).
    var name: String
    /// The one-letter alias (`o` for `-o`), if any.
    var short: Character?
    /// Flag or value, and which values.
    var kind: Kind
    /// One line for the help.
    var help: String
    /// Whether the option may be given several times (values accumulate); otherwise the last one wins.
    var isRepeatable: Bool
    /// Whether the command needs it.
    var isRequired: Bool

    /// Creates an option.
    init(
        _ name: String,
        short: Character? = nil,
        kind: Kind,
        help: String,
        repeatable: Bool = false,
        required: Bool = false
    ) {
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.isRepeatable = repeatable
        self.isRequired = required
    }

    /// A boolean flag.
    static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name, short: short, kind: .flag, help: help)
    }

    /// An option with a text value.
    static func text(
        _ name: String,
        short: Character? = nil,
        placeholder: String,
        help: String,
        repeatable: Bool = false,
        required: Bool = false
    ) -> OptionSpec {
        OptionSpec(
            name,
            short: short,
            kind: .text(placeholder: placeholder),
            help: help,
            repeatable: repeatable,
            required: required
        )
    }

    /// An option with a whole-number value.
    static func integer(
        _ name: String,
        short: Character? = nil,
        placeholder: String = "N",
        help: String,
        range: ClosedRange<Int>? = nil,
        required: Bool = false
    ) -> OptionSpec {
        OptionSpec(
            name,
            short: short,
            kind: .integer(placeholder: placeholder, range: range),
            help: help,
            required: required
        )
    }

    /// An option whose value is one of `choices`.
    static func choice(
        _ name: String,
        _ choices: [String],
        short: Character? = nil,
        help: String,
        required: Bool = false
    ) -> OptionSpec {
        OptionSpec(name, short: short, kind: .choice(choices), help: help, required: required)
    }

    /// Whether the option takes a value.
    var takesValue: Bool { self.kind != .flag }

    /// `--name VALUE` (or `--name` for a flag), as usage lines show it.
    var synopsis: String {
        switch self.kind {
        case .flag: "--\(self.name)"
        case .text(let placeholder), .integer(let placeholder, _): "--\(self.name) \(placeholder)"
        case .choice(let choices): "--\(self.name) \(choices.joined(separator: "|"))"
        }
    }

    /// `-o, --output FILE`, as the option list in a help shows it.
    var helpLabel: String {
        if let short = self.short { return "-\(short), \(self.synopsis)" }
        return "    \(self.synopsis)"
    }

    // MARK: Options every command can declare

    /// `-o, --output FILE`: write the result to a file (atomically when it is a regular one) instead of stdout.
    static let output = OptionSpec.text(
        "output",
        short: "o",
        placeholder: "FILE",
        help: "Write the result to FILE instead of stdout (atomically: a temporary file, then renamed; a symbolic "
            + "link's target; a FIFO or device in place)"
    )

    /// `--progress`: draw progress on stderr even when it is not a terminal.
    static let progress = OptionSpec.flag(
        "progress",
        help: "Show progress on stderr even when it is not a terminal (one line per update)"
    )
}
