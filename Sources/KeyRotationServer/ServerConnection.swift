import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One client connection, on its own thread: read a head within its deadline, the body within its own, hand the
/// request to the handler, write the response, repeat while the connection is kept alive.
struct ServerConnection {
    let server: HTTPServer
    let descriptor: Int32
    private var buffer: [UInt8] = []

    init(server: HTTPServer, descriptor: Int32) {
        self.server = server
        self.descriptor = descriptor
    }

    /// Serves requests until the client closes, a limit is hit, or the server stops.
    mutating func run() {
        let parser = RequestHeadParser(limits: self.server.limits)
        for _ in 0..<self.server.limits.maximumRequestsPerConnection {
            // Idle: wait for the first byte (in slices, so a stopping server closes idle connections at once).
            guard self.buffer.isEmpty ? self.waitForFirstByte() : true else { return }
            let headDeadline = ContinuousClock.now.advanced(by: self.server.limits.headTimeout)
            var parsed = parser.parse(self.buffer[...])
            while case .incomplete = parsed {
                guard self.read(until: headDeadline) else {
                    if !self.buffer.isEmpty { self.refuse(RequestRefusal(408, "the request head took too long")) }
                    return
                }
                parsed = parser.parse(self.buffer[...])
            }
            let head: RequestHead
            switch parsed {
            case .refused(let refusal):
                self.refuse(refusal)
                return
            case .head(let value, let consumed):
                head = value
                self.buffer.removeFirst(consumed)
            case .incomplete:
                return
            }
            if head.expectsContinue, self.buffer.count < head.contentLength {
                guard Socket.sendAll(self.descriptor, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            }
            let bodyDeadline = ContinuousClock.now.advanced(by: self.server.limits.bodyTimeout)
            while self.buffer.count < head.contentLength {
                guard self.read(until: bodyDeadline) else {
                    self.refuse(RequestRefusal(408, "the request body took too long"))
                    return
                }
            }
            let body = Data(self.buffer[0..<head.contentLength])
            self.buffer.removeFirst(head.contentLength)
            let request = ServerRequest(
                method: head.method,
                target: head.target,
                minorVersion: head.minorVersion,
                headers: head.headers.map { ($0.name, $0.value) },
                body: body
            )
            let response = self.answer(request)
            let keepAlive = request.keepsAlive && !self.server.isStopping
            let bytes = response.serialized(keepAlive: keepAlive, includeBody: request.method != "HEAD")
            guard Socket.sendAll(self.descriptor, bytes), keepAlive else { return }
        }
    }

    /// Runs the handler as a task and waits for its response (this thread is not one of the cooperative pool's).
    private func answer(_ request: ServerRequest) -> ServerResponse {
        self.server.state.withLock { $0.inFlight += 1 }
        defer { self.server.state.withLock { $0.inFlight -= 1 } }
        let result = Mutex<ServerResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handler = self.server.handler
        Task.detached {
            let response = await handler(request)
            result.withLock { $0 = response }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? ServerResponse.text(500, "no response")
    }

    /// Answers `refusal` and stops reading (the rest of the stream can't be framed).
    private func refuse(_ refusal: RequestRefusal) {
        let response = ServerResponse.text(refusal.status, refusal.reason)
        _ = Socket.sendAll(self.descriptor, response.serialized(keepAlive: false))
        shutdown(self.descriptor, Int32(SHUT_WR))
    }

    /// Waits for a request to start, up to the idle timeout; `false` when the client left or the server stops.
    private mutating func waitForFirstByte() -> Bool {
        let deadline = ContinuousClock.now.advanced(by: self.server.limits.idleTimeout)
        while !self.server.isStopping {
            let now = ContinuousClock.now
            guard now < deadline else { return false }
            let slice = min(100, Self.milliseconds(now.duration(to: deadline)))
            if Socket.waitReadable(self.descriptor, milliseconds: slice) { return self.receive() }
        }
        return false
    }

    /// Reads more bytes before `deadline`; `false` on timeout or when the client closed.
    private mutating func read(until deadline: ContinuousClock.Instant) -> Bool {
        let left = Self.milliseconds(ContinuousClock.now.duration(to: deadline))
        guard left > 0, Socket.waitReadable(self.descriptor, milliseconds: left) else { return false }
        return self.receive()
    }

    private mutating func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = recv(self.descriptor, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        self.buffer += chunk[0..<count]
        return true
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
