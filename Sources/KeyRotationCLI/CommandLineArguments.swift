/// A parsed command line: flags, option values and positional arguments, checked against the declared
/// ``OptionSpec``s and ``ArgumentSpec``s.
///
/// Accepted forms: `--name value`, `--name=value`, `-n value`, `-nvalue`, bundled short flags (`-hj`), repeated
/// options, `--` (everything after it is positional), `-` (a positional, conventionally stdin). A value that
/// starts with `-` is written `--name=-value`.
struct CommandLineArguments: Hashable, Sendable {
    /// The flags given, by long name.
    private(set) var flags: Set<String> = []
    /// The values given, by long name, in order.
    private(set) var values: [String: [String]] = [:]
    /// The positional arguments, in order.
    private(set) var positionals: [String] = []
    /// The positional arguments by ``ArgumentSpec/name``.
    private(set) var arguments: [String: [String]] = [:]

    /// Whether `-h`/`--help` was given (then other mistakes are not reported: the help is shown).
    var isHelpRequested: Bool { self.flags.contains("help") }

    /// Whether the flag was given.
    func flag(_ name: String) -> Bool { self.flags.contains(name) }

    /// The option's value (the last one when given several times), or `nil`.
    func value(_ name: String) -> String? { self.values[name]?.last }

    /// Every value of a repeatable option, in order.
    func allValues(_ name: String) -> [String] { self.values[name] ?? [] }

    /// An integer option's value (validated while parsing), or `nil`.
    func integer(_ name: String) -> Int? { self.value(name).flatMap { Int($0) } }

    /// The values of a positional argument.
    func argument(_ name: String) -> [String] { self.arguments[name] ?? [] }

    /// Parses `tokens` (the words after the command's name).
    ///
    /// - Throws: ``UsageError`` for the first mistake, unless help was requested.
    static func parse(
        _ tokens: [String],
        options: [OptionSpec],
        arguments: [ArgumentSpec] = []
    ) throws(UsageError) -> CommandLineArguments {
        var parser = Parser(options: options)
        let result = parser.run(tokens)
        var parsed = result
        if parsed.isHelpRequested { return parsed }
        if let error = parser.firstError { throw error }
        for option in options where option.isRequired && parsed.values[option.name] == nil {
            throw UsageError("missing option \(option.synopsis)")
        }
        try parsed.assign(arguments)
        return parsed
    }

    private mutating func assign(_ specs: [ArgumentSpec]) throws(UsageError) {
        var remaining = self.positionals[...]
        for (index, spec) in specs.enumerated() {
            let reserved = specs[(index + 1)...].reduce(0) { $0 + $1.minimum }
            let available = max(0, remaining.count - reserved)
            guard available >= spec.minimum else { throw UsageError("missing argument \(spec.name)") }
            let count = min(available, spec.maximum ?? available)
            self.arguments[spec.name] = Array(remaining.prefix(count))
            remaining = remaining.dropFirst(count)
        }
        if !remaining.isEmpty {
            let position = self.positionals.count - remaining.count + 1
            if specs.isEmpty {
                throw UsageError("unexpected argument (#\(position)): this command takes no arguments")
            }
            let names = specs.map(\.synopsis).joined(separator: " ")
            throw UsageError("unexpected argument (#\(position)): expected only \(names)")
        }
    }

    /// The token-by-token walk; records the first mistake and keeps going so that a later `--help` still wins.
    private struct Parser {
        let long: [String: OptionSpec]
        let short: [Character: OptionSpec]
        var firstError: UsageError?
        var result = CommandLineArguments()

        init(options: [OptionSpec]) {
            var long: [String: OptionSpec] = [:]
            var short: [Character: OptionSpec] = [:]
            for option in options {
                if long[option.name] == nil { long[option.name] = option }
                if let letter = option.short, short[letter] == nil { short[letter] = option }
            }
            self.long = long
            self.short = short
        }

        mutating func run(_ tokens: [String]) -> CommandLineArguments {
            var index = tokens.startIndex
            var optionsEnded = false
            func next() -> String? {
                guard index < tokens.endIndex else { return nil }
                let token = tokens[index]
                // A following option is not taken as a value: `--output --json` misses the output's value.
                if token.hasPrefix("-") && token != "-" && !Self.isNumber(token) { return nil }
                index += 1
                return token
            }
            while index < tokens.endIndex {
                let token = tokens[index]
                index += 1
                if optionsEnded || token == "-" || !token.hasPrefix("-") || Self.isNumber(token) {
                    self.result.positionals.append(token)
                } else if token == "--" {
                    optionsEnded = true
                } else if token.hasPrefix("--") {
                    let body = token.dropFirst(2)
                    let name: Substring
                    let inline: String?
                    if let equals = body.firstIndex(of: "=") {
                        name = body[..<equals]
                        inline = String(body[body.index(after: equals)...])
                    } else {
                        name = body
                        inline = nil
                    }
                    guard let option = self.long[String(name)] else {
                        self.record(Self.unknown("--", name))
                        continue
                    }
                    if !option.takesValue {
                        if inline != nil { self.record(UsageError("option --\(option.name) takes no value")) }
                        self.result.flags.insert(option.name)
                    } else if let value = inline ?? next() {
                        self.store(value, for: option)
                    } else {
                        self.record(UsageError("option --\(option.name) needs a value (\(option.synopsis))"))
                    }
                } else {
                    var letters = token.dropFirst()[...]
                    while let letter = letters.first {
                        letters = letters.dropFirst()
                        guard let option = self.short[letter] else {
                            self.record(Self.unknown("-", String(letter)))
                            break
                        }
                        if !option.takesValue {
                            self.result.flags.insert(option.name)
                            continue
                        }
                        if let value = letters.isEmpty ? next() : String(letters) {
                            self.store(value, for: option)
                        } else {
                            self.record(UsageError("option -\(letter) needs a value (\(option.synopsis))"))
                        }
                        break
                    }
                }
            }
            return self.result
        }

        private mutating func store(_ value: String, for option: OptionSpec) {
            switch option.kind {
            case .flag:
                return
            case .text:
                break
            case .integer(_, let range):
                guard let number = Int(value) else {
                    self.record(UsageError("option --\(option.name) needs a whole number\(Self.describe(range))"))
                    return
                }
                if let range, !range.contains(number) {
                    self.record(UsageError("option --\(option.name) is \(number)\(Self.describe(range))"))
                    return
                }
            case .choice(let choices):
                guard choices.contains(value) else {
                    self.record(
                        UsageError("option --\(option.name) must be one of \(choices.joined(separator: ", "))")
                    )
                    return
                }
            }
            if option.isRepeatable {
                self.result.values[option.name, default: []].append(value)
            } else {
                self.result.values[option.name] = [value]
            }
        }

        private mutating func record(_ error: UsageError) {
            if self.firstError == nil { self.firstError = error }
        }

        private static func unknown(_ dashes: String, _ name: some StringProtocol) -> UsageError {
            UsageError.isSafeToEcho(name)
                ? UsageError("unknown option '\(dashes)\(name)'") : UsageError("unknown option")
        }

        private static func describe(_ range: ClosedRange<Int>?) -> String {
            guard let range else { return "" }
            if range.upperBound == .max { return ", at least \(range.lowerBound)" }
            return ", from \(range.lowerBound) to \(range.upperBound)"
        }

        /// `-5`, `-0.5`: negative numbers are values, not options.
        static func isNumber(_ token: String) -> Bool {
            token.count > 1 && token.hasPrefix("-") && Double(token.dropFirst()) != nil
        }
    }
}
