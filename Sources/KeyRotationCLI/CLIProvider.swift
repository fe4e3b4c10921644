import KeyRotation

/// A service the command line has a key pool for: its name on the command line, its key variables and the
/// limits its keys get when `--key-rate` is not given.
struct CLIProvider: Hashable, Sendable, CustomStringConvertible {
    /// The name on the command line (`vt`).
    let name: String
    /// The name for people (`VirusTotal`).
    let displayName: String
    /// The prefix of its key variables (`VT` for `VT_API_KEYS`).
    let keyPrefix: String
    /// The per-key limits when `--key-rate` is not given.
    let defaultLimits: [RateLimit]
    /// The strategy when `--strategy` is not given.
    let defaultStrategy: SelectionStrategy
    /// The variable that overrides the base URL.
    let baseURLVariable: String
    /// The longest cooldown after repeated 429s that name no time (the provider's window, when it is known).
    let maximumBackoff: Duration

    /// The variable that sets how many limit units each request spends (`NODIT_REQUEST_COST`): 1 when unset.
    var requestCostVariable: String { "\(self.keyPrefix)_REQUEST_COST" }

    /// VirusTotal (public API: 4 lookups per minute, 500 per day per key).
    static let virusTotal = CLIProvider(
        name: "vt",
        displayName: "VirusTotal",
        keyPrefix: "VT",
        defaultLimits: [.perMinute(4), .perDay(500)],
        defaultStrategy: .mostRemainingQuota,
        baseURLVariable: "VIRUSTOTAL_BASE_URL"
    )

    /// The Aptos node API (Aptos Labs gateway); no per-key limit is known in advance. Its limits are counted in
    /// 300 s windows and its 429s name no time, so repeated 429s back off up to 300 s.
    static let aptos = CLIProvider(
        name: "aptos",
        displayName: "Aptos",
        keyPrefix: "APTOS",
        defaultLimits: [],
        defaultStrategy: .roundRobin,
        baseURLVariable: "APTOS_BASE_URL",
        maximumBackoff: .seconds(300)
    )

    /// Nodit (Aptos node and Web3 Data API); limits depend on the plan: give them with `--key-rate`.
    static let nodit = CLIProvider(
        name: "nodit",
        displayName: "Nodit",
        keyPrefix: "NODIT",
        defaultLimits: [],
        defaultStrategy: .roundRobin,
        baseURLVariable: "NODIT_BASE_URL"
    )

    /// A provider from a ``CustomProvider`` file (`keyrotation serve --provider custom --config FILE`).
    static func custom(_ provider: CustomProvider) -> CLIProvider {
        CLIProvider(
            name: "custom",
            displayName: provider.name,
            keyPrefix: provider.keyPrefix,
            defaultLimits: provider.limits,
            defaultStrategy: .roundRobin,
            baseURLVariable: "\(provider.keyPrefix)_BASE_URL"
        )
    }

    /// Every provider, in help order.
    static let all: [CLIProvider] = [.virusTotal, .aptos, .nodit]

    /// The names, for `--provider` choices.
    static var names: [String] { Self.all.map(\.name) }

    /// The provider called `name` on the command line.
    init?(name: String) {
        guard let provider = Self.all.first(where: { $0.name == name }) else { return nil }
        self = provider
    }

    private init(
        name: String,
        displayName: String,
        keyPrefix: String,
        defaultLimits: [RateLimit],
        defaultStrategy: SelectionStrategy,
        baseURLVariable: String,
        maximumBackoff: Duration = .seconds(60)
    ) {
        self.name = name
        self.displayName = displayName
        self.keyPrefix = keyPrefix
        self.defaultLimits = defaultLimits
        self.defaultStrategy = defaultStrategy
        self.baseURLVariable = baseURLVariable
        self.maximumBackoff = maximumBackoff
    }

    /// `VT_API_KEYS, VT_API_KEY, VT_API_KEY_1…N`.
    var keyVariables: String {
        "\(self.keyPrefix)_API_KEYS, \(self.keyPrefix)_API_KEY, \(self.keyPrefix)_API_KEY_1…N"
    }

    var description: String { self.name }
}
