import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Synchronization
import Testing

/// `keyrotation vt enrich` (the binary) against a loopback VirusTotal with three keys: one revoked (401
/// `WrongCredentialsError`), one answering 503 on every second request, one good. The revoked key gets exactly one
/// request at concurrency 8, and no lookup is lost.
@Suite(.serialized) struct RevokedAndFlappingKeyCommandTests {
    static let good = "vtGoodKeyValue0123456789abcdef01"
    static let revoked = "vtRevokedKeyValue0123456789abcd"
    static let flapping = "vtFlappingKeyValue0123456789abc"

    @Test func aRevokedKeyGetsOneRequestAndAFlappingKeyLosesNoLookup() throws {
        let domain = try Fixture.data("vt_domain")
        let wrongCredentials = try Fixture.data("vt_error_wrongcreds")
        let transient = try Fixture.data("vt_error_transient")
        let flaps = Atomic(0)
        let server = LoopbackServer { request in
            Thread.sleep(forTimeInterval: 0.01)  // a little latency, so concurrent lookups overlap
            let json: HTTPHeaders = ["Content-Type": "application/json"]
            switch request.headers["x-apikey"] {
            case Self.revoked: return .response(status: 401, headers: json, body: wrongCredentials)
            case Self.flapping where flaps.add(1, ordering: .relaxed).newValue % 2 == 0:
                return .response(status: 503, headers: json, body: transient)
            default: return .response(status: 200, headers: json, body: domain)
            }
        }
        try server.start()
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-revoked-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("iocs.txt").path
        try (0..<30).map { "ioc\($0).example" }.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let run = try ExecutableTests.run(
            ["vt", "enrich", file, "--concurrency", "8", "--format", "json", "--key-rate", "10000/min"],
            environment: [
                "VT_API_KEYS": [Self.good, Self.revoked, Self.flapping].joined(separator: ","),
                "VIRUSTOTAL_BASE_URL": "http://127.0.0.1:\(server.port)/api/v3",
                "KEYROTATION_STORE": directory.appendingPathComponent("state.sqlite").path,
                "HOME": directory.path,
            ]
        )
        #expect(run.status == 0, "\(run.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 30)
        let requests = server.requests
        #expect(requests.filter { $0.headers["x-apikey"] == Self.revoked }.count == 1)
        #expect(requests.contains { $0.headers["x-apikey"] == Self.flapping })
        for secret in [Self.good, Self.revoked, Self.flapping] {
            #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
        }
    }
}
