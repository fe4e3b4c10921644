import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Synchronization
import Testing

private let secrets = ["good": "sk-good-0001", "bad": "sk-bad-0002", "flap": "sk-flap-0003", "busy": "sk-busy-0004"]

private func key(_ name: String, limits: [RateLimit] = []) -> APIKey {
    APIKey(secrets[name] ?? "sk-\(name)", label: name, limits: limits)
}

private func profile(_ base: String = "https://aptos-mainnet.nodit.io/v1") -> ProviderProfile {
    ProviderProfile(name: "Simulated", baseURL: URL(string: base)!, authentication: .header("X-API-KEY"))
}

private func client(
    _ keys: [APIKey],
    _ provider: SimulatedProvider<TestClock>,
    _ clock: TestClock,
    strategy: SelectionStrategy = .roundRobin,
    attempts: Int = 6,
    profile: ProviderProfile = profile()
) -> RotatingClient<TestClock> {
    var configuration = RotatingClient<TestClock>.Configuration()
    configuration.maximumAttempts = attempts
    configuration.defaultTimeout = .seconds(3600)
    let rotator = KeyRotator(keys: keys, configuration: .init(strategy: strategy), clock: clock)
    return RotatingClient(
        profile: profile,
        rotator: rotator,
        transport: provider,
        clock: clock,
        configuration: configuration,
        seed: 42
    )
}

/// A profile that reads 403 as a missing privilege (the key stays good), as VirusTotal's and Nodit's do.
private let forbiddingProfile = ProviderProfile(
    name: "Simulated",
    baseURL: URL(string: "https://aptos-mainnet.nodit.io/v1")!,
    authentication: .header("X-API-KEY"),
    classify: { response, _ in
        response.status == 403 ? Classification(.forbidden) : ProviderProfile.classifyByStatus(response)
    }
)

/// A Nodit-flavoured provider that knows each key by its label's secret in `secrets`.
private func noditProvider(_ clock: TestClock, _ keys: SimulatedKeyBehaviour...) -> SimulatedProvider<TestClock> {
    SimulatedProvider(
        clock: clock,
        flavour: .nodit,
        keys: Dictionary(uniqueKeysWithValues: keys.map { (secrets[$0.label!]!, $0) })
    )
}

private func ledger(_ client: RotatingClient<TestClock>) -> HTTPRequest {
    client.profile.request(.get, "/")
}

/// A simulated Aptos gateway that limits requests without a key by `limit`, and a keyless client of it.
private func keylessAptos(
    _ clock: TestClock,
    limit: SimulatedLimit
) -> (SimulatedProvider<TestClock>, RotatingClient<TestClock>) {
    let provider = SimulatedProvider(
        clock: clock,
        configuration: .init(flavour: .aptos, anonymous: .init(label: "anonymous", limits: [limit]))
    )
    var configuration = RotatingClient<TestClock>.Configuration()
    configuration.defaultTimeout = .seconds(3600)
    let client = RotatingClient(
        profile: ProviderProfile(
            name: "Aptos",
            baseURL: URL(string: "https://api.mainnet.aptoslabs.com/v1")!,
            authentication: .none
        ),
        rotator: nil,
        transport: provider,
        clock: clock,
        configuration: configuration,
        seed: 7
    )
    return (provider, client)
}

