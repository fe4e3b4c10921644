import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import Nodit
import VirusTotal

/// The README's examples, compiled (never run: they would need keys and the network). If this file stops
/// compiling, the README is out of date.
enum ReadmeExamples {
    static func core() async throws {
        let keys = try KeySource.environment(prefix: "VT").keys(limits: [.perMinute(4), .perDay(500)])
        let rotator = KeyRotator(keys: keys, configuration: .init(strategy: .mostRemainingQuota))
        let lease = try await rotator.acquire(deadline: .now + .seconds(30))
        lease.report(.success(latency: .milliseconds(120)))
        switch rotator.tryAcquire() {
        case .lease(let lease): lease.report(.notCounted)
        case .notBefore(let instant): print("next key free at", instant)
        case .unavailable(let error): print(error.message)
        }
        for await event in rotator.events { print(event) }
    }

    static func http(rotator: KeyRotator<ContinuousClock>) async throws {
        let profile = ProviderProfile(
            name: "Example",
            baseURL: URL(string: "https://api.example.com/v1")!,
            authentication: .header("X-API-KEY")
        )
        let client = RotatingClient(profile: profile, rotator: rotator)
        let result = try await client.send(profile.request(.get, "/items", query: [("page", "1")]))
        print(result.response.status, result.keyID ?? "-", result.attempts)
    }

    static func virusTotal(lines: [String]) async throws {
        var configuration = VirusTotalClient<ContinuousClock>.Configuration()
        configuration.storage = try KeyRotationStorage(path: KeyRotationStorage.defaultPath())
        let client = try VirusTotalClient(
            keys: KeySource.environment(prefix: "VT").keys(),
            configuration: configuration
        )
        let result = await client.lookup("example.com")
        print(result.status.name, result.verdict as Any, result.link as Any, result.keyID ?? "-")
        let run = client.enrich(lines, concurrency: 4)
        for await step in run.progress { print(step) }
        let results = await run.results
        print(results.count)
        _ = await client.lookup("8.8.8.8", options: .queueIfLimited)
        _ = await client.runQueue()
    }

    static func aptos() async throws {
        let noditKeys = try KeySource.environment(prefix: "NODIT").keys()
        let aptosKeys = try KeySource.environment(prefix: "APTOS").keys(limits: [.perSecond(5)])
        let client = AptosClient(endpoints: [
            AptosEndpoint.nodit(network: .mainnet, rotator: KeyRotator(keys: noditKeys))!,
            .aptosLabs(network: .mainnet, rotator: KeyRotator(keys: aptosKeys)),
        ])
        let ledger = try await client.ledgerInfo()
        print(ledger.value.ledgerVersion, ledger.endpoint, ledger.ledger.chainID ?? 0)
        let checkpoint = try SQLiteTransactionCheckpoint(path: "indexer.sqlite", name: "aptos.mainnet.transactions")
        for try await transaction in client.transactionStream(from: 0, through: 1_000_000, checkpoint: checkpoint) {
            print(transaction.version ?? 0)
        }
        let web3 = NoditWeb3Client(network: .mainnet, rotator: KeyRotator(keys: noditKeys))!
        let tokens = try await web3.tokensOwned(by: try AptosAddress(parsing: "0x1"))
        print(tokens)
    }
}
