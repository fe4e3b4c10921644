import Foundation
import KeyRotation
import KeyRotationTesting

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `keyrotation serve` against a loopback upstream: requests per second and the latency it adds over calling the
/// upstream directly, with 1 and 32 concurrent clients (URLSession, kept-alive connections to the gateway). The
/// gateway runs as the built `keyrotation` binary with its default SQLite key-state store, 4 keys without limits.
struct GatewayScenario: BenchScenario {
    let name = "gateway"
    let title = "9. keyrotation serve vs direct (loopback upstream, 4 keys, SQLite store)"
    let columns = [
        Column("direct req/s", "direct_per_s"),
        Column("gateway req/s", "gateway_per_s"),
        Column("direct ms", "direct_ms", decimals: 3),
        Column("gateway ms", "gateway_ms", decimals: 3),
        Column("added ms", "added_ms", decimals: 3),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let upstream = LoopbackServer { _ in .text("{\"ok\":true}") }
        guard (try? upstream.start()) != nil, let binary = BuiltProduct.named("keyrotation"),
            let gateway = try? Self.launch(binary.url, upstream: upstream)
        else {
            return [
                ResultRow(
                    scenario: self.name,
                    variant: "skipped",
                    pool: "-",
                    driver: "wall-clock",
                    figures: [],
                    notes: ["build keyrotation first"]
                )
            ]
        }
        defer {
            gateway.process.terminate()
            gateway.process.waitUntilExit()
            upstream.stop()
            try? FileManager.default.removeItem(at: gateway.directory)
        }
        let session = URLSession(configuration: .ephemeral)
        var rows: [ResultRow] = []
        for clients in [1, 32] {
            let total = (options.quick ? 100 : 1_000) * (clients == 1 ? 1 : 4)
            let direct = await Self.measure(session, upstream.url("/v1/bench"), clients: clients, total: total)
            let viaGateway = await Self.measure(
                session,
                URL(string: "http://127.0.0.1:\(gateway.port)/aptos/bench")!,
                clients: clients,
                total: total
            )
            rows.append(
                ResultRow(
                    scenario: self.name,
                    variant: "\(clients) client(s), \(total) requests",
                    pool: "round-robin, 4 keys",
                    driver: "wall-clock",
                    figures: [
                        ("direct_per_s", direct.perSecond),
                        ("gateway_per_s", viaGateway.perSecond),
                        ("direct_ms", direct.meanMilliseconds),
                        ("gateway_ms", viaGateway.meanMilliseconds),
                        ("added_ms", viaGateway.meanMilliseconds - direct.meanMilliseconds),
                        ("failed", Double(direct.failed + viaGateway.failed)),
                    ]
                )
            )
        }
        return rows
    }

    private struct Launched {
        var process: Process
        var port: Int
        var directory: URL
    }

    private static func launch(_ binary: URL, upstream: LoopbackServer) throws -> Launched? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-gateway-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stderr = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--provider", "aptos", "--listen", "127.0.0.1:0"]
        process.environment = [
            "HOME": directory.path,
            "KEYROTATION_STORE": directory.appendingPathComponent("state.sqlite").path,
            "APTOS_API_KEYS": (0..<4).map { "bench-gateway-secret-\($0)" }.joined(separator: ","),
            "APTOS_BASE_URL": upstream.url("/v1").absoluteString,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        for _ in 0..<200 {
            let text = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"on 127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return Launched(process: process, port: port, directory: directory)
            }
            usleep(25_000)
        }
        process.terminate()
        return nil
    }

    private struct Measurement {
        var perSecond: Double
        var meanMilliseconds: Double
        var failed: Int
    }

    /// `total` GETs of `url` from `clients` concurrent loops; a warm-up request per client first.
    private static func measure(_ session: URLSession, _ url: URL, clients: Int, total: Int) async -> Measurement {
        let perClient = max(1, total / clients)
        let clock = ContinuousClock()
        let started = clock.now
        let (latency, failed) = await withTaskGroup(of: (Duration, Int).self) { group in
            for _ in 0..<clients {
                group.addTask {
                    _ = try? await session.data(from: url)
                    var spent = Duration.zero
                    var failed = 0
                    for _ in 0..<perClient {
                        let start = clock.now
                        let response = try? await session.data(from: url).1 as? HTTPURLResponse
                        spent += start.duration(to: clock.now)
                        if response?.statusCode != 200 { failed += 1 }
                    }
                    return (spent, failed)
                }
            }
            return await group.reduce(into: (Duration.zero, 0)) {
                $0.0 += $1.0; $0.1 += $1.1
            }
        }
        let elapsed = started.duration(to: clock.now)
        let count = Double(perClient * clients)
        return Measurement(
            perSecond: count / elapsed.seconds,
            meanMilliseconds: latency.seconds * 1_000 / count,
            failed: failed
        )
    }
}
