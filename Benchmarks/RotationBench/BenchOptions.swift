/// The command line: `rotation-bench [--quick] [--scenario NAME]... [--seed N] [--real-time] [--json FILE]
/// [--svg FILE]`.
struct BenchOptions: Sendable {
    var quick = false
    var seed: UInt64 = 1
    var realTime = false
    var scenarios: [String] = []
    var jsonPath: String?
    var svgPath: String?
    var showsHelp = false

    static let usage = """
        usage: rotation-bench [options]

          --quick            small sizes, for CI (a few seconds, also in debug builds)
          --scenario NAME    run only NAME (repeatable): \(ScenarioCatalog.names.joined(separator: ", "))
          --seed N           seed of every random draw (default 1)
          --real-time        run the scenarios on the wall clock instead of virtual time (uses --quick sizes)
          --json FILE        write every figure and the machine to FILE
          --svg FILE         write per-key share bars and quota use over time to FILE
          -h, --help         this text
        """

    /// Parses the arguments (without the program name).
    static func parse(_ arguments: [String]) throws(BenchOptionsError) -> BenchOptions {
        var options = BenchOptions()
        var index = 0
        func value(_ flag: String) throws(BenchOptionsError) -> String {
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                throw BenchOptionsError("\(flag) needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--quick": options.quick = true
            case "--real-time": options.realTime = true
            case "-h", "--help": options.showsHelp = true
            case "--json": options.jsonPath = try value(argument)
            case "--svg": options.svgPath = try value(argument)
            case "--seed":
                let text = try value(argument)
                guard let seed = UInt64(text) else {
                    throw BenchOptionsError("--seed wants a whole number, not '\(text)'")
                }
                options.seed = seed
            case "--scenario":
                let name = try value(argument)
                guard ScenarioCatalog.names.contains(name) else {
                    throw BenchOptionsError(
                        "unknown scenario '\(name)'; pick one of \(ScenarioCatalog.names.joined(separator: ", "))"
                    )
                }
                options.scenarios.append(name)
            default:
                throw BenchOptionsError("unknown option '\(argument)'; see --help")
            }
            index += 1
        }
        if options.realTime { options.quick = true }
        return options
    }
}

/// A command line that can't be run: what was wrong and what to do.
struct BenchOptionsError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
