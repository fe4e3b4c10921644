import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import KeyRotationTesting
import Synchronization
import Testing
import VirusTotal

/// A fresh directory under the system's temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory
            .appendingPathComponent("keyrotation-vt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: self.url) }

    func path(_ name: String = "state.sqlite") -> String { self.url.appendingPathComponent(name).path }
}

/// A VirusTotal client on a `TestClock` in front of a `SimulatedProvider`.
struct SimulatedPool {
    let clock = TestClock()
    let provider: SimulatedProvider<TestClock>
    let client: VirusTotalClient<TestClock>
    let secrets: [String]

    init(
        keys: [(label: String, behaviour: SimulatedKeyBehaviour)],
        perKeyLimits: [RateLimit] = [.perMinute(20)],
        unknown: Set<String> = [],
        storage: KeyRotationStorage? = nil
    ) throws {
        self.secrets = keys.map { "vt-secret-\($0.label)-0123456789abcdef" }
        var behaviours: [String: SimulatedKeyBehaviour] = [:]
        for (secret, key) in zip(self.secrets, keys) {
            var behaviour = key.behaviour
            behaviour.label = key.label
            behaviours[secret] = behaviour
        }
        self.provider = SimulatedProvider(
            clock: self.clock,
            seed: 7,
            flavour: .virusTotal,
            keys: behaviours,
            unknownResources: unknown
        )
        var configuration = VirusTotalClient<TestClock>.Configuration()
        configuration.perKeyLimits = perKeyLimits
        configuration.seed = 42
        configuration.storage = storage
        self.client = try VirusTotalClient(
            keys: zip(self.secrets, keys).map { APIKey($0, label: $1.label) },
            configuration: configuration,
            transport: self.provider,
            clock: self.clock
        )
    }

    func enrich(_ inputs: [String], concurrency: Int = 8) async throws -> [LookupResult] {
        let client = self.client
        return try await self.clock.drive { await client.enrich(inputs, concurrency: concurrency).results }
    }

    func lookup(_ input: String, options: LookupOptions = .default) async throws -> LookupResult {
        let client = self.client
        return try await self.clock.drive { await client.lookup(input, options: options) }
    }

    /// Every secret is absent from `text`.
    func isRedacted(_ text: String) -> Bool { !self.secrets.contains { text.contains($0) } }
}

@Suite struct VirusTotalClientTests {
    static let twentyPerMinute = SimulatedKeyBehaviour(limits: [.fixedWindow(20, per: .minute)])

    /// A lookup VirusTotal is slow to answer has reached it and spends quota: the transport waits for the response
    /// head as long as the total timeout allows (Linux: a real 5 s connect timeout) or 20 s (URLSessionTransport,
    /// whose connect timeout bounds the head), not the generic 5 s.
    @Test func theTransportWaitsLongForTheResponseHead() {
        let policy = VirusTotalClient<ContinuousClock>.Configuration().transportPolicy
        #if os(Linux)
            #expect(policy.connectTimeout == .seconds(5))
            #expect(policy.responseHeadTimeout == nil)
        #else
            #expect(policy.connectTimeout == .seconds(20))
        #endif
        #expect(policy.totalTimeout == .seconds(30))
    }

    @Test func fortyIOCsOverThreeKeysAtTwentyPerMinuteGetNo429AndAFairShare() async throws {
        let pool = try SimulatedPool(keys: ["a", "b", "c"].map { ($0, Self.twentyPerMinute) })
        let inputs = (1...40).map { "host\($0).example.com" }
        let results = try await pool.enrich(inputs)
        #expect(pool.provider.count(status: 429) == 0)
        #expect(results.count == 40)
        #expect(results.allSatisfy { $0.status == .servedLive && $0.report != nil })
        #expect(results.map(\.input) == inputs)
        for key in ["a", "b", "c"] {
            let share = Double(pool.provider.requests(forKey: KeyID(key)).count)
            #expect(abs(share - 40.0 / 3.0) <= 0.2 * 40.0 / 3.0, "key \(key) served \(share)")
            #expect(pool.provider.maxUsesInAnyWindow(key: KeyID(key), window: .seconds(60)) <= 20)
        }
        #expect(pool.isRedacted(String(describing: results)))
    }

