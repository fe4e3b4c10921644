import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Synchronization
import Testing

private let vtBase = "https://www.virustotal.com/api/v3"
private let aptosBase = "https://api.mainnet.aptoslabs.com/v1"
private let noditBase = "https://aptos-mainnet.nodit.io/v1"

private func request(
    _ url: String,
    method: HTTPMethod = .get,
    headers: HTTPHeaders = [:],
    body: String? = nil
) throws -> HTTPRequest {
    HTTPRequest(method: method, url: try #require(URL(string: url)), headers: headers, body: body.map { Data($0.utf8) })
}

private func vt(_ secret: String?, _ path: String = "/domains/example.org") throws -> HTTPRequest {
    try request(vtBase + path, headers: secret.map { ["x-apikey": $0] } ?? [:])
}

private func json(_ response: HTTPResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
}

private func errorCode(_ response: HTTPResponse) throws -> String? {
    let object = try json(response)
    return (object["error"] as? [String: Any])?["code"] as? String ?? object["code"] as? String
        ?? object["error_code"] as? String
}

private func statuses<C: Clock>(
    _ provider: SimulatedProvider<C>,
    _ make: () throws -> HTTPRequest,
    count: Int
)
    async throws -> [Int]
{
    var result: [Int] = []
    for _ in 0..<count { result.append(try await provider.send(try make()).status) }
    return result
}

@Suite("SimulatedProvider")
struct SimulatedProviderTests {
    @Test func fixedWindowIsEnforcedAndResetsExactlyAtTheUTCBoundary() async throws {
        let clock = TestClock(start: TestClock.defaultStart.advanced(by: .seconds(30)))
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: ["vt-secret": .init(label: "a", limits: [.fixedWindow(4, per: .minute)])]
        )
        #expect(try await statuses(provider, { try vt("vt-secret") }, count: 4) == [200, 200, 200, 200])
        let refused = try await provider.send(try vt("vt-secret"))
        #expect(refused.status == 429)
        #expect(try errorCode(refused) == "QuotaExceededError")
        #expect(refused.headers["Retry-After"] == nil)

        clock.advance(to: TestClock.defaultStart.advanced(by: .seconds(60) - .nanoseconds(1)))
        #expect(try await provider.send(try vt("vt-secret")).status == 429)
        clock.advance(by: .nanoseconds(1))
        #expect(try await statuses(provider, { try vt("vt-secret") }, count: 5) == [200, 200, 200, 200, 429])
        // 429s consumed nothing, and four admitted per minute is what the log shows.
        #expect(provider.count(status: 200, forKey: "a") == 8)
        #expect(provider.maxUsesInAnyFixedWindow(key: "a", period: .minute) { $0.consumedQuota } == 4)
    }

    @Test func rollingWindowAdmitsAtMostLimitInAnyWindow() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: ["k": .init(label: "k", limits: [.rolling(2, window: .seconds(10))])]
        )
        func status(at seconds: Double) async throws -> Int {
            clock.advance(to: TestClock.defaultStart.advanced(by: .milliseconds(Int64(seconds * 1000))))
            return try await provider.send(try vt("k")).status
        }
        #expect(try await status(at: 0) == 200)
        #expect(try await status(at: 3) == 200)
        #expect(try await status(at: 5) == 429)
        #expect(try await status(at: 9.999) == 429)
        #expect(try await status(at: 10) == 200)
        #expect(try await status(at: 11) == 429)
        #expect(try await status(at: 13) == 200)
        #expect(provider.maxUsesInAnyWindow(key: "k", window: .seconds(10)) { $0.status == 200 } == 2)
        #expect(provider.maxUsesInAnyWindow(key: "k", window: .seconds(10)) == 5)  // [3, 13): 3, 5, 9.999, 10, 11
    }

    @Test func tokenBucketRefillsOneTokenPerInterval() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: ["k": .init(limits: [.tokenBucket(capacity: 2, refillInterval: .seconds(5))], retryAfter: .exact)]
        )
        #expect(try await statuses(provider, { try vt("k") }, count: 3) == [200, 200, 429])
        clock.advance(by: .seconds(4))
        let refused = try await provider.send(try vt("k"))
        #expect(refused.status == 429)
        #expect(refused.headers["Retry-After"] == "1")
        clock.advance(by: .seconds(1))
        #expect(try await statuses(provider, { try vt("k") }, count: 2) == [200, 429])
        clock.advance(by: .seconds(60))
        #expect(try await statuses(provider, { try vt("k") }, count: 3) == [200, 200, 429])
    }

    @Test func noditRateLimitCarriesTheExactRetryAfter() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: ["n": .init(label: "n", limits: [.rolling(1, window: .seconds(30))])]
        )
        let make = { try request(noditBase + "/", headers: ["X-API-KEY": "n"]) }
        #expect(try await provider.send(try make()).status == 200)
        clock.advance(by: .milliseconds(10_500))
        let refused = try await provider.send(try make())
        #expect(refused.status == 429)
        #expect(refused.headers["Retry-After"] == "20")  // 19.5 s, rounded up
        #expect(try errorCode(refused) == "TOO_MANY_REQUESTS")
        #expect(refused.headers["x-aptos-ledger-version"] != nil)
    }

    @Test func noditDailyQuotaAnswersExceededQuotaLimitUntilMidnight() async throws {
        let clock = TestClock(start: TestClock.defaultStart.advanced(by: .seconds(23 * 3600)))
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .nodit,
            keys: ["n": .init(limits: [.fixedWindow(2, per: .day), .rolling(100, window: .seconds(1))])]
        )
        let make = { try request(noditBase + "/estimate_gas_price", headers: ["X-API-KEY": "n"]) }
        #expect(try await statuses(provider, make, count: 2) == [200, 200])
        let refused = try await provider.send(try make())
        #expect(refused.status == 429)
        #expect(try errorCode(refused) == "EXCEEDED_QUOTA_LIMIT")
        #expect(refused.headers["Retry-After"] == "3600")
        clock.advance(by: .seconds(3600))
        #expect(try await provider.send(try make()).status == 200)
    }

    @Test func aptosRateLimitIsPlainTextWithoutRetryAfter() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            configuration: .init(
                flavour: .aptos,
                keys: ["ag-key": .init(limits: [.fixedWindow(1, per: .every(.seconds(300)))])],
                anonymous: .init(label: "anonymous", limits: [.fixedWindow(1, per: .minute)])
            )
        )
        for headers: HTTPHeaders in [["Authorization": "Bearer ag-key"], [:]] {
            #expect(try await provider.send(try request(aptosBase + "/", headers: headers)).status == 200)
            let refused = try await provider.send(try request(aptosBase + "/", headers: headers))
            #expect(refused.status == 429)
            #expect(refused.headers["Retry-After"] == nil)
            #expect(refused.bodyText().hasPrefix("Per anonymous IP rate limit exceeded"))
            #expect(refused.headers["Content-Type"]?.hasPrefix("text/plain") == true)
            #expect(refused.headers["X-Aptos-Chain-Id"] == "1")
        }
        #expect(provider.requests(forKey: "anonymous").map(\.status) == [200, 429])
    }

    @Test func invalidUnknownAndMissingKeysAreRefused() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .virusTotal,
            keys: ["bad": .invalid(label: "bad"), "good": .init(label: "good", invalidAfter: 2)]
        )
        let invalid = try await provider.send(try vt("bad"))
        #expect(invalid.status == 401)
        #expect(try errorCode(invalid) == "WrongCredentialsError")
        #expect(try await provider.send(try vt("stranger")).status == 401)
        let missing = try await provider.send(try vt(nil))
        #expect(missing.status == 401)
        #expect(try errorCode(missing) == "AuthenticationRequiredError")
        #expect(try await statuses(provider, { try vt("good") }, count: 3) == [200, 200, 401])

        let nodit = SimulatedProvider(clock: TestClock(), flavour: .nodit, keys: ["n": .healthy()])
        #expect(try errorCode(try await nodit.send(try request(noditBase + "/"))) == "NO_AUTHENTICATION_FOUND")
        let wrong = try await nodit.send(try request(noditBase + "/", headers: ["X-API-KEY": "x"]))
        #expect(try errorCode(wrong) == "AUTHENTICATION_FAILED")
        let both = try await nodit.send(
            try request("https://aptos-mainnet.nodit.io/n/v1/", headers: ["X-API-KEY": "n"])
        )
        #expect(both.status == 401)
        #expect(try await nodit.send(try request("https://aptos-mainnet.nodit.io/n/v1/")).status == 200)
    }

    @Test func keyTurnsInvalidMidRun() async throws {
        let provider = SimulatedProvider(clock: TestClock(), flavour: .virusTotal, keys: ["k": .init(label: "k")])
        #expect(try await provider.send(try vt("k")).status == 200)
        provider.setBehaviour(.invalid(label: "k"), forKey: "k")
        #expect(try await provider.send(try vt("k")).status == 401)
        provider.removeKey("k")
        #expect(try await provider.send(try vt("k")).status == 401)
        #expect(provider.requests(forKey: "k").map(\.status) == [200, 401])
    }

    @Test func flappingPatternFailsEveryOtherRequestWithoutConsumingQuota() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .virusTotal,
            keys: ["k": .init(label: "k", limits: [.fixedWindow(3, per: .minute)], failures: .every(2))]
        )
        #expect(try await statuses(provider, { try vt("k") }, count: 6) == [200, 503, 200, 503, 200, 503])
        #expect(try await provider.send(try vt("k")).status == 429)
        #expect(provider.statusCounts == [200: 3, 503: 3, 429: 1])
        let patterned = SimulatedProvider(
            clock: TestClock(),
            flavour: .aptos,
            keys: ["k": .init(failures: .pattern([false, false, true]), failureStatus: 500)]
        )
        let make = { try request(aptosBase + "/", headers: ["Authorization": "Bearer k"]) }
        #expect(try await statuses(patterned, make, count: 6) == [200, 200, 500, 200, 200, 500])
    }

    @Test func latencyHoldsTheAnswerUntilTheClockAdvances() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: ["k": .init(label: "k", latency: .fixed(.seconds(2)))]
        )
        let finished = Mutex(false)
        let call = Task {
            let response = try await provider.send(try vt("k"))
            finished.withLock { $0 = true }
            return response.status
        }
        #expect(await clock.waitForSleepers(count: 1))
        clock.advance(by: .seconds(1))
        #expect(clock.sleeperCount == 1)
        #expect(!finished.withLock { $0 })
        clock.advance(by: .seconds(1))
        #expect(try await call.value == 200)
        #expect(provider.log.first?.delay == .seconds(2))
    }

    @Test func hangsAndConnectionResets() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: [
                "hang": .init(hangs: .requests([1]), hangDuration: .seconds(90)),
                "reset": .init(label: "reset", connectionResets: .always),
            ]
        )
        let call = Task { try await provider.send(try vt("hang")).status }
        #expect(await clock.waitForSleepers(count: 1))
        #expect(clock.nextDeadline == clock.now.advanced(by: .seconds(90)))
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        let error = await #expect(throws: TransportError.self) { try await provider.send(try vt("reset")) }
        #expect(error?.code == .connectionReset)
        #expect(provider.count(status: 0, forKey: "reset") == 1)
    }

    @Test func contentFaults() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .virusTotal,
            keys: [
                "r": .init(redirects: .always, redirectLocation: "https://elsewhere.invalid/"),
                "m": .init(malformedBodies: .always),
                "o": .init(oversizedBodies: .always, oversizedBodyBytes: 4096),
            ]
        )
        let redirect = try await provider.send(try vt("r"))
        #expect(redirect.status == 302)
        #expect(redirect.headers["Location"] == "https://elsewhere.invalid/")
        let malformed = try await provider.send(try vt("m"))
        #expect(malformed.status == 200)
        #expect((try? JSONSerialization.jsonObject(with: malformed.body)) == nil)
        #expect(try await provider.send(try vt("o")).body.count == 4096)
    }

    @Test func virusTotalServesFixturesByPathAndUnknownResourcesAs404() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .virusTotal,
            keys: ["k": .healthy()],
            unknownResources: ["0000000000000000000000000000000000000000000000000000000000000001"]
        )
        for (path, type) in [
            ("/files/275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", "file"),
            ("/domains/example.org", "domain"), ("/ip_addresses/1.1.1.1", "ip_address"), ("/urls/abc", "url"),
        ] {
            let response = try await provider.send(try vt("k", path))
            #expect(response.status == 200)
            #expect((try json(response)["data"] as? [String: Any])?["type"] as? String == type)
        }
        let domain = try json(try await provider.send(try vt("k", "/domains/example.org")))
        #expect((domain["data"] as? [String: Any])?["id"] as? String == "example.org")
        let missing = try await provider.send(
            try vt("k", "/files/0000000000000000000000000000000000000000000000000000000000000001")
        )
        #expect(missing.status == 404)
        #expect(try errorCode(missing) == "NotFoundError")
    }

    @Test func transactionsEndpointReturnsConsecutiveVersions() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .aptos,
            keys: [:],
            ledger: .init(headVersion: 1_000, oldestVersion: 100)
        )
        let page = try await provider.send(try request(aptosBase + "/transactions?start=500&limit=10"))
        #expect(page.status == 200)
        let transactions = try #require(try JSONSerialization.jsonObject(with: page.body) as? [[String: Any]])
        #expect(transactions.compactMap { $0["version"] as? String } == (500..<510).map(String.init))
        for transaction in transactions {
            #expect(["user_transaction", "block_metadata_transaction"].contains(transaction["type"] as? String))
            for field in ["hash", "vm_status", "gas_used", "timestamp"] { #expect(transaction[field] is String) }
            #expect(transaction["success"] as? Bool == true)
        }
        let tail = try await provider.send(try request(aptosBase + "/transactions?start=995&limit=100"))
        #expect((try JSONSerialization.jsonObject(with: tail.body) as? [Any])?.count == 6)
        #expect(tail.headers["X-Aptos-Ledger-Version"] == "1000")
        #expect(tail.headers["X-Aptos-Ledger-Oldest-Version"] == "100")
        let info = try json(try await provider.send(try request(aptosBase + "/")))
        #expect(info["ledger_version"] as? String == "1000")
        #expect(info["oldest_ledger_version"] as? String == "100")
        #expect(try await provider.send(try request(aptosBase + "/transactions?start=1001")).status == 400)
        #expect(try await provider.send(try request(aptosBase + "/no/such/path")).status == 404)
    }

    @Test func prunedStartAnswers410() async throws {
        let provider = SimulatedProvider(
            clock: TestClock(),
            flavour: .nodit,
            keys: ["n": .healthy()],
            ledger: .init(headVersion: 1_000, oldestVersion: 100)
        )
        let pruned = try await provider.send(
            try request(noditBase + "/transactions?start=99&limit=5", headers: ["X-API-KEY": "n"])
        )
        #expect(pruned.status == 410)
        #expect(try errorCode(pruned) == "version_pruned")
        #expect(pruned.headers["x-aptos-ledger-oldest-version"] == "100")
    }

    @Test func ledgerGrowsWithTheClock() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .aptos,
            keys: [:],
            ledger: .init(headVersion: 1_000, versionsPerSecond: 10)
        )
        clock.advance(by: .seconds(3))
        #expect(provider.ledgerHeadVersion == 1_030)
        provider.setLedgerHead(5_000)
        #expect(try await provider.send(try request(aptosBase + "/")).headers["X-Aptos-Ledger-Version"] == "5000")
    }

    @Test func noditWeb3DataAPIAnswersFixtures() async throws {
        let provider = SimulatedProvider(clock: TestClock(), flavour: .nodit, keys: ["n": .healthy()])
        let url = "https://web3.nodit.io/v1/aptos/mainnet/token/getTokensOwnedByAccount"
        let ok = try await provider.send(
            try request(url, method: .post, headers: ["X-API-KEY": "n"], body: #"{"accountAddress":"0x1"}"#)
        )
        #expect(ok.status == 200)
        #expect(try json(ok)["items"] is [Any])
        #expect(ok.headers["X-APTOS-CHAIN-ID"] == nil)
        let bad = try await provider.send(try request(url, method: .post, headers: ["X-API-KEY": "n"], body: "nope"))
        #expect(try errorCode(bad) == "INVALID_PARAMETER")
        let wrong = try await provider.send(
            try request(url + "Nope", method: .post, headers: ["X-API-KEY": "n"], body: "{}")
        )
        #expect(try errorCode(wrong) == "WRONG_ENDPOINT")
    }

    @Test func sameSeedReplaysTheSameStatuses() async throws {
        func run(seed: UInt64) async throws -> [Int] {
            let provider = SimulatedProvider(
                clock: TestClock(),
                seed: seed,
                flavour: .virusTotal,
                keys: ["k": .init(failures: .probability(0.5), latency: .zero)]
            )
            return try await statuses(provider, { try vt("k") }, count: 64)
        }
        let first = try await run(seed: 42)
        #expect(try await run(seed: 42) == first)
        #expect(try await run(seed: 43) != first)
        #expect(Set(first) == [200, 503])
    }

    @Test func latencyDrawsAreSeededAndInRange() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        #expect((0..<8).map { _ in a.next() } == (0..<8).map { _ in b.next() })
        var random = SplitMix64(seed: 1, label: "k")
        for _ in 0..<200 {
            let value = random.nextUnitInterval()
            #expect(value >= 0 && value < 1)
        }
    }

    @Test func logNeverContainsSecrets() async throws {
        let secrets = ["vt-super-secret-0123456789", "AG-aptos-secret-abcdef", "nodit-secret-xyz"]
        let vtProvider = SimulatedProvider(
            clock: TestClock(),
            flavour: .virusTotal,
            keys: [secrets[0]: .init(limits: [.fixedWindow(1, per: .minute)])]
        )
        let aptos = SimulatedProvider(clock: TestClock(), flavour: .aptos, keys: [secrets[1]: .invalid()])
        let nodit = SimulatedProvider(clock: TestClock(), flavour: .nodit, keys: [secrets[2]: .healthy()])
        _ = try await statuses(vtProvider, { try vt(secrets[0]) }, count: 2)
        _ = try await aptos.send(try request(aptosBase + "/", headers: ["Authorization": "Bearer \(secrets[1])"]))
        _ = try await nodit.send(try request("https://aptos-mainnet.nodit.io/\(secrets[2])/v1/"))
        _ = try await nodit.send(try request(noditBase + "/", headers: ["X-API-KEY": secrets[2]]))
        let entries = vtProvider.log + aptos.log + nodit.log
        #expect(entries.count == 5)
        var text = entries.map { "\($0) \($0.path) \(String(describing: $0.keyID))" }.joined(separator: "\n")
        for entry in entries { dump(entry, to: &text) }
        for secret in secrets { #expect(!text.contains(secret)) }
        #expect(nodit.log.map(\.path) == ["/v1", "/v1"])
        #expect(nodit.log.first?.keyID == APIKey(secrets[2]).id)
    }

    @Test func calendarPeriodsAlignToUTC() {
        let february10 = Timestamp(nanosecondsSinceEpoch: 1_707_523_200 * 1_000_000_000)  // 2024-02-10 00:00 UTC
        let february1 = Timestamp(nanosecondsSinceEpoch: 1_706_745_600 * 1_000_000_000)
        let march1 = Timestamp(nanosecondsSinceEpoch: 1_709_251_200 * 1_000_000_000)
        #expect(SimulatedLimit.Period.month.start(containing: february10) == february1)
        #expect(SimulatedLimit.Period.month.end(containing: february10) == march1)
        #expect(
            SimulatedLimit.Period.day.end(containing: february10.advanced(by: .seconds(5)))
                == february10.advanced(by: .seconds(86_400))
        )
        #expect(SimulatedLimit.fixedWindow(1, per: .day).isQuota)
        #expect(!SimulatedLimit.fixedWindow(1, per: .minute).isQuota)
    }
}

@Test func configurationDescriptionHidesSecrets() {
    let configuration = SimulatedProviderConfiguration(flavour: .nodit, keys: ["hidden-secret-42": .init(label: "n")])
    var text = "\(configuration) \(String(reflecting: configuration))"
    dump(configuration, to: &text)
    #expect(!text.contains("hidden-secret-42"))
    #expect(text.contains("n"))
}
