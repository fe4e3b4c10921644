#if os(Linux)
    import Foundation
    import Glibc
    import Synchronization
    import KeyRotationHTTP
    import KeyRotationTesting
    import Testing

    /// A secret placed in URL paths: no error message may contain it.
    private let secret = "SECRETKEY0123456789abcdef"

    @Suite("CurlTransport against loopback servers")
    struct CurlTransportTests {
        private func withServer<T>(
            _ handler: @escaping LoopbackServer.Handler,
            _ body: (LoopbackServer) async throws -> T
        ) async throws -> T {
            let server = LoopbackServer(handler: handler)
            try server.start()
            defer { server.stop() }
            return try await body(server)
        }

        /// Sends and returns the transport error (the test fails when the request succeeds).
        private func failure(
            _ transport: CurlTransport,
            _ request: HTTPRequest,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> TransportError {
            do {
                let response = try await transport.send(request)
                Issue.record(
                    "expected a TransportError, got status \(response.status)",
                    sourceLocation: sourceLocation
                )
                throw CancellationError()
            } catch let error as TransportError {
                #expect(!"\(error)".contains(secret), "leaks the path: \(error)", sourceLocation: sourceLocation)
                return error
            }
        }

        @Test func roundTripCarriesHeadersAndBody() async throws {
            try await self.withServer({ request in
                .text("pong:" + String(decoding: request.body, as: UTF8.self), headers: ["X-Answer": "42"])
            }) { server in
                let response = try await CurlTransport().send(
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
            }
        }

        @Test func redirectIsRefusedAndTheTargetNeverContacted() async throws {
            try await self.withServer({ _ in .text("target") }) { target in
                try await self.withServer({ _ in .redirect(location: target.url("/stolen").absoluteString) }) {
                    server in
                    let error = try await self.failure(CurlTransport(), HTTPRequest(url: server.url("/\(secret)")))
                    #expect(error.code == .redirectRefused)
                    #expect(target.requests.isEmpty)
                }
            }
        }

        @Test func headResponseDeclaringALargeBodyIsNotRefused() async throws {
            try await self.withServer({ _ in .hugeBody(bytes: 8_000_000, declaresLength: true) }) { server in
                let policy = TransportPolicy(maximumResponseSize: 100_000)
                let request = HTTPRequest(method: .head, url: server.url())
                let response = try await CurlTransport(policy: policy).send(request)
                #expect(response.status == 200)
                #expect(response.body.isEmpty)
            }
        }

        @Test func hostOutsideTheAllowListIsRefusedBeforeAnyHandle() async throws {
            let error = try await self.failure(CurlTransport(), HTTPRequest(url: URL(string: "https://example.com/")!))
            #expect(error.code == .hostNotAllowed)
            #expect(!error.requestMayHaveBeenSent)
        }

        @Test(arguments: [false, true])
        func plainBodyOverTheCapStops(declaresLength: Bool) async throws {
            try await self.withServer({ _ in .hugeBody(bytes: 8_000_000, declaresLength: declaresLength) }) { server in
                let policy = TransportPolicy(maximumResponseSize: 100_000)
                let error = try await self.failure(CurlTransport(policy: policy), HTTPRequest(url: server.url()))
                #expect(error.code == .responseTooLarge)
            }
        }

        @Test func gzipBombStopsAtTheCapWithoutInflating() async throws {
            let bomb = try Self.gzippedZeros(megabytes: 64)
            #expect(bomb.count < 1_000_000)
            try await self.withServer({ _ in
                .response(status: 200, headers: ["Content-Encoding": "gzip"], body: bomb)
            }) { server in
                // VmHWM is the whole process's: other suites allocate meanwhile. The smallest growth of 3 tries;
                // a transport that inflated the body would grow by 64 MiB every time.
                var smallest = Int.max
                for _ in 0..<3 where smallest >= 33 * 1_024 {
                    let before = Self.residentKilobytes("VmRSS")
                    Self.resetPeakResidentSize()
                    let policy = TransportPolicy(maximumResponseSize: 1_048_576)
                    let error = try await self.failure(CurlTransport(policy: policy), HTTPRequest(url: server.url()))
                    #expect(error.code == .responseTooLarge)
                    smallest = min(smallest, Self.residentKilobytes("VmHWM") - before)
                }
                #expect(smallest < 1_024 + 32 * 1_024, "peak grew by \(smallest) kB")
            }
        }

        @Test func gzipBodyIsDecodedWhenThePolicyAsks() async throws {
            let compressed = try #require(
                Data(base64Encoded: "H4sIAAAAAAACA8tIzcnJ11FIzs8tKEotLk5NUSjPL8pJAQAInjQ1FwAAAA==")
            )
            try await self.withServer({ request in
                request.headers["Accept-Encoding"] == nil
                    ? .text("plain") : .response(status: 200, headers: ["Content-Encoding": "gzip"], body: compressed)
            }) { server in
                let decoded = try await CurlTransport().send(HTTPRequest(url: server.url()))
                #expect(String(decoding: decoded.body, as: UTF8.self) == "hello, compressed world")
                var policy = TransportPolicy()
                policy.decodesCompressedResponses = false
                let plain = try await CurlTransport(policy: policy).send(HTTPRequest(url: server.url()))
                #expect(String(decoding: plain.body, as: UTF8.self) == "plain")
            }
        }

        @Test func connectTimeoutFiresOnAListenerThatNeverAccepts() async throws {
            let listener = try ScriptedServer(backlog: 0, script: nil)
            defer { listener.stop() }
            var fillers: [Int32] = []
            defer { for filler in fillers { close(filler) } }
            for _ in 0..<4 { fillers.append(Self.connectNonBlocking(port: listener.port)) }
            let policy = TransportPolicy(connectTimeout: .seconds(2))
            // The fastest of 3 tries: a cooperative pool kept busy by other suites may resume the caller late.
            var fastest = Duration.seconds(60)
            for _ in 0..<3 {
                let clock = ContinuousClock()
                let start = clock.now
                let error = try await self.failure(CurlTransport(policy: policy), HTTPRequest(url: listener.url()))
                let elapsed = clock.now - start
                #expect(error.code == .connectTimeout)
                #expect(!error.requestMayHaveBeenSent)
                #expect(elapsed >= .milliseconds(1_600), "fired early: \(elapsed)")
                fastest = min(fastest, elapsed)
                if fastest <= .milliseconds(2_400) { break }
            }
            #expect(fastest <= .milliseconds(2_400), "took \(fastest)")
        }

        @Test func headTimeoutFiresWhenNoHeadComes() async throws {
            let server = try ScriptedServer { connection, server in
                guard server.readHead(connection) else { return }
                var byte: UInt8 = 0
                _ = recv(connection, &byte, 1, 0)  // no answer: wait until the client goes (5 s at most)
            }
            defer { server.stop() }
            var policy = TransportPolicy()
            policy.responseHeadTimeout = .milliseconds(300)
            let clock = ContinuousClock()
            let start = clock.now
            let error = try await self.failure(CurlTransport(policy: policy), HTTPRequest(url: server.url()))
            #expect(error.code == .timeout)
            #expect(error.requestMayHaveBeenSent)
            #expect(clock.now - start >= .milliseconds(300))
            #expect(clock.now - start < .milliseconds(4_000), "the server would answer nothing for 5 s")
        }

        @Test func totalTimeoutStopsATrickle() async throws {
            try await self.withServer({ _ in .trickle(bytes: 100, interval: .milliseconds(50)) }) { server in
                let policy = TransportPolicy(totalTimeout: .milliseconds(500))
                let error = try await self.failure(CurlTransport(policy: policy), HTTPRequest(url: server.url()))
                #expect(error.code == .timeout)
            }
        }

        @Test func resetAndGarbageAreTransportErrors() async throws {
            try await self.withServer({ _ in .reset }) { server in
                let error = try await self.failure(CurlTransport(), HTTPRequest(url: server.url()))
                #expect(error.code.isTransient)
                #expect(error.requestMayHaveBeenSent)
            }
            try await self.withServer({ _ in .malformed }) { server in
                let error = try await self.failure(CurlTransport(), HTTPRequest(url: server.url()))
                #expect(error.code.isTransient)
            }
        }

        @Test func resetMidBodyAndMalformedChunkingFail() async throws {
            let midBody = try ScriptedServer { connection, server in
                guard server.readHead(connection) else { return }
                ScriptedServer.send(connection, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            }
            defer { midBody.stop() }
            let error = try await self.failure(CurlTransport(), HTTPRequest(url: midBody.url()))
            #expect(error.code == .connectionReset)
            let chunked = try ScriptedServer { connection, server in
                guard server.readHead(connection) else { return }
                ScriptedServer.send(
                    connection,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
                )
            }
            defer { chunked.stop() }
            let malformed = try await self.failure(CurlTransport(), HTTPRequest(url: chunked.url()))
            #expect(malformed.code.isTransient)
        }

        @Test func droppedKeepAliveIsNotResent() async throws {
            let server = try ScriptedServer { connection, server in
                guard server.readHead(connection) else { return }
                ScriptedServer.send(connection, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                _ = server.readHead(connection)  // the second request: read, then the connection drops unanswered
            }
            defer { server.stop() }
            let transport = CurlTransport()
            let first = try await transport.send(HTTPRequest(url: server.url("/first")))
            #expect(first.status == 200)
            let error = try await self.failure(transport, HTTPRequest(url: server.url("/second")))
            #expect(error.code == .connectionReset)
            #expect(error.requestMayHaveBeenSent)
            #expect(server.requestHeads == 2, "the second request was sent \(server.requestHeads - 1) times")
        }

        @Test func sequentialRequestsReuseOneConnection() async throws {
            let connections = Mutex(0)
            let server = try ScriptedServer { connection, server in
                connections.withLock { $0 += 1 }
                while server.readHead(connection) {
                    guard ScriptedServer.send(connection, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") else {
                        return
                    }
                }
            }
            defer { server.stop() }
            let transport = CurlTransport()
            for _ in 0..<20 { #expect(try await transport.send(HTTPRequest(url: server.url())).status == 200) }
            #expect(server.requestHeads == 20)
            #expect(connections.withLock { $0 } == 1)
        }

        @Test func cancellationAbortsAtOnceAndFreesTheHandle() async throws {
            try await self.withServer({ _ in .trickle(bytes: 200, interval: .milliseconds(50)) }) { server in
                let transport = CurlTransport()
                let task = Task { try await transport.send(HTTPRequest(url: server.url())) }
                for _ in 0..<200 where server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                let clock = ContinuousClock()
                let start = clock.now
                task.cancel()
                let result = await task.result
                #expect(clock.now - start < .seconds(5), "the whole trickle takes 10 s")
                #expect((result.failure as? TransportError)?.code == .cancelled)
                #expect(transport.activeTransferCount == 0)  // removed and freed before the caller resumed
            }
        }

        @Test func aThousandRequestsLeakNoDescriptors() async throws {
            try await self.withServer({ _ in .text("ok") }) { server in
                let transport = CurlTransport()
                _ = try await transport.send(HTTPRequest(url: server.url()))
                let before = Self.openDescriptors()
                for _ in 0..<1_000 { _ = try await transport.send(HTTPRequest(url: server.url())) }
                // Kept-alive connections in curl's cache (closed by this server anyway) may differ by a few.
                #expect(Self.openDescriptors() - before < 8)
            }
        }

        private static func openDescriptors() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        }

        private static func connectNonBlocking(port: Int) -> Int32 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            return descriptor
        }

        /// `head -c N /dev/zero | gzip`: a small body that inflates to `megabytes` MiB.
        static func gzippedZeros(megabytes: Int) throws -> Data {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "head -c \(megabytes * 1_048_576) /dev/zero | gzip -c"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }

        /// Resets the process's peak resident size (`VmHWM`), Linux 4.0+.
        private static func resetPeakResidentSize() {
            try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        }

        private static func residentKilobytes(_ field: String) -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
    }

    extension Result {
        fileprivate var failure: Failure? {
            if case .failure(let error) = self { return error }
            return nil
        }
    }
#endif
