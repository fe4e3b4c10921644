import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

/// The two promises under faults: a key no answer has proven yet carries one request at a time (a revoked key gets
/// exactly one), and a request that failed on some keys is retried on the keys that can still answer it, so it is
/// never given up while a healthy key is free.
@Suite struct NoRequestLostOrWastedTests {
    private static let secrets = (0..<6).map { "sk-fault-\($0)-0123456789" }

    private static func key(_ index: Int) -> APIKey { APIKey(Self.secrets[index], label: "k\(index)") }

    /// A Nodit-flavoured provider with `behaviours[i]` for key `i`, every answer taking 100 ms.
    private static func provider(_ clock: TestClock, _ behaviours: [SimulatedKeyBehaviour]) -> SimulatedProvider<TestClock> {
        let keys = behaviours.enumerated().map { index, behaviour -> (String, SimulatedKeyBehaviour) in
            var behaviour = behaviour
            behaviour.label = "k\(index)"
            behaviour.latency = .fixed(.milliseconds(100))
            return (Self.secrets[index], behaviour)
        }
        return SimulatedProvider(clock: clock, flavour: .nodit, keys: Dictionary(uniqueKeysWithValues: keys))
    }

    /// VirusTotal's retry budget (2 attempts) over `provider`'s keys; `hangs[i]` lists the requests of key `i` that
    /// hang past a 20 s response-head timeout.
    private static func client(
        _ provider: SimulatedProvider<TestClock>,
        keys: Int,
        clock: TestClock,
        strategy: SelectionStrategy = .roundRobin,
        hangs: [Int: Set<Int>] = [:]
    ) -> RotatingClient<TestClock> {
        var configuration = RotatingClient<TestClock>.Configuration()
        configuration.maximumAttempts = 2
        configuration.defaultTimeout = .seconds(3600)
        return RotatingClient(
            profile: ProviderProfile(
                name: "Simulated",
                baseURL: URL(string: "https://aptos-mainnet.nodit.io/v1")!,
                authentication: .header("X-API-KEY")
            ),
            rotator: KeyRotator(keys: (0..<keys).map(Self.key), configuration: .init(strategy: strategy), clock: clock),
            transport: HangingTransport(
                upstream: provider,
                clock: clock,
                hangs: Dictionary(uniqueKeysWithValues: hangs.map { (Self.secrets[$0.key], $0.value) })
            ),
            clock: clock,
            configuration: configuration,
            seed: 7
        )
    }

