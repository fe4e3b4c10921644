import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small, strict HTTP/1.1 server: one thread per connection (blocking reads bounded by `poll` deadlines), a
/// Swift-concurrency handler per request.
///
/// Why threads: the gateway's concurrency is bounded by its upstream's quota (a few requests a second per key)
/// and by ``ServerLimits/maximumConnections``, so a blocked thread per connection costs little and keeps every
/// timeout a plain deadline on one `poll`; no event loop to get wrong. The handler runs as a task, never on the
/// connection's thread, so waiting for a key never blocks the cooperative pool.
///
/// Keep-alive and pipelining are handled: requests on one connection are answered in order; a refused request
/// (4xx) closes its connection only. ``shutdown(timeout:)`` stops accepting, lets in-flight requests finish (their
/// responses say `Connection: close`), closes idle connections, and returns when every connection is gone.
public final class HTTPServer: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (ServerRequest) async -> ServerResponse

    struct State {
        var isAccepting = true
        var isStopping = false
        var connections = 0
        var inFlight = 0
    }

    /// Where it listens.
    public let address: ListenAddress
    /// The limits each client gets.
    public let limits: ServerLimits
    /// The TCP port bound (the chosen one when the address asked for port 0; 0 for a Unix socket).
    public let port: Int
    let handler: Handler
    let state = Mutex(State())
    private let listener: Int32
    private let threads = DispatchGroup()

    /// Binds `address` and starts accepting.
    ///
    /// - Throws: ``ServerError`` when the address can't be bound (in use, a file in the way).
    public init(address: ListenAddress, limits: ServerLimits = ServerLimits(), handler: @escaping Handler) throws {
        self.address = address
        self.limits = limits
        self.handler = handler
        (self.listener, self.port) = try Socket.listen(address)
        self.threads.enter()
        Thread.detachNewThread { [self] in
            self.acceptLoop()
            self.threads.leave()
        }
    }

    /// Connections open now.
    public var connectionCount: Int { self.state.withLock { $0.connections } }

    /// Requests being answered now.
    public var inFlightCount: Int { self.state.withLock { $0.inFlight } }

    /// Stops accepting, finishes the requests in flight, closes every connection; waits at most `timeout`.
    ///
    /// - Returns: Whether every connection ended in time.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(30)) -> Bool {
        self.state.withLock {
            $0.isAccepting = false
            $0.isStopping = true
        }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let ended = self.threads.wait(timeout: .now() + .nanoseconds(nanoseconds))
        if let path = self.address.socketPath { unlink(path) }
        return ended == .success
    }

    var isStopping: Bool { self.state.withLock { $0.isStopping } }

    private func acceptLoop() {
        defer { close(self.listener) }
        while self.state.withLock({ $0.isAccepting }) {
            guard Socket.waitReadable(self.listener, milliseconds: 100) else { continue }
            let descriptor = accept(self.listener, nil, nil)
            guard descriptor >= 0 else { continue }
            let admitted = self.state.withLock { state -> Bool in
                guard state.isAccepting, state.connections < self.limits.maximumConnections else { return false }
                state.connections += 1
                return true
            }
            Socket.setSendTimeout(descriptor, self.limits.writeTimeout)
            guard admitted else {
                let busy = ServerResponse.text(
                    503,
                    "too many connections: retry later",
                    headers: [("Retry-After", "1")]
                )
                _ = Socket.sendAll(descriptor, busy.serialized(keepAlive: false))
                close(descriptor)
                continue
            }
            self.threads.enter()
            Thread.detachNewThread { [self] in
                var connection = ServerConnection(server: self, descriptor: descriptor)
                connection.run()
                self.state.withLock { $0.connections -= 1 }
                close(descriptor)
                self.threads.leave()
            }
        }
    }
}