    /// A lookup that waited its turn for a minute and then met a 504 waits for its retry too: the wait for the
    /// pool's next free key starts again instead of counting the first one, so nothing is lost to the deadline.
    @Test func aTransientFailureAfterAWaitForTheKeyIsRetriedNotLost() async throws {
        let flaky = SimulatedKeyBehaviour(
            failures: .requests([8]),
            failureStatus: 504,
            latency: .fixed(.milliseconds(300))
        )
        let pool = try SimulatedPool(keys: [("only", flaky)], perKeyLimits: [.perMinute(4)])
        let inputs = (1...8).map { "late\($0).example.net" }
        let results = try await pool.enrich(inputs, concurrency: 8)
        #expect(results.map(\.status.name) == Array(repeating: LookupResult.Status.servedLive.name, count: 8))
        #expect(pool.provider.count(status: 504) == 1)
        #expect(pool.provider.maxUsesInAnyWindow(key: "only", window: .seconds(60)) <= 4)
    }

    /// The quota a key has left counts the uses other runs left in the store, rolling windows included (a pool
    /// started on the store knows how many there were, not when, so it can't count them itself).
    @Test func quotaLeftCountsTheUsesOtherRunsLeftInTheStore() async throws {
        let directory = try TemporaryDirectory()
        let storage = try KeyRotationStorage(path: directory.path())
        let pool = try SimulatedPool(
            keys: [("only", .healthy())],
            perKeyLimits: [.perMinute(4), .perDay(500)],
            storage: storage
        )
        let key = try #require(pool.client.rotator.keys.first)
        for _ in 0..<3 {
            _ = try storage.keyState.admit(
                fingerprint: key.fingerprint,
                cost: 1,
                limits: key.limits,
                at: pool.client.rotator.now()
            )
        }
        #expect(pool.client.statistics().keys.first?.remainingQuota == 1)
    }

    /// A lookup that failed on every attempt says what the last answer was, in the message people read.
    @Test func exhaustedAttemptsNameTheLastAnswer() async throws {
        let failing = SimulatedKeyBehaviour(failures: .always, failureStatus: 503)
        let pool = try SimulatedPool(keys: [("only", failing)])
        let result = try await pool.lookup("down.example.org")
        let error = try #require(result.error)
        #expect(error.code == .attemptsExhausted)
        #expect(error.message.contains("HTTP 503"), "\(error.message)")
    }

    @Test func anInvalidKeyGetsAtMostOneRequest() async throws {
        let pool = try SimulatedPool(keys: [
            ("good-1", Self.twentyPerMinute), ("bad", .invalid()), ("good-2", Self.twentyPerMinute),
        ])
        // One at a time, the first 401 benches the key before anything else can be leased on it.
        let results = try await pool.enrich((1...30).map { "10.0.0.\($0)" }, concurrency: 1)
        #expect(results.allSatisfy { $0.status == .servedLive })
        #expect(pool.provider.requests(forKey: "bad").count == 1)
        let bad = try #require(pool.client.statistics().keys.first { $0.id == "bad" })
        #expect(bad.state == "invalid")
    }

    @Test func anInvalidKeyGetsNoMoreRequestsThanWereInFlightBeforeIts401() async throws {
        let pool = try SimulatedPool(keys: [
            ("good-1", Self.twentyPerMinute), ("bad", .invalid()), ("good-2", Self.twentyPerMinute),
        ])
        let results = try await pool.enrich((1...30).map { "10.0.1.\($0)" }, concurrency: 8)
        #expect(results.allSatisfy { $0.status == .servedLive })
        #expect((1...8).contains(pool.provider.requests(forKey: "bad").count))
    }

