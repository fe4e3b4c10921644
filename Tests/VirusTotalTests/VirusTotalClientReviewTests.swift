import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import KeyRotationTesting
import Synchronization
import Testing

@testable import VirusTotal

/// The shared cache and single-flight, redaction, `Retry-After` on quota errors and the report TTL's text form.
@Suite struct VirusTotalClientReviewTests {
    static let twentyPerMinute = SimulatedKeyBehaviour(limits: [.fixedWindow(20, per: .minute)])

    @Test func aCancelledCallerLeavesTheSharedLookupRunningForTheOthers() async throws {
        var slow = Self.twentyPerMinute
        slow.latency = .fixed(.seconds(2))
        let pool = try SimulatedPool(keys: [("a", slow)])
        let client = pool.client
        let leaving = Task { await client.lookup("shared.example") }
        let staying = Task { await client.lookup("SHARED.example.") }
        await pool.clock.waitForSleepers(count: 1)  // the one upstream request is under way
        for _ in 0..<10_000 where client.flights.waiterCount(for: "domain:shared.example") < 2 { await Task.yield() }
        #expect(client.flights.waiterCount(for: "domain:shared.example") == 2)

        leaving.cancel()
        let left = await leaving.value
        #expect(left.error?.code == .cancelled)
        pool.clock.advance(by: .seconds(2))
        let served = await staying.value
        #expect(served.status == .servedLive)
        #expect(served.input == "SHARED.example.")
        #expect(pool.provider.totalRequests == 1)
        #expect(client.flights.inFlightCount == 0)
        // The answer was kept although the caller that started the lookup had left.
        #expect(try await pool.lookup("shared.example").status == .servedFromCache)
        #expect(pool.provider.totalRequests == 1)
    }

    @Test func memoryAnswersExpireWithTheReportTTLAndZeroEntriesTurnTheCacheOff() async throws {
        let pool = try SimulatedPool(keys: [("a", Self.twentyPerMinute)])
        #expect(try await pool.lookup("ttl.example").status == .servedLive)
        pool.clock.advance(by: .seconds(44 * 60))
        #expect(try await pool.lookup("ttl.example").status == .servedFromCache)
        pool.clock.advance(by: .seconds(60))
        #expect(try await pool.lookup("ttl.example").status == .servedLive)
        #expect(pool.provider.totalRequests == 2)
        #expect(pool.client.statistics().cacheSize == 1)

        var configuration = VirusTotalClient<TestClock>.Configuration()
        configuration.memoryCacheEntries = 0
        configuration.perKeyLimits = [.perMinute(20)]
        let uncached = try VirusTotalClient(
            keys: [APIKey(pool.secrets[0], label: "a")],
            configuration: configuration,
            transport: pool.provider,
            clock: pool.clock
        )
        _ = try await pool.clock.drive { await uncached.lookup("off.example") }
        #expect(try await pool.clock.drive { await uncached.lookup("off.example") }.status == .servedLive)
        #expect(uncached.statistics().cacheSize == 0)
    }

    @Test func aZeroTTLKeepsAnswersForever() async throws {
        let clock = TestClock()
        let provider = SimulatedProvider(
            clock: clock,
            flavour: .virusTotal,
            keys: ["vt-secret-forever-0123456789": Self.twentyPerMinute]
        )
        var configuration = VirusTotalClient<TestClock>.Configuration()
        configuration.reportTTL = .zero
        let client = try VirusTotalClient(
            keys: [APIKey("vt-secret-forever-0123456789", label: "a")],
            configuration: configuration,
            transport: provider,
            clock: clock
        )
        _ = try await clock.drive { await client.lookup("forever.example") }
        clock.advance(by: .seconds(400 * 86_400))
        #expect(try await clock.drive { await client.lookup("forever.example") }.status == .servedFromCache)
        #expect(provider.totalRequests == 1)
    }

