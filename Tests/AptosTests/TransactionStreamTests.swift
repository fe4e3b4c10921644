import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import KeyRotationTesting
import Testing

/// Reads a stream to its end (or `stopAfter` transactions), returning the versions in delivery order.
private func versions(
    of stream: TransactionStream<TestClock>,
    stopAfter limit: Int = .max
) async throws -> [UInt64] {
    var versions: [UInt64] = []
    for try await transaction in stream {
        versions.append(try #require(transaction.version))
        if versions.count >= limit { break }
    }
    return versions
}

@Suite("TransactionStream")
struct TransactionStreamTests {
    let clock = TestClock()

    /// Three keys, each limited by the gateway to 5 requests in any second. The gateway's 429 is plain text
    /// with no Retry-After, so the client can't learn the limit from it; what it knows is what the user
    /// configured: the same 5 per second per key. (What happens without that knowledge is measured in
    /// ``unknownLimitsStillDeliverEveryVersionOnce()``.)
    @Test func threeKeysDeliverEveryVersionOnceInOrderWithFewRateLimits() async throws {
        let provider = aptosProvider(clock: self.clock, limits: [.rolling(5, window: .seconds(1))])
        let client = aptosClient(clock: self.clock, transport: provider, keyLimits: [.strict(5, per: .seconds(1))])
        let stream = client.transactionStream(from: 0, through: 2_000)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(0...2_000))
        let pageRequests = provider.log.filter { $0.path == "/v1/transactions" }
        let limited = pageRequests.filter { $0.status == 429 }.count
        #expect(pageRequests.count >= 21)
        #expect(Double(limited) <= 0.05 * Double(pageRequests.count), "429s: \(limited) of \(pageRequests.count)")
        // Pages went out on all three keys.
        for key in provider.keyIDs { #expect(!provider.requests(forKey: key).isEmpty) }
    }

    /// The same gateway, but the client is told nothing about the limits: it learns only from 429s (a cooldown
    /// with backoff per key). Every version still arrives once, in order; the 429 share is higher.
    @Test func unknownLimitsStillDeliverEveryVersionOnce() async throws {
        let provider = aptosProvider(clock: self.clock, limits: [.rolling(5, window: .seconds(1))])
        let client = aptosClient(clock: self.clock, transport: provider)
        let stream = client.transactionStream(from: 0, through: 2_000)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(0...2_000))
    }

    @Test func pagesAreAtMostOneHundredAndFetchedAheadWithinTheWindow() async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        var configuration = TransactionStream<TestClock>.Configuration()
        configuration.pagesAhead = 3
        let stream = client.transactionStream(from: 1_000, through: 1_999, configuration: configuration)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(1_000...1_999))
        #expect(provider.totalRequests == 10)
    }

    @Test func slowConsumerKeepsTheBufferBounded() async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        var configuration = TransactionStream<TestClock>.Configuration()
        configuration.pagesAhead = 4
        var iterator = client.transactionStream(from: 0, configuration: configuration).makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.version == 0)
        // The consumer stalls: however long the fetchers run, no more than the window is fetched.
        for _ in 0..<2_000 { await Task.yield() }
        #expect(provider.totalRequests <= 1 + 4)
        for _ in 0..<2_000 { await Task.yield() }
        #expect(provider.totalRequests <= 1 + 4)
        // Taking one more page lets exactly the window move on.
        for _ in 1..<100 { _ = try await iterator.next() }
        #expect(try await iterator.next()?.version == 100)
        for _ in 0..<2_000 { await Task.yield() }
        #expect(provider.totalRequests <= 2 + 4)
    }

    @Test("A stopped stream resumes from its checkpoint with no gap", arguments: [0, 57, 99, 100, 437, 998])
    func stoppedStreamResumesFromItsCheckpoint(stopAfterIndex: Int) async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        let path = temporarySQLitePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let checkpoint = try SQLiteTransactionCheckpoint(path: path, name: "aptos.mainnet.transactions")

        let first = try await self.clock.drive {
            try await versions(
                of: client.transactionStream(from: 0, through: 999, checkpoint: checkpoint),
                stopAfter: stopAfterIndex + 1
            )
        }
        #expect(first == Array(0...UInt64(stopAfterIndex)))

        // A new process: a new checkpoint handle on the same file.
        let reopened = try SQLiteTransactionCheckpoint(path: path, name: "aptos.mainnet.transactions")
        let second = try await self.clock.drive {
            try await versions(of: client.transactionStream(from: 0, through: 999, checkpoint: reopened))
        }
        let resumedAt = try #require(second.first)
        // It repeats at most the page in progress: it resumes at that page's first version.
        #expect(resumedAt == UInt64(stopAfterIndex / 100 * 100))
        #expect(second == Array(resumedAt...999))
        #expect(Set(first).union(second) == Set(0...999))
        #expect(try reopened.load() == 1_000)
    }

    @Test func checkpointAdvancesOnlyAfterAPageIsTaken() async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        let checkpoint = MemoryCheckpoint()
        var iterator = client.transactionStream(from: 0, through: 249, checkpoint: checkpoint).makeAsyncIterator()
        for _ in 0..<100 { _ = try await iterator.next() }
        #expect(checkpoint.saves.isEmpty)  // version 99 was handed out, but not yet processed
        _ = try await iterator.next()
        #expect(checkpoint.saves == [100])
        for _ in 101..<250 { _ = try await iterator.next() }
        #expect(checkpoint.saves == [100, 200])
        #expect(try await iterator.next() == nil)
        #expect(checkpoint.saves == [100, 200, 250])
    }

    @Test func prunedStartThrowsOnceNamingTheOldestVersion() async throws {
        let provider = aptosProvider(
            clock: self.clock,
            ledger: SimulatedLedger(headVersion: 100_000, oldestVersion: 50_000)
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        var iterator = client.transactionStream(from: 10).makeAsyncIterator()
        let error = await #expect(throws: AptosAPIError.self) { _ = try await iterator.next() }
        #expect(error?.isPruned == true)
        #expect(error?.oldestLedgerVersion == 50_000)
        #expect(provider.totalRequests == 1)
        #expect(try await iterator.next() == nil)
        #expect(provider.totalRequests == 1)
    }

    @Test func followsTheHeadAsItGrows() async throws {
        let provider = aptosProvider(
            clock: self.clock,
            ledger: SimulatedLedger(headVersion: 150, versionsPerSecond: 20)
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        var configuration = TransactionStream<TestClock>.Configuration()
        configuration.initialPollInterval = .milliseconds(500)
        configuration.maximumPollInterval = .seconds(4)
        let stream = client.transactionStream(from: 100, through: 700, configuration: configuration)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(100...700))
        #expect(provider.log.contains { $0.path == "/v1" })  // polled the ledger while caught up
    }

    @Test func followsWithoutAnEnd() async throws {
        let provider = aptosProvider(
            clock: self.clock,
            ledger: SimulatedLedger(headVersion: 120, versionsPerSecond: 10)
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        let stream = client.transactionStream(from: 0)
        let delivered = try await self.clock.drive { try await versions(of: stream, stopAfter: 300) }
        #expect(delivered == Array(0..<300))
    }

    @Test func aShortPageIsCompletedLater() async throws {
        // A node whose head lags: the first answer for 0…99 stops at 59.
        let served = Locked(0)
        let transport = ScriptedTransport { request in
            if request.url.path == "/v1" {
                return HTTPResponse(status: 200, body: try! Fixture.data("aptos_ledger_info"))
            }
            let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let start = UInt64(query.first { $0.name == "start" }?.value ?? "0") ?? 0
            let limit = UInt64(query.first { $0.name == "limit" }?.value ?? "100") ?? 100
            let isFirst = served.withLock { count -> Bool in
                count += 1
                return count == 1
            }
            let end = isFirst ? 59 : start + limit - 1
            let items = (start...end).map {
                #"{"type":"state_checkpoint_transaction","version":"\#($0)","hash":"0x\#($0)","success":true,"vm_status":"ok","gas_used":"0","timestamp":"1","changes":[]}"#
            }
            return HTTPResponse(
                status: 200,
                headers: ["X-Aptos-Ledger-Version": isFirst ? "59" : "10000"],
                body: Data(("[" + items.joined(separator: ",") + "]").utf8)
            )
        }
        let client = aptosClient(clock: self.clock, transport: transport)
        let stream = client.transactionStream(from: 0, through: 299)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(0...299))
    }

    @Test func aPageOutOfOrderIsAnError() async throws {
        let transport = ScriptedTransport { _ in
            let body =
                #"[{"type":"state_checkpoint_transaction","version":"5","hash":"0x5","success":true,"vm_status":"ok","gas_used":"0","timestamp":"1","changes":[]}]"#
            return HTTPResponse(status: 200, headers: ["X-Aptos-Ledger-Version": "1000"], body: Data(body.utf8))
        }
        let client = aptosClient(clock: self.clock, transport: transport)
        var iterator = client.transactionStream(from: 0, through: 10).makeAsyncIterator()
        let error = await #expect(throws: AptosClientError.self) { _ = try await iterator.next() }
        #expect(error?.code == .inconsistentPage)
    }

    /// A client over one key the gateway treats as `behaviour`.
    private func faultyClient(
        _ behaviour: SimulatedKeyBehaviour
    ) -> (SimulatedProvider<TestClock>, AptosClient<TestClock>) {
        let provider = SimulatedProvider(
            clock: self.clock,
            seed: 5,
            flavour: .aptos,
            keys: [aptosSecrets[0]: behaviour],
            ledger: SimulatedLedger()
        )
        var configuration = KeyRotator<TestClock>.Configuration(strategy: .roundRobin)
        configuration.seed = 11
        let rotator = KeyRotator(
            keys: [APIKey(aptosSecrets[0], label: "aptos-1")],
            configuration: configuration,
            clock: self.clock
        )
        let client = AptosClient(
            endpoints: [.aptosLabs(network: .mainnet, rotator: rotator)],
            transport: provider,
            clock: self.clock,
            seed: 3
        )
        return (provider, client)
    }

    /// The gateway fails six requests in a row (more than the client's four attempts): the stream asks for the
    /// page again after a pause instead of ending, and every version still arrives once.
    @Test func aPageIsAskedForAgainAfterTheClientGaveUp() async throws {
        let (provider, client) = self.faultyClient(
            SimulatedKeyBehaviour(label: "aptos-1", failures: .requests(Set(2...7)), failureStatus: 503)
        )
        let stream = client.transactionStream(from: 0, through: 499)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(0...499))
        #expect(provider.log.filter { $0.status == 503 }.count == 6)
    }

    /// 5xx, resets and bodies cut short at random: no gap, no duplicate.
    @Test func flappingUpstreamStillDeliversEveryVersionOnce() async throws {
        let (_, client) = self.faultyClient(
            SimulatedKeyBehaviour(
                label: "aptos-1",
                failures: .probability(0.3),
                failureStatus: 502,
                connectionResets: .probability(0.1),
                malformedBodies: .probability(0.05)
            )
        )
        let stream = client.transactionStream(from: 10_000, through: 11_999)
        let delivered = try await self.clock.drive { try await versions(of: stream) }
        #expect(delivered == Array(10_000...11_999))
    }

    /// An upstream that never recovers: the stream gives up after its retries, with a bounded number of requests.
    @Test func aDeadUpstreamEndsTheStreamAfterBoundedRetries() async throws {
        let (provider, client) = self.faultyClient(
            SimulatedKeyBehaviour(label: "aptos-1", failures: .always, failureStatus: 500)
        )
        var configuration = TransactionStream<TestClock>.Configuration()
        configuration.retries = 2
        let stream = client.transactionStream(from: 0, through: 999, configuration: configuration)
        await #expect(throws: RotatingClientError.self) {
            _ = try await self.clock.drive { try await versions(of: stream) }
        }
        // One page in flight (the head is unknown), 3 rounds of the client's 4 attempts.
        #expect(provider.totalRequests == 3 * 4)
    }

    /// A bad request is the node's verdict: not asked for again.
    @Test func aBadRequestIsNotRetried() async throws {
        let transport = ScriptedTransport { _ in
            HTTPResponse(status: 400, body: try! Fixture.data("aptos_error_invalid_input"))
        }
        let client = aptosClient(clock: self.clock, transport: transport)
        let stream = client.transactionStream(from: 0, through: 10)
        await #expect(throws: AptosAPIError.self) {
            _ = try await self.clock.drive { try await versions(of: stream) }
        }
        #expect(transport.requests.count == 1)
    }
}
