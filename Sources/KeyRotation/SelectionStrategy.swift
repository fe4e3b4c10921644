/// How a rotator picks among the keys that are healthy and allowed by their limits now.
///
/// | strategy | picks | for |
/// |---|---|---|
/// | ``roundRobin(minimumDelay:)`` | the next key in turn, skipping keys used less than `minimumDelay` ago | equal keys, a per-key spacing rule |
/// | ``smoothWeighted`` | keys in proportion to their weights, interleaved (nginx) | keys of different plans |
/// | ``mostRemainingQuota`` | the key with the most quota left, else the earliest reset | hard quotas (VirusTotal) |
/// | ``healthAware`` | the lighter of two random keys by latency × load, penalising failures | keys of uneven quality |
public struct SelectionStrategy: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case roundRobin(minimumDelay: Duration, spreadsUses: Bool)
        case smoothWeighted
        case mostRemainingQuota
        case healthAware
    }

    let wrapped: Wrapped

    private init(wrapped: Wrapped) { self.wrapped = wrapped }

    /// Each key in turn; a key used less than `minimumDelay` ago is skipped, never slept on.
    ///
    /// - Parameters:
    ///   - minimumDelay: The least time between two uses of one key. Default zero.
    ///   - spreadsUses: With a `minimumDelay`, whether the pool also spaces its grants evenly, `minimumDelay / keys`
    ///     apart, instead of handing out every key the instant they all free up. Spread grants keep the upstream
    ///     free of bursts and give every waiting caller the fair share of waiting time. Default `true`.
    public static func roundRobin(minimumDelay: Duration = .zero, spreadsUses: Bool = true) -> Self {
        Self(wrapped: .roundRobin(minimumDelay: minimumDelay, spreadsUses: spreadsUses))
    }

    /// Round robin with no spacing.
    public static let roundRobin = Self.roundRobin()

    /// Smooth weighted round robin (nginx): weights {5, 1, 1} give `a a b a c a a`.
    public static let smoothWeighted = Self(wrapped: .smoothWeighted)

    /// Healthy keys first, most remaining quota first, least recently used on ties.
    public static let mostRemainingQuota = Self(wrapped: .mostRemainingQuota)

    /// Power of two choices on latency EWMA × (in flight + 1), with a penalty for recent 429s and failures.
    public static let healthAware = Self(wrapped: .healthAware)

    /// Every built-in strategy, for benchmarks and the command line.
    public static let all: [Self] = [.roundRobin, .smoothWeighted, .mostRemainingQuota, .healthAware]

    /// Parses `round-robin`, `weighted`, `most-remaining`, `health-aware` (as the command line spells them).
    public init?(name: String) {
        switch name.lowercased() {
        case "round-robin", "roundrobin", "rr": self = .roundRobin
        case "weighted", "smooth-weighted", "smoothweighted": self = .smoothWeighted
        case "most-remaining", "most-remaining-quota", "mostremainingquota", "quota": self = .mostRemainingQuota
        case "health-aware", "healthaware", "health": self = .healthAware
        default: return nil
        }
    }

    /// The minimum spacing between two uses of one key, in nanoseconds.
    var spacingNanoseconds: Int64 {
        if case .roundRobin(let delay, _) = self.wrapped { return delay.nanoseconds }
        return 0
    }

    public var description: String {
        switch self.wrapped {
        case .roundRobin(let delay, let spreads):
            delay == .zero ? "round-robin" : "round-robin(\(delay.compactDescription)\(spreads ? "" : ", bursts"))"
        case .smoothWeighted: "weighted"
        case .mostRemainingQuota: "most-remaining"
        case .healthAware: "health-aware"
        }
    }
}

/// A strategy's state and its pick: one conformance per strategy, one file each.
protocol KeySelector: Sendable {
    /// The index of a key that is ready for `cost` units at `now`, or `nil` when none is.
    mutating func select(
        from entries: inout ContiguousArray<KeyEntry>,
        cost: Int,
        at now: Timestamp,
        random: inout SplitMix64
    ) -> Int?
}