    @Test func aKeyEchoedByTheServerNeverReachesErrorsTheStoreOrReports() async throws {
        let directory = try TemporaryDirectory()
        let storage = try KeyRotationStorage(path: directory.path())
        let secret = "vt-secret-echoed-0123456789abcdef"
        let clock = TestClock()
        var configuration = VirusTotalClient<TestClock>.Configuration()
        configuration.storage = storage
        let client = try VirusTotalClient(
            keys: [APIKey(secret, label: "echo")],
            configuration: configuration,
            transport: EchoingTransport(),
            clock: clock
        )
        let refused = try await clock.drive { await client.lookup("bad.example") }
        #expect(refused.error?.code == .upstream)
        let missing = try await clock.drive { await client.lookup("missing.example") }
        #expect(missing.status == .notFound)
        let served = try await clock.drive { await client.lookup("good.example") }
        #expect(served.status == .servedLive)
        let stored = try storage.reports.list(limit: 10).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(stored.count == 2)
        let everything = "\(refused) \(missing) \(served) \(stored)" + String(decoding: served.rawJSON!, as: UTF8.self)
        #expect(!everything.contains(secret))
        #expect(everything.contains("<redacted>"))
    }

    @Test func quotaExceededWithRetryAfterParksTheKeyUntilThen() {
        let now = Timestamp(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
        let response = HTTPResponse(
            status: 429,
            headers: ["Retry-After": "120"],
            body: Data(#"{"error":{"code":"QuotaExceededError","message":"Quota exceeded"}}"#.utf8)
        )
        let classification = VirusTotalClassifier.classify(response, now: now)
        #expect(classification.kind == .quotaExhausted(resetAt: now.advanced(by: .seconds(120))))
        #expect(VirusTotalClassifier.classify(response).kind == .quotaExhausted(resetAt: nil))
    }

    @Test(
        "report TTL text",
        arguments: [
            ("45m", 2_700), ("2h", 7_200), ("90", 90), ("90s", 90), ("1h30m", 5_400), ("7d", 604_800),
            ("0", 0), (" 10MIN ", 600), ("3650d", 315_360_000),
        ] as [(String, Int64)]
    )
    func parsesReportTTL(text: String, seconds: Int64) {
        #expect(VirusTotalClient<TestClock>.Configuration.parseTTL(text) == .seconds(seconds))
    }

    @Test func refusesBadReportTTLText() throws {
        for text in ["", "m", "-5m", "4.5h", "45 m", "1w", "3651d", "99999999999999999999s", "45m!"] {
            #expect(VirusTotalClient<TestClock>.Configuration.parseTTL(text) == nil, "\(text)")
        }
        typealias Configuration = VirusTotalClient<TestClock>.Configuration
        #expect(try Configuration.reportTTL(environment: [:]) == nil)
        #expect(try Configuration.reportTTL(environment: ["VT_REPORT_TTL": "2h"]) == .seconds(7_200))
        let error = try #require(throws: VirusTotalError.self) {
            try Configuration.reportTTL(environment: ["VT_REPORT_TTL": "soon-ish"])
        }
        #expect(error.code == .invalidConfiguration)
        #expect(!error.message.contains("soon-ish"))
    }
}

/// A hostile server that echoes the `x-apikey` it got: in a 400 message, a 404 message and a 200 report.
struct EchoingTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = request.headers["x-apikey"] ?? ""
        let path = request.url.path
        if path.hasSuffix("/bad.example") {
            let body = #"{"error":{"code":"BadRequestError","message":"key \#(key) may not ask this"}}"#
            return HTTPResponse(status: 400, body: Data(body.utf8))
        }
        if path.hasSuffix("/missing.example") {
            let body = #"{"error":{"code":"NotFoundError","message":"Domain missing.example not found for \#(key)"}}"#
            return HTTPResponse(status: 404, body: Data(body.utf8))
        }
        var report = try JSONSerialization.jsonObject(with: try Fixture.data("vt_domain")) as! [String: Any]
        var data = report["data"] as! [String: Any]
        var attributes = data["attributes"] as! [String: Any]
        attributes["whois"] = "registrant api key: \(key)"
        data["attributes"] = attributes
        report["data"] = data
        return HTTPResponse(status: 200, body: try JSONSerialization.data(withJSONObject: report))
    }
}
