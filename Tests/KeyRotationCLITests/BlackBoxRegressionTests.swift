import Foundation
import KeyRotationTesting
import Testing

@testable import KeyRotationCLI

/// Behaviours found by running the command line from outside against simulated providers.
@Suite struct BlackBoxRegressionTests {
    @Test func storeOnlyCommandsNeedNoKey() async throws {
        let report = await runCLI(["vt", "report", "example.com"])
        #expect(report.code == .someFailed, "\(report.stderr)")  // not stored yet: a failure, not "no key"
        #expect(!report.stderr.contains("VT_API_KEYS"))
        let reports = await runCLI(["vt", "reports", "--json"])
        #expect(reports.code == .success, "\(reports.stderr)")
    }

    @Test func noditHasNoDevnetEvenWithABaseURLOverride() async throws {
        let server = LoopbackServer { _ in .text("{}") }
        try server.start()
        defer { server.stop() }
        let run = await runCLI(
            ["nodit", "tokens", "0x1", "--network", "devnet"],
            environment: [
                "NODIT_API_KEYS": "nodit-secret-0123456789",
                "NODIT_WEB3_BASE_URL": server.url("/v1/aptos/mainnet").absoluteString,
            ]
        )
        #expect(run.code == .usage)
        #expect(run.stderr.contains("mainnet or testnet"))
        #expect(server.requests.isEmpty)
    }
}
