import Glibc

/// One TCP connection to Redis speaking RESP: commands out, replies in, pipelined.
///
/// Synchronous and not thread-safe: ``RedisKeyStateStore`` owns it inside its `Mutex`. Connecting uses a
/// non-blocking `connect` and `poll` for the connect timeout; reads and writes `poll` for the I/O timeout. On any
/// error that leaves the stream out of step (timeout, close, malformed reply) the connection closes itself and
/// must be replaced.
package final class RedisConnection {
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private let ioTimeout: Duration
    /// The server's address, for messages.
    package let address: String

    /// Whether the socket is still open.
    package var isOpen: Bool { self.descriptor >= 0 }

    /// Connects, then logs in (`AUTH`), selects the database (`SELECT`) and checks the server with `PING`,
    /// in one pipelined round trip.
    ///
    /// - Throws: ``RedisError``: connection failed or timed out; `AUTH`/`SELECT` refused (server error).
    package init(endpoint: RedisEndpoint, connectTimeout: Duration, ioTimeout: Duration) throws(RedisError) {
        self.address = endpoint.address
        self.ioTimeout = ioTimeout
        self.descriptor = try Self.connect(endpoint: endpoint, timeout: connectTimeout)
        var setup: [[String]] = []
        if let password = endpoint.password {
            setup.append(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if endpoint.database != 0 { setup.append(["SELECT", String(endpoint.database)]) }
        setup.append(["PING"])
        let replies = try self.pipeline(setup)
        for (command, reply) in zip(setup, replies) {
            if case .error(let message) = reply {
                self.close()
                let what = command[0] == "AUTH" ? "refused the credentials (AUTH)" : "refused \(command[0])"
                throw RedisError(
                    .serverError,
                    "Redis at \(self.address) \(what): \(message.prefix(200)); check KEYROTATION_REDIS_URL"
                )
            }
        }
        guard case .simple("PONG") = replies.last else {
            self.close()
            throw RedisError(.malformedReply, "Redis at \(self.address) did not answer PING with PONG")
        }
    }

    deinit { self.close() }

    /// Closes the socket (idempotent).
    package func close() {
        if self.descriptor >= 0 {
            _ = Glibc.close(self.descriptor)
            self.descriptor = -1
        }
    }

    /// Sends one command and reads its reply. An error reply comes back as ``RedisReply/error(_:)``.
    package func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try self.pipeline([arguments])[0]
    }

    /// Sends every command in one write and reads their replies in order.
    package func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        var output: [UInt8] = []
        output.reserveCapacity(commands.count * 64)
        for command in commands { Self.encode(command, into: &output) }
        try self.write(output)
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try self.readReply()) }
        return replies
    }

    /// Reads the next reply.
    package func readReply() throws(RedisError) -> RedisReply {
        while true {
            guard self.isOpen else {
                throw RedisError(.connectionClosed, "the connection to \(self.address) is closed")
            }
            var index = self.readIndex
            do {
                if let reply = try RESPParser.parse(self.buffer, from: &index) {
                    self.readIndex = index
                    if self.readIndex == self.buffer.count {
                        self.buffer.removeAll(keepingCapacity: true)
                        self.readIndex = 0
                    }
                    return reply
                }
            } catch {
                self.close()
                throw RedisError(error.code, "from \(self.address): \(error.message)")
            }
            try self.fill()
        }
    }

    /// RESP2 request encoding: an array of bulk strings.
    package static func encode(_ command: [String], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "*"))
        output.append(contentsOf: String(command.count).utf8)
        output.append(contentsOf: [13, 10])
        for argument in command {
            var argument = argument
            argument.withUTF8 { bytes in
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(bytes.count).utf8)
                output.append(contentsOf: [13, 10])
                output.append(contentsOf: bytes)
                output.append(contentsOf: [13, 10])
            }
        }
    }

    // MARK: Socket

    private func fill() throws(RedisError) {
        if self.readIndex > 0 && self.readIndex > self.buffer.count / 2 {
            self.buffer.removeFirst(self.readIndex)
            self.readIndex = 0
        }
        try self.waitFor(Int16(POLLIN), doing: "reading a reply")
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
        if count == 0 {
            self.close()
            throw RedisError(
                .connectionClosed,
                "Redis at \(self.address) closed the connection before replying (restarted, timeout or maxclients)"
            )
        }
        if count < 0 {
            let code = errno
            if code == EINTR || code == EAGAIN { return }
            self.close()
            throw RedisError(.connectionClosed, "reading from Redis at \(self.address) failed: \(Self.describe(code))")
        }
        self.buffer.append(contentsOf: chunk[0..<count])
    }

    private func write(_ bytes: [UInt8]) throws(RedisError) {
        guard self.isOpen else { throw RedisError(.connectionClosed, "the connection to \(self.address) is closed") }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(self.descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN {
                    try self.waitFor(Int16(POLLOUT), doing: "sending a command")
                    continue
                }
                self.close()
                throw RedisError(
                    .connectionClosed,
                    "writing to Redis at \(self.address) failed: \(Self.describe(code)); it will be reconnected"
                )
            }
            offset += sent
        }
    }

    private func waitFor(_ events: Int16, doing what: String) throws(RedisError) {
        let milliseconds = Int32(
            clamping: max(
                1,
                self.ioTimeout.components.seconds * 1000
                    + self.ioTimeout.components.attoseconds / 1_000_000_000_000_000
            )
        )
        var entry = pollfd(fd: self.descriptor, events: events, revents: 0)
        while true {
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            self.close()
            if ready == 0 {
                throw RedisError(
                    .timedOut,
                    "Redis at \(self.address) did not answer within \(self.ioTimeout) while \(what); "
                        + "the connection was closed"
                )
            }
            throw RedisError(.connectionClosed, "waiting on Redis at \(self.address) failed: \(Self.describe(errno))")
        }
    }

    private static func connect(endpoint: RedisEndpoint, timeout: Duration) throws(RedisError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            throw RedisError(
                .connectionFailed,
                "the Redis host '\(endpoint.host)' could not be resolved: \(String(cString: gai_strerror(status)))"
            )
        }
        defer { freeaddrinfo(list) }
        var lastError: RedisError?
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            do throws(RedisError) {
                return try self.connect(info.pointee, address: endpoint.address, timeout: timeout)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? RedisError(.connectionFailed, "the Redis host '\(endpoint.host)' has no address")
    }

    private static func connect(_ info: addrinfo, address: String, timeout: Duration) throws(RedisError) -> Int32 {
        let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard descriptor >= 0 else {
            throw RedisError(.connectionFailed, "no socket for Redis at \(address): \(Self.describe(errno))")
        }
        var succeeded = false
        defer { if !succeeded { _ = Glibc.close(descriptor) } }
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(descriptor, info.ai_addr, info.ai_addrlen) != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                throw RedisError(
                    .connectionFailed,
                    "Redis at \(address) is unreachable: \(Self.describe(code)); is redis-server running there?"
                )
            }
            let milliseconds = Int32(
                clamping: max(
                    1,
                    timeout.components.seconds * 1000
                        + timeout.components.attoseconds / 1_000_000_000_000_000
                )
            )
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            var ready: Int32
            repeat { ready = poll(&entry, 1, milliseconds) } while ready < 0 && errno == EINTR
            guard ready > 0 else {
                throw RedisError(.timedOut, "connecting to Redis at \(address) took longer than \(timeout)")
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
            guard socketError == 0 else {
                throw RedisError(
                    .connectionFailed,
                    "Redis at \(address) is unreachable: \(Self.describe(socketError)); is redis-server running there?"
                )
            }
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        succeeded = true
        return descriptor  // stays non-blocking: every read and write polls with the I/O timeout first
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
