import Foundation
import KeyRotationServer
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The server on a loopback port, driven by raw sockets: keep-alive, pipelining, refusals that leave other
/// clients alone, slow clients cut off, graceful shutdown. Real time, bounded by short limits.
@Suite struct HTTPServerTests {
    private static func server(_ limits: ServerLimits = ServerLimits()) throws -> HTTPServer {
        try HTTPServer(address: .tcp(host: "127.0.0.1", port: 0), limits: limits) { request in
            if request.path == "/slow" { try? await Task.sleep(for: .milliseconds(300)) }
            return ServerResponse.text(200, "\(request.method) \(request.target) \(request.body.count)")
        }
    }

    /// A raw client: connect, send bytes, read until the server closes or `count` responses came (or 30 s).
    private static func exchange(_ port: Int, _ text: String, responses count: Int = 1) -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return "connect failed" }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)  // generous: the whole suite shares 2 cores
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        for _ in 0..<200 {
            let text = String(decoding: received, as: UTF8.self)
            if text.components(separatedBy: "HTTP/1.1 ").count - 1 >= count, text.hasSuffix("\n") { break }
            let got = recv(descriptor, &chunk, chunk.count, 0)
            guard got > 0 else { break }
            received += chunk[0..<got]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Runs a blocking client on its own thread: blocking a thread of the cooperative pool (2 on this machine)
    /// would starve the server's handler tasks.
    private static func onThread(_ body: @escaping @Sendable () -> String) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    @Test func keepAliveAndPipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try Self.server()
        defer { server.shutdown(timeout: .seconds(5)) }
        let pipelined =
            "GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let port = server.port
        let answer = await Self.onThread { Self.exchange(port, pipelined, responses: 3) }
        let one = try #require(answer.range(of: "GET /one 0"))
        let two = try #require(answer.range(of: "POST /two 3"))
        let three = try #require(answer.range(of: "GET /three 0"))
        #expect(one.lowerBound < two.lowerBound && two.lowerBound < three.lowerBound)
        #expect(answer.contains("Connection: keep-alive"))
        #expect(answer.hasSuffix("GET /three 0\n"))
    }

    @Test func aMalformedClientGetsA4xxAndOthersAreServed() async throws {
        let server = try Self.server()
        defer { server.shutdown(timeout: .seconds(5)) }
        let port = server.port
        async let bad = Self.onThread { Self.exchange(port, "GET / HTTP/1.1\r\nHost : x\r\n\r\n") }
        async let huge = Self.onThread {
            Self.exchange(port, "GET /" + String(repeating: "a", count: 10_000) + " HTTP/1.1\r\n")
        }
        async let good = Self.onThread { Self.exchange(port, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n") }
        #expect(await bad.hasPrefix("HTTP/1.1 400 "))
        #expect(await huge.hasPrefix("HTTP/1.1 414 "))
        #expect(await good.hasPrefix("HTTP/1.1 200 "))
        #expect(await bad.contains("Connection: close"))
    }

    @Test func aSlowClientIsCutOffAfterTheHeadTimeout() async throws {
        var limits = ServerLimits()
        limits.headTimeout = .milliseconds(300)
        let server = try Self.server(limits)
        defer { server.shutdown(timeout: .seconds(5)) }
        let port = server.port
        let answer = await Self.onThread { Self.exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n") }  // no end
        #expect(answer.hasPrefix("HTTP/1.1 408 "))
    }

    @Test func shutdownFinishesTheRequestInFlight() async throws {
        let server = try Self.server()
        let port = server.port
        async let slow = Self.onThread { Self.exchange(port, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n") }
        for _ in 0..<2_000 where server.inFlightCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.inFlightCount == 1)
        let ended = await Self.onThread { server.shutdown(timeout: .seconds(5)) ? "ended" : "" } == "ended"
        #expect(ended)
        let answer = await slow
        #expect(answer.hasPrefix("HTTP/1.1 200 "))
        #expect(answer.contains("Connection: close"))
        #expect(await Self.onThread { Self.exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n") } == "connect failed")
    }

    @Test func listensOnAUnixSocket() throws {
        let path = "/tmp/kr-server-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try HTTPServer(address: ListenAddress(parsing: path)) { _ in ServerResponse.text(200, "unix") }
        defer { server.shutdown(timeout: .seconds(5)) }
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try ListenAddress(parsing: path).isLocalOnly)
        #expect(try !ListenAddress(parsing: "0.0.0.0:80").isLocalOnly)
        #expect(throws: ListenAddressError.self) { try ListenAddress(parsing: "localhost") }
    }
}
