import Testing

@testable import KeyRotationCLI

@Suite struct CommandLineArgumentsTests {
    static let options: [OptionSpec] = [
        .integer("count", short: "c", help: "How many", range: 1...10),
        .text("tag", placeholder: "TAG", help: "A tag", repeatable: true),
        .text("output", short: "o", placeholder: "FILE", help: "Where"),
        .choice("mode", ["fast", "slow"], help: "The mode"),
        .flag("verbose", short: "v", help: "Say more"),
        .flag("json", short: "j", help: "JSON"),
        .help,
    ]
    static let arguments = [ArgumentSpec("ITEM", help: "Items", arity: .zeroOrMore)]

    static func parse(_ tokens: [String]) throws(UsageError) -> CommandLineArguments {
        try CommandLineArguments.parse(tokens, options: Self.options, arguments: Self.arguments)
    }

    struct Accepted: Sendable, CustomTestStringConvertible {
        var tokens: [String]
        var count: Int?
        var output: String?
        var tags: [String] = []
        var verbose = false
        var items: [String] = []
        var testDescription: String { self.tokens.joined(separator: " ") }
    }

    @Test(arguments: [
        Accepted(tokens: ["--count", "3"], count: 3),
        Accepted(tokens: ["--count=3"], count: 3),
        Accepted(tokens: ["-c", "3"], count: 3),
        Accepted(tokens: ["-c3"], count: 3),
        Accepted(tokens: ["--output", "out.json"], output: "out.json"),
        Accepted(tokens: ["-o", "a.csv", "-o", "b.csv"], output: "b.csv"),
        Accepted(tokens: ["--output=-dash"], output: "-dash"),
        Accepted(tokens: ["--output="], output: ""),
        Accepted(tokens: ["--verbose"], verbose: true),
        Accepted(tokens: ["-vj"], verbose: true),
        Accepted(tokens: ["--tag", "a", "--tag=b", "--tag", "c"], tags: ["a", "b", "c"]),
        Accepted(tokens: ["x", "--verbose", "y"], verbose: true, items: ["x", "y"]),
        Accepted(tokens: ["-"], items: ["-"]),
        Accepted(tokens: ["--", "--verbose", "-c", "-"], items: ["--verbose", "-c", "-"]),
        Accepted(tokens: ["a", "--", "--"], items: ["a", "--"]),
        Accepted(tokens: ["-5"], items: ["-5"]),
        Accepted(tokens: [], items: []),
    ])
    func acceptedForms(_ example: Accepted) throws {
        let parsed = try Self.parse(example.tokens)
        #expect(parsed.integer("count") == example.count)
        #expect(parsed.value("output") == example.output)
        #expect(parsed.allValues("tag") == example.tags)
        #expect(parsed.flag("verbose") == example.verbose)
        #expect(parsed.argument("ITEM") == example.items)
    }

    @Test func bundledShortFlagsSetEveryFlag() throws {
        let parsed = try Self.parse(["-vj"])
        #expect(parsed.flag("verbose") && parsed.flag("json"))
    }

    struct Rejected: Sendable, CustomTestStringConvertible {
        var tokens: [String]
        var message: String
        var testDescription: String { self.tokens.joined(separator: " ") }
    }

    @Test(arguments: [
        Rejected(tokens: ["--bogus"], message: "unknown option '--bogus'"),
        Rejected(tokens: ["--bogus=1"], message: "unknown option '--bogus'"),
        Rejected(tokens: ["-x"], message: "unknown option '-x'"),
        Rejected(tokens: ["-vX"], message: "unknown option"),
        Rejected(tokens: ["--Sk9Secret77=abc"], message: "unknown option"),
        Rejected(tokens: ["--output"], message: "option --output needs a value (--output FILE)"),
        Rejected(tokens: ["--output", "--json"], message: "option --output needs a value (--output FILE)"),
        Rejected(tokens: ["-o"], message: "option -o needs a value (--output FILE)"),
        Rejected(tokens: ["--count", "many"], message: "option --count needs a whole number, from 1 to 10"),
        Rejected(tokens: ["--count=2.5"], message: "option --count needs a whole number, from 1 to 10"),
        Rejected(tokens: ["--count", "11"], message: "option --count is 11, from 1 to 10"),
        Rejected(tokens: ["--json=yes"], message: "option --json takes no value"),
        Rejected(tokens: ["--mode", "warp"], message: "option --mode must be one of fast, slow"),
    ])
    func rejectedForms(_ example: Rejected) {
        #expect(throws: UsageError(example.message)) { try Self.parse(example.tokens) }
    }

    @Test func errorsNeverRepeatTheValue() {
        let secret = "Sk9Secret77"
        for tokens in [["--count", secret], ["--mode", secret], ["--\(secret)"], ["--\(secret)=v"], ["-\(secret)"]] {
            let error = #expect(throws: UsageError.self) { try Self.parse(tokens) }
            #expect(error?.message.contains(secret) == false, "\(tokens.count) tokens")
        }
    }

    @Test func positionalsAreCheckedAgainstTheDeclaredArguments() {
        #expect(throws: UsageError("unexpected argument (#1): this command takes no arguments")) {
            try CommandLineArguments.parse(["extra"], options: Self.options)
        }
        let one = [ArgumentSpec("IOC", help: "An IOC")]
        #expect(throws: UsageError("unexpected argument (#2): expected only IOC")) {
            try CommandLineArguments.parse(["a", "b"], options: Self.options, arguments: one)
        }
        #expect(throws: UsageError("missing argument IOC")) {
            try CommandLineArguments.parse([], options: Self.options, arguments: one)
        }
        let pair = [ArgumentSpec("FROM", help: "From"), ArgumentSpec("REST", help: "Rest", arity: .oneOrMore)]
        let parsed = try? CommandLineArguments.parse(["a", "b", "c"], options: Self.options, arguments: pair)
        #expect(parsed?.argument("FROM") == ["a"])
        #expect(parsed?.argument("REST") == ["b", "c"])
    }

    @Test func aRequiredOptionMustBeGiven() {
        let options = [OptionSpec.choice("provider", ["vt", "aptos"], help: "Pool", required: true)]
        #expect(throws: UsageError("missing option --provider vt|aptos")) {
            try CommandLineArguments.parse([], options: options)
        }
    }

    @Test func helpWinsOverOtherMistakes() throws {
        let parsed = try Self.parse(["--bogus", "--count", "zero", "extra", "-h"])
        #expect(parsed.isHelpRequested)
        let afterDashes = #expect(throws: UsageError.self) { try Self.parse(["--bogus", "--", "--help"]) }
        #expect(afterDashes?.message == "unknown option '--bogus'")
    }
}
