import Foundation
import KeyRotationHTTP
import Testing

@Suite("TransportPolicy")
struct TransportPolicyTests {
    private let secret = "SECRETKEY0123456789abcdef"

    private func refusal(_ policy: TransportPolicy, _ url: String) throws -> TransportError {
        let url = try #require(URL(string: url))
        let error = try #require(throws: TransportError.self) { try policy.validate(url) }
        #expect(!error.message.contains(self.secret), "message leaks the path: \(error.message)")
        return error
    }

    @Test func allowedDomainsAllowTheirHostsAndNoLookalike() throws {
        var policy = TransportPolicy(allowedHosts: ["api.mainnet.aptoslabs.com"])
        policy.allowedDomains = ["AptosLabs.com."]
        try policy.validate(URL(string: "https://archive.testnet.staging.aptoslabs.com/v1")!)
        try policy.validate(URL(string: "https://aptoslabs.com/v1")!)
        for refused in ["https://evilaptoslabs.com/v1", "https://aptoslabs.com.evil.example/v1"] {
            let error = #expect(throws: TransportError.self) { try policy.validate(URL(string: refused)!) }
            #expect(error?.code == .hostNotAllowed)
        }
    }

    @Test func defaultsMatchTheBrief() {
        let policy = TransportPolicy()
        #expect(policy.connectTimeout == .seconds(5))
        #expect(policy.totalTimeout == .seconds(30))
        #expect(policy.maximumResponseSize == 1_048_576)
        #expect(policy.allowedHosts.isEmpty)
        #expect(policy.allowsInsecureLoopback)
        #expect(policy.userAgent.hasPrefix("KeyRotation/\(TransportPolicy.sdkVersion)"))
        #expect(policy.userAgent.contains("gzip"))
    }

    @Test(arguments: [
        "127.0.0.1", "127.1.2.3", "127.255.255.255", "localhost", "LOCALHOST", "localhost.", "::1", "[::1]",
    ])
    func loopbackHosts(host: String) {
        #expect(TransportPolicy.isLoopback(host: host))
    }

    @Test(arguments: [
        "128.0.0.1", "10.0.0.1", "127.0.0", "127.0.0.256", "127.0.0.1.evil.com", "localhost.evil.com", "evil-localhost",
        "::2", "0.0.0.0", "", "127.00000.0.1",
    ])
    func nonLoopbackHosts(host: String) {
        #expect(!TransportPolicy.isLoopback(host: host))
    }

    @Test(arguments: [
        "http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9/x", "https://127.0.0.1/x",
        "https://www.virustotal.com/api/v3/files/abc", "https://WWW.VirusTotal.com./api",
    ])
    func accepted(url: String) throws {
        let policy = TransportPolicy(allowedHosts: ["www.virustotal.com"])
        try policy.validate(try #require(URL(string: url)))
    }

    @Test func allowListIsLowerCased() throws {
        var policy = TransportPolicy(allowedHosts: ["API.Example.COM"])
        #expect(policy.allowedHosts == ["api.example.com"])
        policy.allowedHosts = ["Other.Example"]
        #expect(policy.allowedHosts == ["other.example"])
        try policy.validate(try #require(URL(string: "https://other.example/x")))
    }

    @Test func plainHTTPToARemoteHostIsInsecure() throws {
        let policy = TransportPolicy(allowedHosts: ["example.com"])
        let error = try self.refusal(policy, "http://example.com/\(self.secret)/x?key=\(self.secret)")
        #expect(error.code == .insecureScheme)
        #expect(error.message.contains("example.com"))
        #expect(error.message.contains("use https"))
    }

    @Test func plainHTTPToLoopbackCanBeRefused() throws {
        let policy = TransportPolicy(allowsInsecureLoopback: false)
        let error = try self.refusal(policy, "http://127.0.0.1:8080/\(self.secret)")
        #expect(error.code == .insecureScheme)
        try policy.validate(try #require(URL(string: "https://127.0.0.1:8443/x")))
    }

    @Test func hostOutsideTheAllowListIsRefused() throws {
        let policy = TransportPolicy(allowedHosts: ["api.nodit.io", "aptos-mainnet.nodit.io"])
        let error = try self.refusal(policy, "https://evil.example/\(self.secret)")
        #expect(error.code == .hostNotAllowed)
        #expect(error.message.contains("evil.example"))
        #expect(error.message.contains("api.nodit.io, aptos-mainnet.nodit.io"))
    }

    @Test func emptyAllowListMeansLoopbackOnly() throws {
        let error = try self.refusal(TransportPolicy(), "https://www.virustotal.com/\(self.secret)")
        #expect(error.code == .hostNotAllowed)
        #expect(error.message.contains("loopback"))
    }

    @Test(arguments: [
        "ftp://127.0.0.1/SECRETKEY0123456789abcdef", "file:///etc/SECRETKEY0123456789abcdef",
        "/relative/SECRETKEY0123456789abcdef", "https://user:SECRETKEY0123456789abcdef@127.0.0.1/x",
    ])
    func unsendableURLsAreInvalid(url: String) throws {
        let error = try self.refusal(TransportPolicy(), url)
        #expect(error.code == .invalidURL)
    }
}
