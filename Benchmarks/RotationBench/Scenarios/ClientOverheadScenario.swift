import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// What `RotatingClient` adds over the bare transport: the same request to a `SimulatedProvider` that answers at once,
/// sent directly and through the client (lease, auth, classification, report). Median of 5 rounds.
struct ClientOverheadScenario: BenchScenario {
    let name = "client-overhead"
    let title = "7. RotatingClient over the bare transport (SimulatedProvider answering at once)"
    let columns = [
        Column("bare µs/request", "bare_us", decimals: 2),
        Column("client µs/request", "client_us", decimals: 2),
        Column("overhead µs", "overhead_us", decimals: 2),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let iterations = options.quick ? 200 : 2_000
        let clock = TestClock()
        let secrets = (0..<4).map { "overhead-secret-\($0)-0123456789" }
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: Dictionary(
                uniqueKeysWithValues: secrets.map { ($0, SimulatedKeyBehaviour(label: String($0.prefix(17)))) }
            )
        )
        let profile = ProviderProfile(
            name: "Simulated",
            baseURL: URL(string: "https://aptos-mainnet.nodit.io/v1")!,
            authentication: .header("X-API-KEY")
        )
        let rotator = KeyRotator(
            keys: secrets.map { APIKey($0) },
            configuration: .init(strategy: .roundRobin),
            clock: clock
        )
        let client = RotatingClient(profile: profile, rotator: rotator, transport: provider, clock: clock, seed: 1)
        let request = profile.request(.get, "/")  // built once: both loops send the same request
        var bare = request
        bare.headers.replaceOrAdd(name: "X-API-KEY", value: secrets[0])
        let wall = ContinuousClock()
        var bareRounds: [Double] = []
        var clientRounds: [Double] = []
        for _ in 0..<5 {
            provider.reset()
            let direct = await wall.measure {
                for _ in 0..<iterations { _ = try? await provider.send(bare) }
            }
            provider.reset()
            let rotated = await wall.measure {
                for _ in 0..<iterations { _ = try? await client.send(request) }
            }
            bareRounds.append(Double(direct.nanoseconds) / Double(iterations) / 1000)
            clientRounds.append(Double(rotated.nanoseconds) / Double(iterations) / 1000)
        }
        let bareMedian = bareRounds.sorted()[2]
        let clientMedian = clientRounds.sorted()[2]
        return [
            ResultRow(
                scenario: self.name,
                variant: "\(iterations) requests",
                pool: "round-robin, 4 keys",
                driver: "micro",
                figures: [
                    ("bare_us", bareMedian),
                    ("client_us", clientMedian),
                    ("overhead_us", clientMedian - bareMedian),
                ]
            )
        ]
    }
}
