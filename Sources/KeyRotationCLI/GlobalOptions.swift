import KeyRotation

/// The options every command accepts: `--key-rate`, `--strategy`, `--store`, `--json`, `-h/--help`.
struct GlobalOptions: Sendable {
    /// `--key-rate LIMITS`: the per-key limits, replacing the provider's defaults (`nil`: not given).
    var keyRates: [RateLimit]?
    /// `--strategy NAME` (`nil`: the provider's default).
    var strategy: SelectionStrategy?
    /// `--store PATH` (`nil`: from the environment).
    var storePath: String?
    /// `--json`: machine-readable output.
    var json: Bool
    /// `-v, --verbose`: every request attempt on stderr.
    var verbose = false

    /// The global options' declarations, appended to every command's own.
    static let specs: [OptionSpec] = [.keyRate, .strategy, .store, .json, .verbose, .help]

    /// The accepted `--strategy` names.
    static let strategyNames = ["round-robin", "weighted", "most-remaining", "health-aware"]

    /// Nothing given.
    init() {
        self.json = false
    }

    /// Reads the global options from parsed arguments.
    ///
    /// - Throws: ``UsageError`` when `--key-rate` or `--strategy` can't be read.
    init(_ arguments: CommandLineArguments) throws(UsageError) {
        self.json = arguments.flag("json")
        self.verbose = arguments.flag("verbose")
        self.storePath = arguments.value("store")
        let rates = arguments.allValues("key-rate")
        if !rates.isEmpty {
            do {
                self.keyRates = try rates.flatMap { try RateLimit.parseList($0) }
            } catch let error as RateLimitParseError {
                throw UsageError("--key-rate: \(error.description)")
            } catch {
                throw UsageError("--key-rate: \(error)")
            }
        }
        if let name = arguments.value("strategy") {
            guard let strategy = SelectionStrategy(name: name) else {
                throw UsageError("option --strategy must be one of \(Self.strategyNames.joined(separator: ", "))")
            }
            self.strategy = strategy
        }
    }
}

extension OptionSpec {
    /// `--key-rate LIMITS` (global, repeatable).
    static let keyRate = OptionSpec.text(
        "key-rate",
        placeholder: "LIMITS",
        help: "Limits of each key, replacing the provider's defaults, e.g. \"4/min,500/day\" "
            + "(units s, min, hour, day, month; 300s; spacing=100ms)",
        repeatable: true
    )

    /// `--strategy NAME` (global).
    static let strategy = OptionSpec.text(
        "strategy",
        placeholder: "NAME",
        help: "How keys are picked: round-robin, weighted, most-remaining, health-aware"
    )

    /// `--store PATH` (global).
    static let store = OptionSpec.text(
        "store",
        placeholder: "PATH",
        help: "Key-state database (default $KEYROTATION_STORE, else $XDG_DATA_HOME/keyrotation/state.sqlite, "
            + "else ~/.local/share/keyrotation/state.sqlite)"
    )

    /// `--json` (global).
    static let json = OptionSpec.flag("json", help: "Machine-readable JSON output")

    /// `-v, --verbose` (global).
    static let verbose = OptionSpec.flag(
        "verbose",
        short: "v",
        help: "Print every request attempt on stderr: provider, path, key id (never the key), status, time"
    )

    /// `-h, --help` (global).
    static let help = OptionSpec.flag("help", short: "h", help: "Show this help")
}
