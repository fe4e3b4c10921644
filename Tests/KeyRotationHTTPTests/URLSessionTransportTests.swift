import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

/// A secret placed in URL paths: no error message may contain it.
private let secret = "SECRETKEY0123456789abcdef"

@Suite("URLSessionTransport against a loopback server")
struct URLSessionTransportTests {
    private func withServer<T>(
        _ handler: @escaping LoopbackServer.Handler,
        _ body: (LoopbackServer) async throws -> T
    ) async throws -> T {
        let server = LoopbackServer(handler: handler)
        try server.start()
        defer { server.stop() }
        return try await body(server)
    }

    /// Sends and returns the transport error (the test fails when the request succeeds or throws another error).
    private func failure(
        _ transport: URLSessionTransport,
        _ request: HTTPRequest,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TransportError {
        do {
            let response = try await transport.send(request)
            Issue.record("expected a TransportError, got status \(response.status)", sourceLocation: sourceLocation)
            throw CancellationError()
        } catch let error as TransportError {
            #expect(!error.message.contains(secret), "message leaks the path: \(error.message)")
            #expect(!error.description.contains(secret), sourceLocation: sourceLocation)
            #expect(!"\(error)".contains(secret), sourceLocation: sourceLocation)
            return error
        }
    }

    @Test func roundTripCarriesHeadersAndBody() async throws {
        try await self.withServer({ request in
            .text("pong:" + String(decoding: request.body, as: UTF8.self), headers: ["X-Answer": "42"])
        }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let response = try await transport.send(
                HTTPRequest(
                    method: .post,
                    url: server.url("/v1/echo?x=1"),
                    headers: ["X-Question": "life", "Content-Type": "text/plain"],
                    body: Data("ping".utf8)
                )
            )
            #expect(response.status == 200)
            #expect(response.headers["x-answer"] == "42")
            #expect(String(decoding: response.body, as: UTF8.self) == "pong:ping")
            let received = try #require(server.requests.first)
            #expect(received.method == "POST")
            #expect(received.path == "/v1/echo?x=1")
            #expect(received.headers["X-Question"] == "life")
            #expect(received.headers["User-Agent"]?.contains("KeyRotation/") == true)
            #expect(received.headers["User-Agent"]?.contains("gzip") == true)
        }
    }

    @Test func errorStatusIsAResponseNotAnError() async throws {
        try await self.withServer({ _ in .text("slow down", status: 429, headers: ["Retry-After": "7"]) }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let response = try await transport.send(HTTPRequest(url: server.url("/limited")))
            #expect(response.status == 429)
            #expect(response.headers["Retry-After"] == "7")
        }
    }

    @Test func gzipBodyIsDecompressedByFoundation() async throws {
        let compressed = try #require(
            Data(base64Encoded: "H4sIAAAAAAACA8tIzcnJ11FIzs8tKEotLk5NUSjPL8pJAQAInjQ1FwAAAA==")
        )
        try await self.withServer({ _ in
            .response(status: 200, headers: ["Content-Encoding": "gzip"], body: compressed)
        }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let response = try await transport.send(HTTPRequest(url: server.url("/gz")))
            #expect(String(decoding: response.body, as: UTF8.self) == "hello, compressed world")
        }
    }

