import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// One key of a scenario: what the pool is told, what the provider enforces, and what the key is entitled to.
struct KeySpec: Sendable {
    var label: String
    var weight = 1
    /// The limits the pool is told (empty: it must learn them).
    var clientLimits: [RateLimit]
    /// What the simulated provider enforces and injects.
    var behaviour: SimulatedKeyBehaviour
    /// The successful requests this key's limits allow over the whole run (its entitlement).
    var entitlement: Double

    var secret: String { "bench-secret-\(self.label)-0123456789abcdef" }

    var apiKey: APIKey { APIKey(self.secret, label: self.label, weight: self.weight, limits: self.clientLimits) }
}

/// How long a simulated request takes, drawn per caller from a seeded generator.
enum RequestLatency: Sendable, CustomStringConvertible {
    case fixed(Duration)
    case uniform(Duration, Duration)

    func draw(_ random: inout BenchRandom) -> Duration {
        switch self {
        case .fixed(let duration): return duration
        case .uniform(let low, let high):
            let span = high.nanoseconds - low.nanoseconds
            return .nanoseconds(low.nanoseconds + Int64(random.unit() * Double(span)))
        }
    }

    var description: String {
        switch self {
        case .fixed(let duration): duration.compactDescription
        case .uniform(let low, let high): "\(low.compactDescription)–\(high.compactDescription)"
        }
    }
}

/// A change to the provider at a virtual instant (a key turns invalid, a key starts failing).
struct ScheduledChange: Sendable {
    var at: Duration
    var keyIndex: Int
    var behaviour: SimulatedKeyBehaviour
}

/// A closed-loop workload: `callers` tasks that each acquire, send, wait the latency, report, and repeat, with up to
/// `attemptsPerJob` transient failures or `refusalsPerJob` refusals (429, quota, invalid key) before a job counts as
/// lost: `RotatingClient`'s defaults.
struct Workload: Sendable {
    var scenario: String
    var variant: String
    var keys: [KeySpec]
    var flavour: SimulatedFlavour = .aptos
    var callers: Int
    var latency: RequestLatency = .fixed(.zero)
    var duration: Duration
    var attemptsPerJob = 4
    var refusalsPerJob = 32
    /// The naive baseline's spacing per key (it knows nothing else).
    var baselineMinimumDelay: Duration
    var health: HealthPolicy = .default
    var changes: [ScheduledChange] = []
    var buckets = 60
    var strategies: [SelectionStrategy] = SelectionStrategy.all
    /// Whether a naive-baseline row is run beside the strategies.
    var includesBaseline = true

    var totalEntitlement: Double { self.keys.reduce(0) { $0 + $1.entitlement } }
}

/// The seeded generator of workloads' latencies.
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    mutating func unit() -> Double { self.nextUnitInterval() }
}