    @Test func a403TriesAnotherKeyAndKeepsTheRefusedOne() async throws {
        let pool = try SimulatedPool(keys: [("refused", Self.twentyPerMinute), ("good", Self.twentyPerMinute)])
        let refusing = RefusingTransport(refusedSecrets: [pool.secrets[0]], upstream: pool.provider)
        let client = try Self.client(pool, refusing)
        let results = try await pool.clock.drive {
            await client.enrich((1...10).map { "site\($0).example.org" }).results
        }
        #expect(results.allSatisfy { $0.status == .servedLive })
        #expect(results.allSatisfy { $0.keyID == "good" })
        // Round robin keeps offering the refused key: each offer costs one 403 and moves on, the key stays healthy.
        #expect(refusing.refusals.value >= 2)
        #expect(client.statistics().keys.first?.state == "available")
    }

    @Test func a403FromEveryKeyFailsTheLookupOnceAndKeepsTheKeys() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute), ("b", Self.twentyPerMinute)])
        let refusing = RefusingTransport(refusedSecrets: pool.secrets, upstream: pool.provider)
        let client = try Self.client(pool, refusing)
        let result = try await pool.clock.drive { await client.lookup("premium.example.org") }
        guard case .failed(let error) = result.status else {
            Issue.record("expected a failure, got \(result.status)")
            return
        }
        #expect(error.code == .upstream)
        #expect(error.status == 403)
        #expect(error.message.contains("every key"))
        #expect(refusing.refusals.value == 2)
        #expect(client.statistics().keys.allSatisfy { $0.state == "available" })
    }

    private static func client(
        _ pool: SimulatedPool,
        _ transport: any HTTPTransport
    ) throws
        -> VirusTotalClient<TestClock>
    {
        var configuration = VirusTotalClient<TestClock>.Configuration()
        configuration.perKeyLimits = [.perMinute(20)]
        return try VirusTotalClient(
            keys: zip(pool.secrets, ["refused", "good"]).map { APIKey($0, label: $1) },
            configuration: configuration,
            transport: transport,
            clock: pool.clock
        )
    }

    @Test func duplicatesInMixedCaseCostOneCallEachAndASecondRunCostsNone() async throws {
        let directory = try TemporaryDirectory()
        let storage = try KeyRotationStorage(path: directory.path())
        let pool = try SimulatedPool(
            keys: [("a", Self.twentyPerMinute), ("b", Self.twentyPerMinute)],
            storage: storage
        )
        let spellings: [(Int) -> String] = [
            { "example\($0).com" }, { "EXAMPLE\($0).COM" }, { "Example\($0).Com." }, { " example\($0).com " },
            { "eXample\($0).com" },
        ]
        let inputs = (1...10).flatMap { number in spellings.map { $0(number) } }
        let first = try await pool.enrich(inputs)
        #expect(first.count == 50)
        #expect(first.allSatisfy { $0.status == .servedLive })
        #expect(pool.provider.totalRequests == 10)

        let second = try await pool.enrich(inputs)
        #expect(second.allSatisfy { $0.status == .servedFromCache })
        #expect(pool.provider.totalRequests == 10)
        #expect(pool.client.statistics().cacheHits >= 10)

        // A new process on the same store: still no upstream call.
        let again = try SimulatedPool(keys: [("a", Self.twentyPerMinute)], storage: storage)
        let third = try await again.enrich(inputs)
        #expect(third.allSatisfy { $0.status == .servedFromCache && $0.report != nil })
        #expect(again.provider.totalRequests == 0)
    }

    @Test func unknownIOCsAreNotFoundAndNeverRetried() async throws {
        let unknown = ["nothing-here.example", "0123456789abcdef0123456789abcdef"]
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute)], unknown: Set(unknown))
        let results = try await pool.enrich(unknown + ["known.example"])
        #expect(results[0].status == .notFound)
        #expect(results[1].status == .notFound)
        #expect(results[2].status == .servedLive)
        #expect(results[0].verdict == .noData)
        #expect(pool.provider.totalRequests == 3)
        let repeated = try await pool.lookup("NOTHING-HERE.example")
        #expect(repeated.status == .notFound)
        #expect(pool.provider.totalRequests == 3)
    }

    @Test func badInputFailsBeforeAnyNetwork() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute)])
        let result = try await pool.lookup("hxxp://evil[.]example")
        let error = try #require(result.error)
        #expect(error.code == .invalidIOC)
        #expect(error.iocError != nil)
        #expect(pool.provider.totalRequests == 0)
    }

    @Test func lookupReportsSummaryVerdictLinkKeyAndQuota() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute)])
        let result = try await pool.lookup("8.8.8.8")
        #expect(result.status == .servedLive)
        let summary = try #require(result.summary)
        #expect(summary.totalEngines > 0)
        #expect(result.link?.absoluteString == "https://www.virustotal.com/gui/ip-address/8.8.8.8")
        #expect(result.keyID == "a")
        #expect(result.remainingQuota == 19)
        #expect(result.rawJSON.map { !$0.isEmpty } == true)
        let request = try #require(pool.provider.log.first)
        #expect(request.keyID == "a")
    }

    @Test func rateLimitedKeysAreCooledAndNoKeyIsPushedPastItsLimit() async throws {
        // The provider is stricter than the client believes: 429s happen, and the pool must rest the keys.
        let strict = SimulatedKeyBehaviour(limits: [.fixedWindow(3, per: .minute)])
        let pool = try SimulatedPool(keys: [("a", strict), ("b", strict)], perKeyLimits: [.perMinute(4)])
        let results = try await pool.enrich((1...12).map { "r\($0).example.net" }, concurrency: 4)
        #expect(results.allSatisfy { $0.status == .servedLive })
        for key in ["a", "b"] {
            #expect(pool.provider.maxUsesInAnyWindow(key: KeyID(key), window: .seconds(60)) <= 4)
        }
    }

    @Test func noWaitQueuesWhenEveryKeyIsLimitedAndRunQueueDrainsIt() async throws {
        let directory = try TemporaryDirectory()
        let storage = try KeyRotationStorage(path: directory.path())
        let pool = try SimulatedPool(
            keys: [("a", SimulatedKeyBehaviour(limits: [.fixedWindow(1, per: .minute)]))],
            perKeyLimits: [.perMinute(1)],
            storage: storage
        )
        #expect(try await pool.lookup("first.example").status == .servedLive)
        let queued = try await pool.lookup("second.example", options: .queueIfLimited)
        guard case .queued(let eta) = queued.status else {
            Issue.record("expected queued, got \(queued.status)")
            return
        }
        #expect(eta > pool.clock.now)
        #expect(pool.client.statistics().queueDepth == 1)
        #expect(await pool.client.runQueue().isEmpty)  // not due yet

        pool.clock.advance(to: eta)
        let client = pool.client
        let drained = try await pool.clock.drive { await client.runQueue() }
        #expect(drained.map(\.status) == [.servedLive])
        #expect(pool.client.statistics().queueDepth == 0)
        #expect(pool.client.storedReport("second.example").status == .servedFromCache)
        #expect(pool.client.storedReport("never.example").error?.code == .notStored)
        #expect(pool.provider.totalRequests == 2)
    }

    /// `--no-wait` after a refusal the limits did not predict: the key rests a minute, and rather than wait for it
    /// the lookup is queued within the 10 s a no-wait lookup may wait for a key.
    @Test func noWaitQueuesALookupAKeyRefusedUnexpectedlyInsteadOfWaitingForTheKey() async throws {
        let directory = try TemporaryDirectory()
        let storage = try KeyRotationStorage(path: directory.path())
        let pool = try SimulatedPool(
            keys: [("a", SimulatedKeyBehaviour(limits: [.fixedWindow(1, per: .minute)]))],
            perKeyLimits: [.perMinute(4), .perDay(500)],
            storage: storage
        )
        #expect(try await pool.lookup("first.example").status == .servedLive)
        let start = pool.clock.now
        let queued = try await pool.lookup("second.example", options: .queueIfLimited)
        guard case .queued(let eta) = queued.status else {
            Issue.record("expected queued, got \(queued.status)")
            return
        }
        #expect(pool.clock.now <= start.advanced(by: .seconds(10)))
        #expect(eta == pool.client.rotator.timestamp(start).advanced(by: .seconds(60)))
        #expect(pool.provider.count(status: 429) == 1)
    }

    @Test func aBatchWiderThanThePoolCanServeWaitsInsteadOfFailing() async throws {
        // One key at 4/min and 24 lookups in flight: the last ones wait ~6 minutes, far past the 120 s lookup
        // timeout, yet the pool keeps serving, so none of them may fail.
        let pool = try SimulatedPool(
            keys: [("a", SimulatedKeyBehaviour(limits: [.fixedWindow(4, per: .minute)]))],
            perKeyLimits: [.perMinute(4)]
        )
        let results = try await pool.enrich((1...24).map { "wide\($0).example.com" }, concurrency: 24)
        #expect(results.allSatisfy { $0.status == .servedLive })
        #expect(pool.provider.count(status: 429) == 0)
        #expect(pool.provider.log.count == 24)
    }

    @Test func enrichReportsProgressAndKeepsInputOrder() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute)])
        let inputs = ["a.example", "not an ioc", "b.example", "a.example"]
        let client = pool.client
        let (steps, results) = try await pool.clock.drive {
            let run = client.enrich(inputs, concurrency: 2)
            var steps: [String] = []
            for await step in run.progress { steps.append(step.description) }
            return (steps, await run.results)
        }
        #expect(steps.last == "4/4 enriched (1 failed)")
        #expect(results.map(\.input) == inputs)
        #expect(results[1].error?.code == .invalidIOC)
        #expect(results[3].status == .servedLive)
        #expect(pool.provider.totalRequests == 2)
    }

    @Test func statisticsCountRequestsHitsAndKeys() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute), ("b", Self.twentyPerMinute)])
        _ = try await pool.enrich(["x.example", "y.example", "x.example"])
        _ = try await pool.lookup("x.example")
        let statistics = pool.client.statistics()
        #expect(statistics.totalRequests == 3)
        #expect(statistics.cacheHits == 1)
        #expect(statistics.upstreamRequests == 2)
        #expect(statistics.cacheSize == 2)
        #expect(statistics.keys.map(\.id) == ["a", "b"])
        #expect(statistics.keys.allSatisfy { $0.state == "available" })
        pool.client.clearCache()
        #expect(pool.client.statistics().cacheSize == 0)
    }

    @Test func anEmptyPoolIsRefused() throws {
        let clock = TestClock()
        let provider = SimulatedProvider(clock: clock, flavour: .virusTotal, keys: [:])
        #expect(throws: VirusTotalError.self) {
            _ = try VirusTotalClient(keys: [], transport: provider, clock: clock)
        }
    }
}

/// Answers 403 `ForbiddenError` to some keys and passes every other request on.
final class RefusingTransport: HTTPTransport {
    let refusedSecrets: Set<String>
    let upstream: any HTTPTransport
    let refusals = Counter()

    init(refusedSecrets: [String], upstream: any HTTPTransport) {
        self.refusedSecrets = Set(refusedSecrets)
        self.upstream = upstream
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let secret = request.headers["x-apikey"], self.refusedSecrets.contains(secret) else {
            return try await self.upstream.send(request)
        }
        self.refusals.increment()
        return HTTPResponse(status: 403, body: try Fixture.data("vt_error_forbidden"))
    }
}

/// A thread-safe count.
final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { self.count.withLock { $0 += 1 } }

    var value: Int { self.count.withLock { $0 } }
}
