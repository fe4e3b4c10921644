import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// `CurlTransport` against `URLSessionTransport` over loopback: requests per second and µs per request against
/// one local keep-alive server with 1 and 16 concurrent callers, and the peak resident memory a gzip body
/// inflating to 64 MiB costs under the default 1 MiB cap (the growth of `VmHWM` over `VmRSS`, reset before).
struct TransportScenario: BenchScenario {
    let name = "transport"
    let title = "9. HTTP transports over loopback (keep-alive server; gzip bomb under a 1 MiB cap)"
    let columns = [
        Column("requests/s", "requests_per_second"),
        Column("µs/request", "us_per_request", decimals: 1),
        Column("bomb peak MB", "bomb_peak_mb", decimals: 1),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        #if os(Linux)  // CurlTransport exists on Linux only
            guard let server = KeepAliveServer() else { return [] }
            defer { server.stop() }
            let requests = options.quick ? 200 : 5_000
            let transports: [(String, @Sendable () -> any HTTPTransport)] = [
                ("CurlTransport", { CurlTransport() }),
                ("URLSessionTransport", { URLSessionTransport() }),
            ]
            var rows: [ResultRow] = []
            for (name, make) in transports {
                let bomb = await Self.bombPeakMegabytes(make())
                for callers in [1, 16] {
                    let transport = make()
                    _ = try? await transport.send(HTTPRequest(url: server.url))  // warm the connection
                    let elapsed = await ContinuousClock().measure {
                        await Self.load(transport, url: server.url, callers: callers, requests: requests)
                    }
                    let seconds = Double(elapsed.nanoseconds) / 1e9
                    rows.append(
                        ResultRow(
                            scenario: self.name,
                            variant: "\(name), \(callers) caller\(callers == 1 ? "" : "s")",
                            pool: "\(requests) requests",
                            driver: "real time",
                            figures: [
                                ("requests_per_second", Double(requests) / seconds),
                                ("us_per_request", seconds * 1e6 / Double(requests)),
                                ("bomb_peak_mb", bomb),
                            ]
                        )
                    )
                    (transport as? URLSessionTransport)?.shutdown()
                }
            }
            return rows
        #else
            return []
        #endif
    }

    /// `requests` sends split over `callers` concurrent tasks.
    private static func load(_ transport: any HTTPTransport, url: URL, callers: Int, requests: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                let share = requests / callers + (caller < requests % callers ? 1 : 0)
                group.addTask {
                    for _ in 0..<share { _ = try? await transport.send(HTTPRequest(url: url)) }
                }
            }
        }
    }

    /// Peak resident growth in MB while `transport` fetches a gzip body that inflates to 64 MiB (1 MiB cap).
    private static func bombPeakMegabytes(_ transport: any HTTPTransport) async -> Double {
        guard let bomb = Self.gzippedZeros(megabytes: 64) else { return .nan }
        let server = LoopbackServer { _ in .response(status: 200, headers: ["Content-Encoding": "gzip"], body: bomb) }
        guard (try? server.start()) != nil else { return .nan }
        defer { server.stop() }
        let before = Self.kilobytes("VmRSS")
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)  // resets VmHWM
        _ = try? await transport.send(HTTPRequest(url: server.url("/bomb")))
        (transport as? URLSessionTransport)?.shutdown()
        return Double(max(0, Self.kilobytes("VmHWM") - before)) / 1_024
    }

    private static func gzippedZeros(megabytes: Int) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "head -c \(megabytes * 1_048_576) /dev/zero | gzip -c"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    private static func kilobytes(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