    @Test func redirectIsRefusedAndItsTargetNeverContacted() async throws {
        let target = LoopbackServer { _ in .text("you should not be here") }
        try target.start()
        defer { target.stop() }
        let targetURL = target.url("/\(secret)/landing")
        try await self.withServer({ request in
            request.path.hasPrefix("/same") ? .text("nor here") : .redirect(location: targetURL.absoluteString)
        }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/keys/\(secret)/start")))
            #expect(error.code == .redirectRefused)
            #expect(!error.code.isTransient)
            #expect(error.message.contains("127.0.0.1"))
            #expect(!error.message.contains("landing"))
            #expect(target.requests.isEmpty)
            #expect(server.requests.count == 1)
        }
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func relativeRedirectIsRefused(status: Int) async throws {
        try await self.withServer({ request in
            request.path.hasPrefix("/same") ? .text("nor here") : .redirect(location: "/same/\(secret)", status: status)
        }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/start/\(secret)")))
            #expect(error.code == .redirectRefused)
            #expect(server.requests.map(\.path) == ["/start/\(secret)"])
        }
    }

    @Test func hugeBodyStopsAtTheCap() async throws {
        try await self.withServer({ _ in .hugeBody(bytes: 5_000_000) }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/big/\(secret)")))
            #expect(error.code == .responseTooLarge)
            #expect(error.message.contains("1048576"))
            #expect(!error.code.isTransient)
        }
    }

    @Test func declaredHugeBodyIsRefusedFromItsContentLength() async throws {
        try await self.withServer({ _ in .hugeBody(bytes: 5_000_000, declaresLength: true) }) { server in
            let transport = URLSessionTransport(policy: TransportPolicy(maximumResponseSize: 1000))
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/big/\(secret)")))
            #expect(error.code == .responseTooLarge)
            #expect(error.message.contains("1000"))
        }
    }

    @Test func bodyAtTheCapIsAccepted() async throws {
        try await self.withServer({ _ in .hugeBody(bytes: 4096) }) { server in
            let transport = URLSessionTransport(policy: TransportPolicy(maximumResponseSize: 4096))
            defer { transport.shutdown() }
            let response = try await transport.send(HTTPRequest(url: server.url("/exact")))
            #expect(response.body.count == 4096)
        }
    }

    /// The one test that needs real time: a body trickling for 3 s against a 1 s total timeout.
    @Test func tricklingBodyFailsAtTheTotalTimeout() async throws {
        try await self.withServer({ _ in .trickle(bytes: 30, interval: .milliseconds(100)) }) { server in
            let policy = TransportPolicy(connectTimeout: .seconds(1), totalTimeout: .seconds(1))
            let transport = URLSessionTransport(policy: policy)
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/slow/\(secret)")))
            #expect(error.code == .timeout)
            #expect(error.code.isTransient)
            #expect(error.message.contains("127.0.0.1"))
        }
    }

    /// Real time again, briefly: the server holds its answer; a 200 ms connect timeout gives up first.
    @Test func silentServerFailsAtTheConnectTimeout() async throws {
        let gate = DispatchSemaphore(value: 0)
        defer { gate.signal() }
        try await self.withServer({ _ in
            _ = gate.wait(timeout: .now() + 3)
            return .text("late")
        }) { server in
            let policy = TransportPolicy(connectTimeout: .milliseconds(200), totalTimeout: .seconds(10))
            let transport = URLSessionTransport(policy: policy)
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/think/\(secret)")))
            gate.signal()
            #expect(error.code == .connectTimeout)
            #expect(error.code.isTransient)
            #expect(error.message.contains("200 ms"))
        }
    }

    @Test func resetConnectionIsTransient() async throws {
        try await self.withServer({ _ in .reset }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/reset/\(secret)")))
            #expect(error.code.isTransient, "got \(error)")
        }
    }

    @Test func malformedReplyIsTransient() async throws {
        try await self.withServer({ _ in .malformed }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/garbage/\(secret)")))
            #expect(error.code.isTransient, "got \(error)")
        }
    }

    @Test func refusedConnectionIsAConnectionFailure() async throws {
        let server = LoopbackServer { _ in .text("unused") }
        try server.start()
        let url = server.url("/gone/\(secret)")
        server.stop()
        let transport = URLSessionTransport()
        defer { transport.shutdown() }
        let error = try await self.failure(transport, HTTPRequest(url: url))
        #expect(error.code == .connectionFailed, "got \(error)")
        #expect(error.code.isTransient)
    }

    @Test func cancellingTheCallerCancelsTheTransfer() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        try await self.withServer({ _ in
            arrived.yield()
            return .trickle(bytes: 50, interval: .milliseconds(100))
        }) { server in
            let transport = URLSessionTransport()
            defer { transport.shutdown() }
            let url = server.url("/wait/\(secret)")
            let call = Task { try await transport.send(HTTPRequest(url: url)) }
            var iterator = arrivals.makeAsyncIterator()
            await iterator.next()
            call.cancel()
            let result = await call.result
            let error = try #require(throws: TransportError.self) { try result.get() }
            #expect(error.code == .cancelled)
            #expect(!error.message.contains(secret))
        }
    }

    @Test func nonLoopbackPlainHTTPIsRefusedBeforeAnyConnection() async throws {
        let transport = URLSessionTransport(policy: TransportPolicy(allowedHosts: ["example.com"]))
        defer { transport.shutdown() }
        let error = try await self.failure(transport, HTTPRequest(url: URL(string: "http://example.com/\(secret)/x")!))
        #expect(error.code == .insecureScheme)
        #expect(error.message.contains("example.com"))
        #expect(error.message.contains("https"))
    }

    @Test func hostOutsideTheAllowListIsRefused() async throws {
        let transport = URLSessionTransport(policy: TransportPolicy(allowedHosts: ["www.virustotal.com"]))
        defer { transport.shutdown() }
        let url = URL(string: "https://evil.example/api/\(secret)?apikey=\(secret)")!
        let error = try await self.failure(transport, HTTPRequest(url: url))
        #expect(error.code == .hostNotAllowed)
        #expect(error.message.contains("evil.example"))
        #expect(error.message.contains("www.virustotal.com"))
    }

    @Test func sendAfterShutdownIsCancelled() async throws {
        let transport = URLSessionTransport()
        transport.shutdown()
        let error = try await self.failure(transport, HTTPRequest(url: URL(string: "http://127.0.0.1:9/\(secret)")!))
        #expect(error.code == .cancelled)
    }
}
