/// Everything a ``SimulatedProvider`` plays: the flavour, the keys it knows and how it treats each of them.
public struct SimulatedProviderConfiguration: Hashable, Sendable {
    /// Which provider to play.
    public var flavour: SimulatedFlavour
    /// The keys the provider accepts, by **secret**, with their behaviour. A request with any other key gets 401.
    public var keys: [String: SimulatedKeyBehaviour]
    /// How keyless requests are treated where the flavour allows them (Aptos). Default: label `anonymous`, no
    /// limits, no faults.
    public var anonymous: SimulatedKeyBehaviour
    /// Resources the provider does not know: 404 with the flavour's not-found body. An entry matches a request
    /// whose resource identifier (the last path segment, or for Aptos accounts the address) or whose path (after
    /// `/api/v3` or `/v1`) equals it. Default empty.
    public var unknownResources: Set<String>
    /// The chain served by the Aptos and Nodit node API. Default `SimulatedLedger()`.
    public var ledger: SimulatedLedger

    /// Creates a configuration; every parameter has the default its property documents.
    public init(
        flavour: SimulatedFlavour,
        keys: [String: SimulatedKeyBehaviour] = [:],
        anonymous: SimulatedKeyBehaviour = SimulatedKeyBehaviour(label: "anonymous"),
        unknownResources: Set<String> = [],
        ledger: SimulatedLedger = SimulatedLedger()
    ) {
        self.flavour = flavour
        self.keys = keys
        self.anonymous = anonymous
        self.unknownResources = unknownResources
        self.ledger = ledger
    }
}

extension SimulatedProvider {
    /// What the provider plays; see ``SimulatedProviderConfiguration``.
    public typealias Configuration = SimulatedProviderConfiguration
}

extension SimulatedProviderConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The flavour and the keys' labels; never a secret.
    public var description: String {
        let labels = self.keys.values.map { $0.label ?? "<unlabelled>" }.sorted()
        return "SimulatedProviderConfiguration(\(self.flavour), keys: \(labels))"
    }

    public var debugDescription: String { self.description }

    public var customMirror: Mirror {
        Mirror(self, children: ["flavour": self.flavour, "keyCount": self.keys.count, "ledger": self.ledger])
    }
}
