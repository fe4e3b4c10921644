import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The built `keyrotation serve` against a loopback upstream, driven by `/usr/bin/curl` and `URLSession`: keys never
/// in answers or logs, limits hold under 32 concurrent clients, tokens checked, bad requests refused, SIGTERM loses
/// nothing. Real processes and sockets; every wait is bounded.
@Suite(.serialized) struct GatewayExecutableTests {
    static let secrets = ["gatewaySecretOne0123", "gatewaySecretTwo4567"]
    static let token = "test-token-abc"

    /// A running gateway: its process, port and stderr file.
    final class Gateway {
        let process: Process
        let port: Int
        let stderrURL: URL
        let directory: URL

        init(
            upstream: LoopbackServer,
            provider: [String] = ["--provider", "vt"],
            extra: [String] = [],
            environment extraEnvironment: [String: String] = [:]
        ) throws {
            self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("kr-gateway-\(UUID())")
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            self.stderrURL = self.directory.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: self.stderrURL.path, contents: nil)
            let process = Process()
            process.executableURL = try ExecutableTests.binary()
            process.arguments = ["serve"] + provider + ["--listen", "127.0.0.1:0", "-v"] + extra
            process.environment = [
                "HOME": self.directory.path,
                "KEYROTATION_STORE": self.directory.appendingPathComponent("state.sqlite").path,
                "VT_API_KEYS": GatewayExecutableTests.secrets.joined(separator: ","),
                "VIRUSTOTAL_BASE_URL": upstream.url("/api/v3").absoluteString,
                "KEYROTATION_GATEWAY_TOKEN": GatewayExecutableTests.token,
            ].merging(extraEnvironment) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: self.stderrURL)
            try process.run()
            self.process = process
            var port: Int?
            for _ in 0..<800 where port == nil {
                let text = (try? String(contentsOf: self.stderrURL, encoding: .utf8)) ?? ""
                if let range = text.range(of: #"on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(text[range].split(separator: ":").last ?? "")
                } else {
                    usleep(25_000)
                }
            }
            self.port = try #require(port, "the gateway did not start")
        }

        var log: String { (try? String(contentsOf: self.stderrURL, encoding: .utf8)) ?? "" }

        func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(self.port)\(path)")! }

        /// SIGTERM, then the exit status (bounded wait).
        func terminate() -> Int32? {
            self.process.terminate()
            for _ in 0..<400 where self.process.isRunning { usleep(25_000) }
            return self.process.isRunning ? nil : self.process.terminationStatus
        }

        deinit {
            if self.process.isRunning { self.process.terminate() }
            try? FileManager.default.removeItem(at: self.directory)
        }
    }

    /// An upstream that echoes the path and the key header (so a leak would show), after `delay`.
    static func upstream(delay: useconds_t = 0) throws -> LoopbackServer {
        let server = LoopbackServer { request in
            if delay > 0 { usleep(delay) }
            return .text("{\"path\":\"\(request.path)\",\"echo\":\"\(request.headers["x-apikey"] ?? "")\"}")
        }
        try server.start()
        return server
    }

    /// Runs `/usr/bin/curl` with `arguments`; returns the output with headers (`-i`).
    static func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-i", "--max-time", "10"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private static var bearer: [String] { ["-H", "Authorization: Bearer \(Self.token)"] }

    @Test func curlIsServedWithoutSeeingAKeyAndBadRequestsAreRefused() throws {
        let upstream = try Self.upstream()
        defer { upstream.stop() }
        let gateway = try Gateway(upstream: upstream)
        let ok = try Self.curl(Self.bearer + [gateway.url("/vt/domains/example.com").absoluteString])
        #expect(ok.hasPrefix("HTTP/1.1 200"))
        #expect(ok.contains("/api/v3/domains/example.com"))
        #expect(ok.contains("<redacted>"))
        let cached = try Self.curl(Self.bearer + [gateway.url("/vt/domains/example.com").absoluteString])
        #expect(cached.contains("X-Cache: hit"))
        let bypass = try Self.curl(
            Self.bearer + ["-H", "Cache-Control: no-cache", gateway.url("/vt/domains/example.com").absoluteString]
        )
        #expect(!bypass.contains("X-Cache: hit"))
        #expect(upstream.requests.count == 2)
        #expect(upstream.requests.allSatisfy { Self.secrets.contains($0.headers["x-apikey"] ?? "") })

        let noToken = try Self.curl([gateway.url("/vt/domains/example.com").absoluteString])
        #expect(noToken.hasPrefix("HTTP/1.1 401"))
        let wrongToken = try Self.curl(["-H", "Authorization: Bearer nope", gateway.url("/vt/x").absoluteString])
        #expect(wrongToken.hasPrefix("HTTP/1.1 401"))
        let huge = try Self.curl(
            Self.bearer + [
                "-H", "X-Big: " + String(repeating: "a", count: 20_000), gateway.url("/vt/x").absoluteString,
            ]
        )
        #expect(huge.hasPrefix("HTTP/1.1 431"))
        let chunked = try Self.curl(
            Self.bearer + [
                "-H", "Transfer-Encoding: chunked", "--data-binary", "x", gateway.url("/vt/x").absoluteString,
            ]
        )
        #expect(chunked.hasPrefix("HTTP/1.1 411"))
        let escape = try Self.curl(Self.bearer + ["--path-as-is", "http://127.0.0.1:\(gateway.port)/vt/../../admin"])
        #expect(escape.hasPrefix("HTTP/1.1 400"))
        let health = try Self.curl([gateway.url("/healthz").absoluteString])
        #expect(health.hasPrefix("HTTP/1.1 200"))
        let metrics = try Self.curl(Self.bearer + [gateway.url("/metrics").absoluteString])
        #expect(metrics.contains("keyrotation_key_uses_total{provider=\"vt\",key_id=\"vt-1\"}"))
        #expect(upstream.requests.count == 2)  // refused requests never went upstream

        #expect(gateway.terminate() != nil)
        for secret in Self.secrets {
            #expect(!(ok + cached + bypass + metrics + huge).contains(secret))
            #expect(!gateway.log.contains(secret))
        }
        #expect(gateway.log.contains("vt-1") || gateway.log.contains("vt-2"))  // -v logs key ids
    }

    @Test func limitsHoldWith32ConcurrentClients() async throws {
        let upstream = try Self.upstream()
        defer { upstream.stop() }
        let gateway = try Gateway(upstream: upstream, extra: ["--key-rate", "5/min"])
        let url = gateway.url("/vt/files/")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<32 {
                group.addTask {
                    var request = URLRequest(url: url.appendingPathComponent("hash\(index)"))
                    request.setValue("Bearer \(Self.token)", forHTTPHeaderField: "Authorization")
                    let (_, response) = try await URLSession.shared.data(for: request)
                    return (response as? HTTPURLResponse)?.statusCode ?? 0
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 10)  // 2 keys × 5 a minute
        #expect(statuses.filter { $0 == 429 }.count == 22)
        #expect(upstream.requests.count == 10)
        #expect(gateway.terminate() != nil)
    }

    @Test func everyKeyLimitedIs429WithRetryAfterUnlessTheCallerWaits() throws {
        let upstream = try Self.upstream()
        defer { upstream.stop() }
        let gateway = try Gateway(upstream: upstream, extra: ["--key-rate", "1/2s"])
        let url = gateway.url("/vt/urls/").absoluteString
        #expect(try Self.curl(Self.bearer + [url + "a"]).hasPrefix("HTTP/1.1 200"))
        #expect(try Self.curl(Self.bearer + [url + "b"]).hasPrefix("HTTP/1.1 200"))
        let limited = try Self.curl(Self.bearer + [url + "c"])
        #expect(limited.hasPrefix("HTTP/1.1 429"))
        #expect(limited.contains("Retry-After: 1") || limited.contains("Retry-After: 2"))
        let waited = try Self.curl(Self.bearer + ["-H", "Prefer: wait=10", url + "d"])  // a key frees within 2 s
        #expect(waited.hasPrefix("HTTP/1.1 200"))
        #expect(upstream.requests.count == 3)
        #expect(gateway.terminate() != nil)
    }

    @Test func anUpstreamFailureIsRetriedWithoutTheCallerAsking() throws {
        let answered = Mutex(0)
        let upstream = LoopbackServer { _ in
            let count = answered.withLock { count in
                count += 1
                return count
            }
            return count == 1 ? .text("busy", status: 503) : .text("{\"ok\":true}")
        }
        try upstream.start()
        defer { upstream.stop() }
        let gateway = try Gateway(upstream: upstream)
        let answer = try Self.curl(Self.bearer + [gateway.url("/vt/domains/retry.example").absoluteString])
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("X-KeyRotation-Attempts: 2"))
        #expect(gateway.terminate() != nil)
    }

    @Test func sigtermFinishesTheRequestsInFlight() async throws {
        let upstream = try Self.upstream(delay: 400_000)
        defer { upstream.stop() }
        let gateway = try Gateway(upstream: upstream)
        let url = gateway.url("/vt/domains/")
        let answers = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        var request = URLRequest(url: url.appendingPathComponent("slow\(index).com"))
                        request.setValue("Bearer \(Self.token)", forHTTPHeaderField: "Authorization")
                        let (_, response) = try await URLSession.shared.data(for: request)
                        return (response as? HTTPURLResponse)?.statusCode ?? 0
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        for _ in 0..<1_000 where upstream.requests.count < 4 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(upstream.requests.count == 4)
        let status = await Task.detached { gateway.terminate() }.value
        #expect(status != nil)
        #expect(try await answers.value == [200, 200, 200, 200])
        // The four uses are in the shared store: the next process sees them (4/min and 500/day on 2 keys).
        let report = try ExecutableTests.run(
            ["keys", "status", "--provider", "vt", "--json"],
            environment: [
                "VT_API_KEYS": Self.secrets.joined(separator: ","), "HOME": gateway.directory.path,
                "KEYROTATION_STORE": gateway.directory.appendingPathComponent("state.sqlite").path,
            ]
        )
        let document = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let keys = try #require(document?["keys"] as? [[String: Any]])
        var remaining = 0
        for key in keys {
            for limit in (key["limits"] as? [[String: Any]]) ?? [] { remaining += (limit["remaining"] as? Int) ?? 0 }
        }
        #expect(remaining == (4 + 500) * 2 - 4 * 2)
    }

    @Test func aCustomProviderWithTheKeyInTheQueryNeverShowsIt() throws {
        let upstream = try Self.upstream()
        defer { upstream.stop() }
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("kr-custom-\(UUID()).conf")
        try """
        name = Echo
        base_url = \(upstream.url("/v2").absoluteString)
        auth = query token
        key_prefix = ECHO
        limits = 100/min
        """.write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: config) }
        let gateway = try Gateway(
            upstream: upstream,
            provider: ["--provider", "custom", "--config", config.path],
            environment: ["ECHO_API_KEYS": Self.secrets.joined(separator: ",")]
        )
        let answer = try Self.curl(Self.bearer + [gateway.url("/custom/items?id=7").absoluteString])
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("/v2/items?id=7&token=<redacted>"))
        let sent = try #require(upstream.requests.first)
        #expect(Self.secrets.contains { sent.path.hasSuffix("token=\($0)") })
        #expect(gateway.terminate() != nil)
        for secret in Self.secrets { #expect(!answer.contains(secret) && !gateway.log.contains(secret)) }
    }

    @Test func refusesToListenOffLoopbackWithoutAToken() throws {
        let result = try ExecutableTests.run(
            ["serve", "--provider", "vt", "--listen", "0.0.0.0:0"],
            environment: ["VT_API_KEYS": Self.secrets[0], "HOME": NSTemporaryDirectory()]
        )
        #expect(result.status == 2)
        #expect(result.stderr.contains("KEYROTATION_GATEWAY_TOKEN"))
        #expect(!result.stderr.contains(Self.secrets[0]))
    }
}
