import Dispatch
public import Foundation
public import KeyRotationHTTP
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for transport tests: one thread per connection, `Connection: close`.
///
/// It binds an ephemeral port (``port`` after ``start()``), answers each request with what the handler returns,
/// including misbehaviour real servers show (redirects, huge or trickling bodies, resets, garbage), and records
/// every request it received (``requests``), so a test can prove a redirect target was never contacted.
/// Bounded: the accept loop polls a stop flag, sockets have send and receive timeouts, and ``stop()`` shuts
/// every open connection down and waits (at most a few seconds) for the threads to end.
public final class LoopbackServer: Sendable {
    /// A request as the server received it.
    public struct Request: Hashable, Sendable {
        /// The method, as sent (`GET`).
        public var method: String
        /// The request target: the path with its query (`/api/v3/files/abc?x=1`).
        public var path: String
        /// The header fields.
        public var headers: HTTPHeaders
        /// The body (empty when there is none).
        public var body: Data

        /// Creates a request.
        public init(method: String, path: String, headers: HTTPHeaders = [:], body: Data = Data()) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    /// What the server does with a request.
    public enum Reply: Sendable {
        /// A normal response; `Content-Length` and `Connection: close` are added.
        case response(status: Int, headers: HTTPHeaders, body: Data)
        /// A redirect (`302` by default) to `location`, with an empty body.
        case redirect(location: String, status: Int)
        /// A 200 whose body is `bytes` bytes streamed in 64 KiB chunks; without `Content-Length` unless
        /// `declaresLength`, so the client learns the size only while reading. Stops when the client goes.
        case hugeBody(bytes: Int, declaresLength: Bool)
        /// A 200 declaring `bytes` bytes, then sending one byte per `interval` (real time). Stops as soon as the
        /// client disconnects or the server stops.
        case trickle(bytes: Int, interval: Duration)
        /// Reads the request, then closes the socket abruptly (`SO_LINGER` 0): the client sees a reset.
        case reset
        /// Answers with bytes that are not HTTP, then closes.
        case malformed

        /// A response with a UTF-8 body.
        public static func text(_ body: String, status: Int = 200, headers: HTTPHeaders = [:]) -> Self {
            .response(status: status, headers: headers, body: Data(body.utf8))
        }

        /// A `302` redirect to `location`.
        public static func redirect(location: String) -> Self {
            .redirect(location: location, status: 302)
        }

        /// A body of `bytes` bytes without `Content-Length`.
        public static func hugeBody(bytes: Int) -> Self {
            .hugeBody(bytes: bytes, declaresLength: false)
        }
    }

    /// Answers a request; called on the connection's thread.
    public typealias Handler = @Sendable (Request) -> Reply

    /// The server could not start.
    public struct StartError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What failed and what to do.
        public var message: String
        /// The message.
        public var description: String { self.message }
    }

    private struct State {
        var listener: Int32 = -1
        var port = 0
        var isRunning = false
        var connections: Set<Int32> = []
        var requests: [Request] = []
    }

    private let handler: Handler
    private let state = Mutex(State())
    private let threads = DispatchGroup()

    /// Creates a stopped server; call ``start()``.
    ///
    /// - Parameter handler: Answers every request.
    public init(handler: @escaping Handler) {
        self.handler = handler
    }

    /// The port the server listens on (0 before ``start()``).
    public var port: Int { self.state.withLock { $0.port } }

    /// Every request received so far, in arrival order.
    public var requests: [Request] { self.state.withLock { $0.requests } }

    /// `http://127.0.0.1:<port><path>`.
    ///
    /// - Parameter path: The path with its query, starting with `/`.
    public func url(_ path: String = "/") -> URL {
        URL(string: "http://127.0.0.1:\(self.port)\(path)")!
    }

