import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// What `RotatingClient` adds over the bare transport (lease, auth, classification, header parsing, report): the
/// same request sent to the same transport directly (with the key already applied) and through the client, in
/// alternating rounds; the median of 5 rounds after a warm-up.
///
/// Two transports: one that replays a recorded `SimulatedProvider` answer (status, headers and body) and does
/// nothing else, so the difference is the client's alone, on `ContinuousClock` as in production; and the
/// `SimulatedProvider` itself on a `TestClock`, whose own work (about 150–250 µs a request) makes its difference
/// noisy.
struct ClientOverheadScenario: BenchScenario {
    let name = "client-overhead"
    let title = "7. RotatingClient over the bare transport (an in-memory transport answering at once)"
    let columns = [
        Column("bare µs/request", "bare_us", decimals: 3),
        Column("client µs/request", "client_us", decimals: 3),
        Column("overhead µs", "overhead_us", decimals: 3),
    ]

    static let secrets = (0..<4).map { "overhead-secret-\($0)-0123456789" }

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let testClock = TestClock()
        let provider = SimulatedProvider(
            clock: testClock,
            flavour: .nodit,
            keys: Dictionary(
                uniqueKeysWithValues: Self.secrets.map { ($0, SimulatedKeyBehaviour(label: String($0.prefix(17)))) }
            )
        )
        let profile = ProviderProfile(
            name: "Simulated",
            baseURL: URL(string: "https://aptos-mainnet.nodit.io/v1")!,
            authentication: .header("X-API-KEY")
        )
        let request = profile.request(.get, "/")  // built once: both loops send the same request
        var bare = request
        bare.headers.replaceOrAdd(name: "X-API-KEY", value: Self.secrets[0])

        // The provider's answer to the request, replayed as it came.
        let recorded = (try? await provider.send(bare)) ?? HTTPResponse(status: 200)
        let replay = ReplayTransport(response: recorded)
        let replayed = await Self.measure(
            client: RotatingClient(
                profile: profile,
                rotator: KeyRotator(keys: Self.secrets.map { APIKey($0) }, configuration: .init(strategy: .roundRobin)),
                transport: replay,
                clock: ContinuousClock(),
                seed: 1
            ),
            transport: replay,
            request: request,
            bare: bare,
            iterations: options.quick ? 2_000 : 50_000
        )
        let simulated = await Self.measure(
            client: RotatingClient(
                profile: profile,
                rotator: KeyRotator(
                    keys: Self.secrets.map { APIKey($0) },
                    configuration: .init(strategy: .roundRobin),
                    clock: testClock
                ),
                transport: provider,
                clock: testClock,
                seed: 1
            ),
            transport: provider,
            request: request,
            bare: bare,
            iterations: options.quick ? 200 : 2_000,
            beforeEachLoop: { provider.reset() }
        )
        return [
            self.row("replayed answer", "\(options.quick ? 2_000 : 50_000) requests", replayed),
            self.row("SimulatedProvider", "\(options.quick ? 200 : 2_000) requests", simulated),
        ]
    }

    private func row(_ transport: String, _ variant: String, _ times: (bare: Double, client: Double)) -> ResultRow {
        ResultRow(
            scenario: self.name,
            variant: "\(transport), \(variant)",
            pool: "round-robin, 4 keys",
            driver: "micro",
            figures: [
                ("bare_us", times.bare),
                ("client_us", times.client),
                ("overhead_us", times.client - times.bare),
            ]
        )
    }

    /// The median µs per request of `iterations` sends straight to `transport` and through `client`, over 5
    /// alternating rounds after one warm-up round.
    private static func measure<C: Clock>(
        client: RotatingClient<C>,
        transport: any HTTPTransport,
        request: HTTPRequest,
        bare: HTTPRequest,
        iterations: Int,
        beforeEachLoop: () -> Void = {}
    ) async -> (bare: Double, client: Double) where C.Duration == Duration {
        let wall = ContinuousClock()
        var statuses = 0  // what the loops got, used below so that no loop can be optimised away
        var bareRounds: [Double] = []
        var clientRounds: [Double] = []
        for round in 0..<6 {
            beforeEachLoop()
            let direct = await wall.measure {
                for _ in 0..<iterations { statuses &+= (try? await transport.send(bare))?.status ?? 0 }
            }
            beforeEachLoop()
            let rotated = await wall.measure {
                for _ in 0..<iterations { statuses &+= (try? await client.send(request))?.response.status ?? 0 }
            }
            if round == 0 { continue }  // warm-up
            bareRounds.append(Double(direct.nanoseconds) / Double(iterations) / 1000)
            clientRounds.append(Double(rotated.nanoseconds) / Double(iterations) / 1000)
        }
        precondition(statuses != 0, "no request was answered")
        return (bareRounds.sorted()[2], clientRounds.sorted()[2])
    }
}

/// A transport that answers every request with one recorded response and does nothing else.
final class ReplayTransport: HTTPTransport {
    let response: HTTPResponse

    init(response: HTTPResponse) { self.response = response }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse { self.response }
}
