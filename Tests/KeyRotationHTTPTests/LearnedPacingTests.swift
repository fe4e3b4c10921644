import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

@Suite struct LearnedPacingTests {
    /// The provider enforces 10 per rolling second and says nothing but 429; the client is told no limit.
    @Test(arguments: [SimulatedRetryAfter.none, .exact])
    func poolLearnsAnUnknownLimit(retryAfter: SimulatedRetryAfter) async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [
                "sk-one": .init(label: "one", limits: [.rolling(10, window: .seconds(1))], retryAfter: retryAfter),
                "sk-two": .init(label: "two", limits: [.rolling(10, window: .seconds(1))], retryAfter: retryAfter),
            ]
        )
        let rotator = KeyRotator(
            keys: [APIKey("sk-one", label: "one"), APIKey("sk-two", label: "two")],
            configuration: .init(strategy: .roundRobin),
            clock: clock
        )
        let client = RotatingClient(
            profile: ProviderProfile(
                name: "Sim",
                baseURL: URL(string: "https://aptos-mainnet.nodit.io/v1")!,
                authentication: .header("X-API-KEY")
            ),
            rotator: rotator,
            transport: provider,
            clock: clock,
            seed: 1
        )
        let requests = 2_000
        try await clock.drive {
            for _ in 0..<requests { _ = try await client.send(client.profile.request(.get, "/")) }
        }
        let rejected = provider.count(status: 429)
        let elapsed = TestClock.defaultStart.duration(to: clock.now)
        let use = Double(requests) / (elapsed.seconds * 20)
        // Measured: about 2.5 % of requests answered 429 and 81 % of the real limit used over these 2,000 requests
        // (the pace keeps converging over longer runs); a pool that doesn't learn gets about a third 429s.
        #expect(Double(rejected) / Double(provider.totalRequests) <= 0.04)
        #expect(use >= 0.75)
        #expect(rotator.statistics().keys.allSatisfy { $0.learnedSpacing != nil })
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