    /// Binds 127.0.0.1 on an ephemeral port and starts accepting connections.
    ///
    /// - Throws: ``StartError`` when the server runs already, or the socket cannot be created, bound or listened on.
    public func start() throws {
        guard !self.isRunning else { throw StartError(message: "the server is already running: start it once") }
        let listener = socket(AF_INET, Self.streamType, 0)
        guard listener >= 0 else { throw StartError(message: "socket() failed (errno \(errno))") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            let code = errno
            close(listener)
            throw StartError(message: "bind/listen on 127.0.0.1 failed (errno \(code))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        self.state.withLock { state in
            state.listener = listener
            state.port = port
            state.isRunning = true
        }
        self.threads.enter()
        let thread = Thread { [self] in
            self.acceptLoop(listener)
            self.threads.leave()
        }
        thread.name = "LoopbackServer.accept"
        thread.start()
    }

    /// Stops accepting, shuts every open connection down, and waits (at most 5 s) for the threads to end.
    public func stop() {
        let wasRunning = self.state.withLock { state -> Bool in
            guard state.isRunning else { return false }
            state.isRunning = false
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
            return true
        }
        guard wasRunning else { return }
        _ = self.threads.wait(timeout: .now() + 5)
    }

    private var isRunning: Bool { self.state.withLock { $0.isRunning } }

    private func acceptLoop(_ listener: Int32) {
        defer { close(listener) }
        while self.isRunning {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            guard ready > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            let accepted = self.state.withLock { state -> Bool in
                guard state.isRunning else { return false }
                state.connections.insert(connection)
                return true
            }
            guard accepted else {
                close(connection)
                return
            }
            self.threads.enter()
            let thread = Thread { [self] in
                self.serve(connection)
                self.threads.leave()
            }
            thread.name = "LoopbackServer.connection"
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer {
            self.state.withLock { _ = $0.connections.remove(connection) }
            close(connection)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = self.readRequest(connection) else { return }
        self.state.withLock { $0.requests.append(request) }
        switch self.handler(request) {
        case .response(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            for field in headers where !["content-length", "connection"].contains(field.name.lowercased()) {
                head += "\(field.name): \(field.value)\r\n"
            }
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            _ = Self.sendAll(connection, Array(head.utf8) + Array(body))
        case .redirect(let location, let status):
            let head =
                "HTTP/1.1 \(status) \(Self.reason(status))\r\nLocation: \(location)\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n"
            _ = Self.sendAll(connection, Array(head.utf8))
        case .hugeBody(let bytes, let declaresLength):
            var head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
            if declaresLength { head += "Content-Length: \(bytes)\r\n" }
            guard Self.sendAll(connection, Array((head + "\r\n").utf8)) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65_536)
            var sent = 0
            while sent < bytes, self.isRunning {
                let count = min(chunk.count, bytes - sent)
                guard Self.sendAll(connection, Array(chunk[0..<count])) else { return }
                sent += count
            }
        case .trickle(let bytes, let interval):
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(bytes)\r\n"
                + "Connection: close\r\n\r\n"
            guard Self.sendAll(connection, Array(head.utf8)) else { return }
            let (seconds, attoseconds) = interval.components
            let microseconds = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
            for _ in 0..<bytes {
                guard self.isRunning, Self.sendAll(connection, [UInt8(ascii: "x")]) else { return }
                usleep(UInt32(clamping: microseconds))
            }
        case .reset:
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        case .malformed:
            _ = Self.sendAll(connection, Array("this is not HTTP at all\r\n\u{1}\u{2}\u{3}\r\n\r\n".utf8))
        }
    }

    /// Reads the request head and a `Content-Length` body; `nil` on a malformed request or a timeout.
    private func readRequest(_ connection: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            guard buffer.count < 1_048_576 else { return nil }
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
            headEnd = Self.find(separator, in: buffer)
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.add(name: name, value: value)
        }
        var body = Array(buffer[(headEnd + separator.count)...])
        let length = headers["Content-Length"].flatMap { Int($0) } ?? 0
        guard length >= 0, length <= 16_777_216 else { return nil }
        if length > body.count, headers["Expect"]?.lowercased() == "100-continue" {
            guard Self.sendAll(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        while body.count < length {
            let count = recv(connection, &chunk, min(chunk.count, length - body.count), 0)
            guard count > 0 else { return nil }
            body += chunk[0..<count]
        }
        return Request(
            method: String(requestLine[0]),
            path: String(requestLine[1]),
            headers: headers,
            body: Data(body.prefix(length))
        )
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// Sends every byte; `false` when the peer is gone or the send timed out.
    private static func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                send(connection, buffer.baseAddress, buffer.count, Self.noSignal)
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    #if canImport(Glibc)
        private static let streamType = Int32(SOCK_STREAM.rawValue)
        private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
        private static let streamType = SOCK_STREAM
        private static let noSignal: Int32 = 0
    #endif
}
