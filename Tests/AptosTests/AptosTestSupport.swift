import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// Test secrets: never real keys.
let aptosSecrets = ["aptos-test-secret-1", "aptos-test-secret-2", "aptos-test-secret-3"]

/// A simulated Aptos Labs gateway whose keys are `aptosSecrets` labelled `aptos-1…3`, each with `limits`.
func aptosProvider(
    clock: TestClock,
    limits: [SimulatedLimit] = [],
    ledger: SimulatedLedger = SimulatedLedger()
) -> SimulatedProvider<TestClock> {
    var keys: [String: SimulatedKeyBehaviour] = [:]
    for (index, secret) in aptosSecrets.enumerated() {
        keys[secret] = SimulatedKeyBehaviour(label: "aptos-\(index + 1)", limits: limits)
    }
    return SimulatedProvider(clock: clock, seed: 7, flavour: .aptos, keys: keys, ledger: ledger)
}

/// A client over one Aptos Labs endpoint with `aptosSecrets` (each with the `limits` the user knows).
func aptosClient(
    clock: TestClock,
    transport: any HTTPTransport,
    keyLimits: [RateLimit] = [],
    keyless: Bool = false,
    configuration: AptosClient<TestClock>.Configuration = .init()
) -> AptosClient<TestClock> {
    let keys = aptosSecrets.enumerated().map { APIKey($1, label: "aptos-\($0 + 1)", limits: keyLimits) }
    var pool = KeyRotator<TestClock>.Configuration(strategy: .roundRobin)
    pool.seed = 11
    let rotator = keyless ? nil : KeyRotator(keys: keys, configuration: pool, clock: clock)
    return AptosClient(
        endpoints: [.aptosLabs(network: .mainnet, rotator: rotator)],
        transport: transport,
        clock: clock,
        configuration: configuration,
        seed: 3
    )
}

/// A checkpoint in memory, counting saves.
final class MemoryCheckpoint: TransactionCheckpoint {
    private let state = Locked<(value: UInt64?, saves: [UInt64])>((nil, []))

    var value: UInt64? { self.state.withLock { $0.value } }
    var saves: [UInt64] { self.state.withLock { $0.saves } }

    func load() throws -> UInt64? { self.value }

    func save(nextVersion: UInt64) throws {
        self.state.withLock { state in
            state.saves.append(nextVersion)
            state.value = max(state.value ?? 0, nextVersion)
        }
    }
}

/// A transport that answers from a closure (for shapes the simulation doesn't serve), logging requests.
final class ScriptedTransport: HTTPTransport {
    private let answer: @Sendable (HTTPRequest) -> HTTPResponse
    private let log = Locked<[HTTPRequest]>([])

    init(_ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.answer = answer }

    var requests: [HTTPRequest] { self.log.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        self.log.withLock { $0.append(request) }
        return self.answer(request)
    }
}

/// A fresh SQLite file path in the temporary directory.
func temporarySQLitePath() -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("aptos-stream-\(UUID().uuidString).sqlite").path
}
