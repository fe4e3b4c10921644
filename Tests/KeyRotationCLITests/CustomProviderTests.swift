import Foundation
import KeyRotation
import KeyRotationHTTP
import Testing

@testable import KeyRotationCLI

@Suite struct CustomProviderTests {
    static let file = """
        # a metered API
        name = MyAPI
        base_url = https://api.example.com/v1
        auth = query api_key   # the key in the query
        key_prefix = MYAPI
        limits = 10/s,1000/day
        quota_exhausted = 402
        transient = 500,503
        cacheable = /reports/
        cache_ttl = 60
        """

    @Test func readsEveryField() throws {
        let provider = try CustomProvider(parsing: Self.file)
        #expect(provider.name == "MyAPI")
        #expect(provider.baseURL.absoluteString == "https://api.example.com/v1")
        #expect(provider.authentication == .query("api_key"))
        #expect(provider.keyPrefix == "MYAPI")
        #expect(provider.limits.count == 2)
        #expect(provider.cacheablePrefixes == ["/reports/"])
        #expect(provider.cacheTTL == .seconds(60))
        let profile = provider.profile
        #expect(profile.classify(HTTPResponse(status: 402), .epoch).kind == .quotaExhausted(resetAt: nil))
        #expect(
            profile.classify(HTTPResponse(status: 429, headers: ["Retry-After": "7"]), .epoch).kind
                == .rateLimited(retryAfter: .seconds(7))
        )
        #expect(profile.classify(HTTPResponse(status: 401), .epoch).kind == .invalidKey)
        #expect(profile.classify(HTTPResponse(status: 200), .epoch).kind == .success)
    }

    @Test func queryAuthenticationAddsTheKeyToTheQuery() throws {
        let provider = try CustomProvider(parsing: Self.file)
        var request = provider.profile.request(.get, "/reports/1", query: [("x", "1")])
        let rotator = KeyRotator(keys: [APIKey("se+cret", label: "k")], clock: ContinuousClock())
        guard case .lease(let lease) = rotator.tryAcquire() else {
            Issue.record("no lease")
            return
        }
        provider.profile.authentication.apply(lease, to: &request)
        #expect(request.url.absoluteString == "https://api.example.com/v1/reports/1?x=1&api_key=se%2Bcret")
        lease.report(.success(latency: .zero))
    }

    @Test(
        "bad files name the line",
        arguments: [
            ("base_url = http://example.com", "line 1: base_url"),
            ("base_url = https://a.example\nauth = magic", "line 2: auth"),
            ("base_url = https://a.example\nlimits = lots", "line 2: limits"),
            ("base_url = https://a.example\ncolour = red", "line 2: unknown key 'colour'"),
            ("base_url = https://a.example\nrate_limited = 42x", "line 2: rate_limited"),
            ("just words", "line 1: expected 'key = value'"),
            ("name = x", "base_url is required"),
        ]
    )
    func badFilesAreRefused(text: String, message: String) {
        let error = #expect(throws: UsageError.self) { try CustomProvider(parsing: text) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }
}