    /// `count` lookups, `concurrency` at a time; the statuses of those answered and the number that failed.
    private static func run(
        _ client: RotatingClient<TestClock>,
        _ clock: TestClock,
        count: Int,
        concurrency: Int
    ) async throws -> (statuses: [Int], lost: Int) {
        try await clock.drive {
            await withTaskGroup(of: [Int?].self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var results: [Int?] = []
                        for _ in stride(from: worker, to: count, by: concurrency) {
                            do {
                                results.append(try await client.send(client.profile.request(.get, "/")).response.status)
                            } catch {
                                Issue.record("lost: \(error)")
                                results.append(nil)
                            }
                        }
                        return results
                    }
                }
                let all = await group.reduce(into: [Int?]()) { $0 += $1 }
                return (all.compactMap { $0 }, all.filter { $0 == nil }.count)
            }
        }
    }

    @Test(arguments: SelectionStrategy.all)
    func aRevokedKeyGetsExactlyOneRequestAtConcurrencyEight(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = Self.provider(clock, [.healthy(), .invalid(), .healthy()])
        let client = Self.client(provider, keys: 3, clock: clock, strategy: strategy)
        let (statuses, lost) = try await Self.run(client, clock, count: 30, concurrency: 8)
        #expect(lost == 0)
        #expect(statuses.count == 30 && statuses.allSatisfy { $0 == 200 })
        #expect(provider.requests(forKey: "k1").count == 1)
    }

    @Test func manyRevokedKeysAtHighConcurrencyEachGetOneRequest() async throws {
        let clock = TestClock()
        let provider = Self.provider(clock, [.invalid(), .healthy(), .invalid(), .invalid(), .healthy(), .invalid()])
        let client = Self.client(provider, keys: 6, clock: clock, strategy: .healthAware)
        let (statuses, lost) = try await Self.run(client, clock, count: 60, concurrency: 32)
        #expect(lost == 0 && statuses.allSatisfy { $0 == 200 })
        for revoked in [0, 2, 3, 5] { #expect(provider.requests(forKey: KeyID("k\(revoked)")).count == 1, "k\(revoked)") }
    }

    /// The run that lost a lookup: key 0 answers 503 on every second request, key 1 hangs on its first request past
    /// the head timeout, key 2 answers everything.
    @Test(arguments: SelectionStrategy.all)
    func aHangingAndAFlappingKeyLoseNothing(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let provider = Self.provider(
            clock,
            [.init(failures: .every(2)), .healthy(), .healthy()]
        )
        let client = Self.client(provider, keys: 3, clock: clock, strategy: strategy, hangs: [1: [1]])
        let (statuses, lost) = try await Self.run(client, clock, count: 30, concurrency: 4)
        #expect(lost == 0)
        #expect(statuses.count == 30 && statuses.allSatisfy { $0 == 200 })
    }

    @Test func twoHangingKeysAndAFlappingOneLoseNothing() async throws {
        let clock = TestClock()
        let provider = Self.provider(
            clock,
            [.healthy(), .init(failures: .every(2)), .healthy(), .healthy()]
        )
        let client = Self.client(provider, keys: 4, clock: clock, hangs: [0: [1, 2], 2: [1]])
        let (statuses, lost) = try await Self.run(client, clock, count: 40, concurrency: 8)
        #expect(lost == 0 && statuses.allSatisfy { $0 == 200 })
    }

    /// A key revoked mid-run: once its first 401 is back, it gets no request it was not already carrying.
    @Test func aKeyTurningInvalidMidRunGetsNothingAfterItsFirst401() async throws {
        let clock = TestClock()
        let provider = Self.provider(clock, [.healthy(), .init(invalidAfter: 3), .healthy()])
        let client = Self.client(provider, keys: 3, clock: clock)
        let (statuses, lost) = try await Self.run(client, clock, count: 40, concurrency: 6)
        #expect(lost == 0 && statuses.allSatisfy { $0 == 200 })
        let log = provider.requests(forKey: "k1")
        let first401 = try #require(log.first { $0.status == 401 })
        let answeredAt = first401.timestamp.advanced(by: .milliseconds(100))
        #expect(log.allSatisfy { $0.timestamp <= answeredAt }, "\(log.map { ($0.timestamp, $0.status) })")
    }

    /// A request keeps going past `maximumAttempts` while a key that has not failed it can answer, and stops once
    /// every key has failed it.
    @Test func aRequestIsGivenUpOnlyWhenEveryUsableKeyFailedIt() async throws {
        let clock = TestClock()
        let provider = Self.provider(clock, [.init(failures: .always), .init(failures: .always), .healthy()])
        let client = Self.client(provider, keys: 3, clock: clock)
        let result = try await clock.drive { try await client.send(client.profile.request(.get, "/")) }
        #expect(result.response.status == 200 && result.keyID == "k2")
        #expect(result.attempts == 3)

        let failing = Self.provider(clock, [.init(failures: .always), .init(failures: .always)])
        let doomed = Self.client(failing, keys: 2, clock: clock)
        let error = await #expect(throws: RotatingClientError.self) {
            try await clock.drive { try await doomed.send(doomed.profile.request(.get, "/")) }
        }
        #expect(error?.code == .attemptsExhausted)
        #expect(failing.totalRequests == 2)  // each key failed it once: none left that could answer
    }
}

/// A transport in front of the simulated provider that makes the listed requests of some keys hang past a 20 s
/// response-head timeout: they wait 20 s on the clock, then fail as a real transport's head timeout does (after the
/// request was sent, so the provider may have counted it). Every other request goes to the provider.
private struct HangingTransport: HTTPTransport {
    let upstream: SimulatedProvider<TestClock>
    let clock: TestClock
    /// Secret → which of its requests (1-based) hang.
    let hangs: [String: Set<Int>]
    let counts = Locked([String: Int]())

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let secret = request.headers["X-API-KEY"] ?? ""
        let number = self.counts.withLock { counts -> Int in
            counts[secret, default: 0] += 1
            return counts[secret]!
        }
        guard self.hangs[secret]?.contains(number) == true else { return try await self.upstream.send(request) }
        try await self.clock.sleep(until: self.clock.now.advanced(by: .seconds(20)), tolerance: nil)
        throw TransportError(.connectTimeout, "no response head in 20 s")
    }
}
