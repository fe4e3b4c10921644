import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Nodit
import Testing

@Suite("Nodit node endpoint and failover")
struct NoditEndpointTests {
    let clock = TestClock()

    @Test func keyGoesInTheXAPIKeyHeaderAndLedgerHeadersAreRead() async throws {
        let provider = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-secret-1": .healthy(label: "nodit-1")]
        )
        let endpoint = try #require(
            AptosEndpoint.nodit(
                network: .mainnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
            )
        )
        let client = AptosClient(endpoints: [endpoint], transport: provider, clock: self.clock)
        let info = try await client.ledgerInfo()
        #expect(info.endpoint == "nodit")
        #expect(info.keyID == "nodit-1")
        #expect(info.ledger.ledgerVersion == info.value.ledgerVersion)  // X-APTOS-* spelled upper case
        #expect(provider.log.first?.keyID == "nodit-1")
        #expect(AptosEndpoint<TestClock>.nodit(network: .devnet, rotator: rotator([], clock: self.clock)) == nil)
    }

    @Test func retryAfterIsHonouredToTheInstant() async throws {
        let provider = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: [
                "nodit-secret-1": SimulatedKeyBehaviour(label: "nodit-1", limits: [.rolling(2, window: .seconds(10))])
            ]
        )
        let endpoint = try #require(
            AptosEndpoint.nodit(
                network: .mainnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
            )
        )
        let client = AptosClient(endpoints: [endpoint], transport: provider, clock: self.clock)
        try await self.clock.drive {
            for _ in 0..<3 { _ = try await client.ledgerInfo() }
        }
        let log = provider.log
        #expect(log.map(\.status) == [200, 200, 429, 200])
        // Retry-After said 10 s: the retry went out exactly then, not before and not later.
        #expect(log[3].timestamp == log[2].timestamp.advanced(by: .seconds(10)))
    }

    @Test func exhaustedDailyQuotaFailsOverToAptosAndComesBack() async throws {
        let nodit = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-secret-1": SimulatedKeyBehaviour(label: "nodit-1", limits: [.fixedWindow(5, per: .day)])]
        )
        let aptos = SimulatedProvider(clock: self.clock, flavour: .aptos, keys: [:])
        let router = HostRouter(routes: ["aptos-mainnet.nodit.io": nodit, "api.mainnet.aptoslabs.com": aptos])
        let noditRotator = rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
        let endpoints: [AptosEndpoint<TestClock>] = [
            try #require(.nodit(network: .mainnet, rotator: noditRotator)),
            .aptosLabs(network: .mainnet, rotator: nil),
        ]
        let client = AptosClient(endpoints: endpoints, transport: router, clock: self.clock)
        var served: [String] = []
        for _ in 0..<10 { served.append(try await client.ledgerInfo().endpoint) }
        #expect(served == Array(repeating: "nodit", count: 5) + Array(repeating: "aptos", count: 5))
        #expect(nodit.count(status: 429) == 1)  // the quota answer, once: the key is parked, not retried
        #expect(noditRotator.statistics().keys.first?.state.description.contains("exhausted") == true)
        // After 00:00 UTC the quota is back and requests return to Nodit.
        self.clock.advance(by: .seconds(86_400))
        #expect(try await client.ledgerInfo().endpoint == "nodit")
    }

    @Test func failingEndpointIsSkippedAndPreferredAgainWhenItRecovers() async throws {
        let nodit = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-secret-1": SimulatedKeyBehaviour(label: "nodit-1", failures: .always)]
        )
        let aptos = SimulatedProvider(clock: self.clock, flavour: .aptos, keys: [:])
        let router = HostRouter(routes: ["aptos-mainnet.nodit.io": nodit, "api.mainnet.aptoslabs.com": aptos])
        let endpoints: [AptosEndpoint<TestClock>] = [
            try #require(
                .nodit(
                    network: .mainnet,
                    rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
                )
            ),
            .aptosLabs(network: .mainnet, rotator: nil),
        ]
        let client = AptosClient(endpoints: endpoints, transport: router, clock: self.clock)
        #expect(try await client.ledgerInfo().endpoint == "aptos")
        let noditRequests = nodit.totalRequests
        #expect(try await client.ledgerInfo().endpoint == "aptos")
        #expect(nodit.totalRequests == noditRequests)  // skipped while it backs off
        nodit.setBehaviour(.healthy(label: "nodit-1"), forKey: "nodit-secret-1")
        self.clock.advance(by: .seconds(120))
        #expect(try await client.ledgerInfo().endpoint == "nodit")
    }

    @Test func prunedAnswerIsAResultNotAFailover() async throws {
        let nodit = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-secret-1": .healthy(label: "nodit-1")],
            ledger: SimulatedLedger(headVersion: 10_000, oldestVersion: 5_000)
        )
        let aptos = SimulatedProvider(clock: self.clock, flavour: .aptos, keys: [:])
        let router = HostRouter(routes: ["aptos-mainnet.nodit.io": nodit, "api.mainnet.aptoslabs.com": aptos])
        let endpoints: [AptosEndpoint<TestClock>] = [
            try #require(
                .nodit(
                    network: .mainnet,
                    rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
                )
            ),
            .aptosLabs(network: .mainnet, rotator: nil),
        ]
        let client = AptosClient(endpoints: endpoints, transport: router, clock: self.clock)
        let error = await #expect(throws: AptosAPIError.self) { _ = try await client.transactions(start: 1, limit: 10) }
        #expect(error?.oldestLedgerVersion == 5_000)
        #expect(aptos.totalRequests == 0)
    }

    @Test func authenticationFailureQuarantinesTheKey() async throws {
        let provider = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-bad": .invalid(label: "nodit-1"), "nodit-good": .healthy(label: "nodit-2")]
        )
        let keys = [APIKey("nodit-bad", label: "nodit-1"), APIKey("nodit-good", label: "nodit-2")]
        let endpoint = try #require(AptosEndpoint.nodit(network: .mainnet, rotator: rotator(keys, clock: self.clock)))
        let client = AptosClient(endpoints: [endpoint], transport: provider, clock: self.clock)
        for _ in 0..<10 { #expect(try await client.ledgerInfo().keyID == "nodit-2") }
        #expect(provider.requests(forKey: "nodit-1").count == 1)
    }

    @Test func keysComeFromTheEnvironmentVariables() throws {
        let variables = ["NODIT_API_KEYS": "a, b", "NODIT_API_KEY_2": "c", "APTOS_API_KEY": "d"]
        #expect(KeySource.variables(variables, prefix: "NODIT").secrets() == ["a", "b", "c"])
        #expect(KeySource.variables(variables, prefix: "APTOS").secrets() == ["d"])
    }
}