@Suite struct RotatingClientTests {
    @Test(arguments: SelectionStrategy.all)
    func invalidKeyCarriesNoRequestAfterItsFirst401(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "good"),
            .init(label: "bad", isInvalid: true),
            .init(label: "flap")
        )
        let client = client([key("good"), key("bad"), key("flap")], provider, clock, strategy: strategy)
        for _ in 0..<30 {
            let result = try await clock.drive { try await client.send(ledger(client)) }
            #expect(result.response.status == 200)
        }
        #expect(provider.requests(forKey: "bad").count == 1)
    }

    @Test(arguments: SelectionStrategy.all)
    func retryAfterIsHonouredToTheInstant(strategy: SelectionStrategy) async throws {
        let clock = TestClock(start: TestClock.defaultStart.advanced(by: .seconds(30)))
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [secrets["good"]!: .init(label: "good", limits: [.fixedWindow(2, per: .minute)], retryAfter: .exact)]
        )
        let client = client([key("good")], provider, clock, strategy: strategy)
        for _ in 0..<3 { _ = try await clock.drive { try await client.send(ledger(client)) } }
        let log = provider.requests(forKey: "good")
        #expect(log.map(\.status) == [200, 200, 429, 200])
        // The provider said "come back in 30 s" at t = 30 s: the retry goes at t = 60 s exactly, not a nanosecond early.
        #expect(log[3].timestamp == TestClock.defaultStart.advanced(by: .seconds(60)))
    }

    @Test(arguments: SelectionStrategy.all)
    func succeedsWhileTwoOfThreeKeysFlapWith5xx(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            seed: 9,
            flavour: .nodit,
            keys: [
                secrets["good"]!: .init(label: "good"),
                secrets["flap"]!: .init(label: "flap", failures: .every(2)),
                secrets["busy"]!: .init(label: "busy", failures: .probability(0.7)),
            ]
        )
        let client = client([key("good"), key("flap"), key("busy")], provider, clock, strategy: strategy)
        var succeeded = 0
        for _ in 0..<40 {
            let result = try await clock.drive { try await client.send(ledger(client)) }
            if result.response.status == 200 { succeeded += 1 }
        }
        #expect(succeeded == 40)
        #expect(provider.count(status: 503) > 0)
    }

    @Test func aTransientFailureIsRetriedOnAnotherKeyWhenOneIsFree() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [
                secrets["flap"]!: .init(label: "flap", failures: .requests([1, 2, 3])),
                secrets["good"]!: .init(label: "good"),
            ]
        )
        // Weighted 10 : 1, the strategy alone would send the retries back to the failing key.
        let keys = [APIKey(secrets["flap"]!, label: "flap", weight: 10), APIKey(secrets["good"]!, label: "good")]
        let client = client(keys, provider, clock, strategy: .smoothWeighted)
        let result = try await clock.drive { try await client.send(ledger(client)) }
        #expect(result.response.status == 200)
        #expect(result.keyID == "good")
        #expect(result.attempts == 2)
        #expect(provider.log.map(\.status) == [503, 200])
    }

    @Test func aTransientFailureIsRetriedOnTheSameKeyWhenNoOtherIsFree() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [
                secrets["flap"]!: .init(label: "flap", failures: .requests([2])),
                secrets["good"]!: .init(label: "good"),
            ]
        )
        // Round robin: flap, good (now spent for the minute), then flap fails. Waiting for "good" would take a
        // minute; the retry goes back to "flap" after its backoff.
        let client = client([key("flap"), key("good", limits: [.perMinute(1)])], provider, clock)
        for _ in 0..<2 { _ = try await client.send(ledger(client)) }
        let result = try await clock.drive { try await client.send(ledger(client)) }
        #expect(result.response.status == 200)
        #expect(result.keyID == "flap")
        #expect(result.attempts == 2)
        #expect(provider.log.map(\.status) == [200, 200, 503, 200])
        #expect(clock.now < TestClock.defaultStart.advanced(by: .seconds(60)))
    }

    @Test(arguments: SelectionStrategy.all)
    func noRequestIsLostAcrossTheFaultMix(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            seed: 3,
            flavour: .nodit,
            keys: [
                secrets["good"]!: .init(label: "good", limits: [.rolling(5, window: .seconds(1))]),
                secrets["bad"]!: .init(label: "bad", isInvalid: true),
                secrets["flap"]!: .init(
                    label: "flap",
                    failures: .probability(0.5),
                    connectionResets: .probability(0.1)
                ),
                secrets["busy"]!: .init(label: "busy", limits: [.rolling(2, window: .seconds(1))], retryAfter: .none),
            ]
        )
        // 60 requests at once: the paced keys are rarely free when a request that failed on "flap" (55 % failures)
        // retries, so its retries often go back to "flap". Which request meets which draw of the provider's faults
        // varies with the tasks' interleaving; at 6 attempts about one request in 3,600 met six failures in a row.
        // 16 attempts make that vanishingly rare; the default refusal budget holds (429s for leases taken before a
        // key's refusal don't repeat it).
        let client = client(
            [key("good"), key("bad"), key("flap"), key("busy")],
            provider,
            clock,
            strategy: strategy,
            attempts: 16
        )
        let answered = try await clock.drive {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<60 { group.addTask { try await client.send(ledger(client)).response.status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        #expect(answered.count == 60)
        #expect(answered.allSatisfy { $0 == 200 })
        // 60 requests start at once, so the invalid key may be leased more than once before its first 401 comes
        // back; none is leased after it: every request it got left in that first instant.
        let bad = provider.requests(forKey: "bad")
        #expect(!bad.isEmpty && Set(bad.map(\.timestamp)) == [TestClock.defaultStart], "\(bad.map(\.timestamp))")
    }

    @Test func everyKeyLimitedGivesTheRightETA() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [secrets["good"]!: .init(label: "good"), secrets["busy"]!: .init(label: "busy")]
        )
        let client = client(
            [key("good", limits: [.perMinute(1)]), key("busy", limits: [.perMinute(1)])],
            provider,
            clock
        )
        _ = try await client.send(ledger(client))
        clock.advance(by: .seconds(5))
        _ = try await client.send(ledger(client))
        let error = await #expect(throws: RotatingClientError.self) {
            try await client.send(ledger(client), deadline: clock.now.advanced(by: .seconds(10)))
        }
        #expect(error?.code == .allKeysLimited)
        #expect(error?.eta == TestClock.defaultStart.advanced(by: .seconds(60)))
        #expect(provider.totalRequests == 2)
    }

    @Test func clientErrorsAreNeverRetried() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(clock: clock, flavour: .nodit, keys: [secrets["good"]!: .init(label: "good")])
        let client = client([key("good")], provider, clock)
        let result = try await client.send(client.profile.request(.get, "/transactions", query: [("limit", "0")]))
        #expect(result.response.status == 400)
        #expect(result.classification.kind == .badRequest)
        #expect(provider.totalRequests == 1)
    }

    @Test func nonIdempotentRequestIsNotRetriedAfterA5xx() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: [secrets["flap"]!: .init(label: "flap", failures: .always)]
        )
        let client = client([key("flap")], provider, clock)
        let post = client.profile.request(.post, "/view", body: Data("{}".utf8))
        let error = await #expect(throws: RotatingClientError.self) {
            try await clock.drive { try await client.send(post) }
        }
        #expect(error?.attempts == 1)
        #expect(provider.totalRequests == 1)
    }

    @Test func errorsAndEventsNeverContainAKey() async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "bad", isInvalid: true),
            .init(label: "flap", failures: .always)
        )
        let pool = [key("bad"), key("flap")]
        let client = client(pool, provider, clock, attempts: 3)
        var texts: [String] = []
        for _ in 0..<3 {
            do { _ = try await clock.drive { try await client.send(ledger(client)) } } catch {
                texts.append("\(error)")
                texts.append(String(reflecting: error))
            }
        }
        let stats = client.rotator!.statistics()
        texts.append("\(stats)")
        texts.append(contentsOf: pool.map { "\($0)" })
        var iterator = client.rotator!.events.makeAsyncIterator()
        for _ in 0..<3 { if let event = await iterator.next() { texts.append("\(event)") } }
        texts.append(contentsOf: provider.log.map { "\($0)" })
        #expect(texts.count > 5)
        for text in texts { for secret in secrets.values { #expect(!text.contains(secret)) } }
    }

    @Test(arguments: SelectionStrategy.all)
    func a403MovesToAnotherKeyAndKeepsTheRefusedKeyHealthy(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "good"),
            .init(label: "busy", failures: .always, failureStatus: 403)
        )
        let client = client(
            [key("busy"), key("good")],
            provider,
            clock,
            strategy: strategy,
            profile: forbiddingProfile
        )
        for _ in 0..<10 {
            let result = try await clock.drive { try await client.send(ledger(client)) }
            #expect(result.response.status == 200)
            #expect(result.keyID == "good")
        }
        let busy = client.rotator!.statistics().keys.first { $0.id == "busy" }
        #expect(busy?.state == .available)
        #expect(provider.requests(forKey: "busy").count >= 1)
        #expect(provider.requests(forKey: "good").count == 10)
    }

    /// A 403 on one key and a 5xx on the other: the retry after the 5xx still avoids the 403 key (every strategy,
    /// most-remaining too, which would otherwise offer it again), so the request is served, never answered 403.
    @Test(arguments: SelectionStrategy.all)
    func a5xxAfterA403RetriesOnAKeyThatHasNotRefused(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "busy", failures: .always, failureStatus: 403),
            .init(label: "flap", failures: .every(2))
        )
        let client = client(
            [key("busy"), key("flap")],
            provider,
            clock,
            strategy: strategy,
            profile: forbiddingProfile
        )
        for _ in 0..<6 {
            let result = try await clock.drive { try await client.send(ledger(client)) }
            #expect(result.response.status == 200)
            #expect(result.keyID == "flap")
        }
    }

    /// One key lacks the plan (403), the other is invalid (401): nothing can serve the request, so it fails at once
    /// as "no usable key" instead of waiting five minutes for the invalid key's probe.
    @Test func a403AndA401FailAtOnceWithNoUsableKey() async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "busy", failures: .always, failureStatus: 403),
            .init(label: "bad", isInvalid: true)
        )
        let client = client([key("busy"), key("bad")], provider, clock, profile: forbiddingProfile)
        let start = clock.now
        do {
            _ = try await clock.drive { try await client.send(ledger(client)) }
            Issue.record("the request was served")
        } catch let error as RotatingClientError {
            #expect(error.code == .noUsableKey)
        }
        #expect(start.duration(to: clock.now) < .seconds(1))
        #expect(provider.log.count == 2)
    }

    @Test func a403FromEveryKeyIsTheResultAfterOneTryEach() async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "good", failures: .always, failureStatus: 403),
            .init(label: "busy", failures: .always, failureStatus: 403),
            .init(label: "flap", failures: .always, failureStatus: 403)
        )
        let client = client([key("good"), key("busy"), key("flap")], provider, clock, profile: forbiddingProfile)
        let result = try await clock.drive { try await client.send(ledger(client)) }
        #expect(result.response.status == 403)
        #expect(result.classification.kind == .forbidden)
        #expect(result.attempts == 3)
        #expect(provider.log.count == 3)
        #expect(client.rotator!.statistics().keys.allSatisfy { $0.state == .available })
    }

    @Test func theTasksRequestLogSeesEveryAttemptWithoutTheKey() async throws {
        let clock = TestClock()
        let provider = noditProvider(
            clock,
            .init(label: "bad", isInvalid: true),
            .init(label: "good", latency: .fixed(.milliseconds(30)))
        )
        let client = client([key("bad"), key("good")], provider, clock)
        let attempts = Mutex<[RequestAttempt]>([])
        let observer = RequestLog.Observer { attempt in attempts.withLock { $0.append(attempt) } }
        let result = try await RequestLog.$observer.withValue(observer) {
            try await clock.drive { try await client.send(ledger(client)) }
        }
        #expect(result.response.status == 200)
        let seen = attempts.withLock { $0 }
        #expect(seen.map(\.keyID) == ["bad", "good"])
        #expect(seen.map(\.attempt) == [1, 2])
        #expect(seen.map(\.status) == [401, 200])
        #expect(seen.map { $0.classification?.kind } == [.invalidKey, .success])
        #expect(seen.last?.latency == .milliseconds(30))
        #expect(seen.last?.description == "Simulated GET /v1 key good attempt 2: 200 success in 30 ms")
        for attempt in seen { for secret in secrets.values { #expect(!"\(attempt)".contains(secret)) } }
    }

    /// Keyless, an Aptos-style 429 without a time backs off up to minutes (its window is 300 s), not every 10 s:
    /// the request is served when the window ends, after a handful of 429s rather than thirty.
    /// When every attempt fails to connect, the error says why (the last transport failure), not only how often.
    @Test func attemptsExhaustedNamesTheLastFailure() async throws {
        struct Unreachable: HTTPTransport {
            func send(_ request: HTTPRequest) async throws -> HTTPResponse {
                throw TransportError(.connectionFailed, "could not connect to node.example: check the host")
            }
        }
        let clock = TestClock()
        var configuration = RotatingClient<TestClock>.Configuration()
        configuration.maximumAttempts = 3
        let client = RotatingClient(
            profile: profile(),
            rotator: nil,
            transport: Unreachable(),
            clock: clock,
            configuration: configuration,
            seed: 1
        )
        let error = await #expect(throws: RotatingClientError.self) {
            try await clock.drive { try await client.send(client.profile.request(.get, "/")) }
        }
        #expect(error?.code == .attemptsExhausted)
        #expect(error?.description.contains("3 attempts; last failure: could not connect to node.example") == true)
    }

    /// Concurrent requests without a key share one cooldown and learn the provider's pace together: a per-IP limit of
    /// 2 per 10 s meets few 429s, not one volley per request after each success.
    @Test func concurrentKeylessRequestsShareOneCooldown() async throws {
        let clock = TestClock()
        let (provider, client) = keylessAptos(clock, limit: .fixedWindow(2, per: .every(.seconds(10))))
        let statuses = try await clock.drive {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await client.send(client.profile.request(.get, "/")).response.status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        #expect(statuses.count == 12 && statuses.allSatisfy { $0 == 200 })
        let refused = provider.log.filter { $0.status == 429 }.count
        #expect(refused <= 8, "\(refused) 429s for 12 requests (83 when each request backed off alone)")
    }

    @Test func aKeyless429BacksOffTowardsTheProvidersWindow() async throws {
        let clock = TestClock()
        let (provider, client) = keylessAptos(clock, limit: .fixedWindow(1, per: .every(.seconds(300))))
        for _ in 0..<2 {
            let result = try await clock.drive { try await client.send(client.profile.request(.get, "/")) }
            #expect(result.response.status == 200)
        }
        let refused = provider.log.filter { $0.status == 429 }.count
        #expect((1...12).contains(refused), "\(refused) 429s")
    }
}
