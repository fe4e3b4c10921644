#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX socket calls the server makes, on a descriptor it owns.
enum Socket {
    #if canImport(Glibc)
        static let streamType = Int32(SOCK_STREAM.rawValue)
        static let noSignal = Int32(MSG_NOSIGNAL)
    #else
        static let streamType = SOCK_STREAM
        static let noSignal: Int32 = 0
    #endif

    /// A listening socket bound to `address`, and the TCP port it got.
    static func listen(_ address: ListenAddress, backlog: Int32 = 128) throws(ServerError) -> (Int32, Int) {
        switch address.wrapped {
        case .tcp(let host, let port):
            let descriptor = socket(AF_INET, Self.streamType, 0)
            guard descriptor >= 0 else { throw ServerError("socket() failed (errno \(errno))") }
            var yes: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET, host, &storage.sin_addr) == 1 else {
                close(descriptor)
                throw ServerError("\(host) is not an IPv4 address")
            }
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0, Glibc.listen(descriptor, backlog) == 0 else {
                let code = errno
                close(descriptor)
                throw ServerError("cannot listen on \(address) (errno \(code)): is the port in use?")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            return (descriptor, Int(UInt16(bigEndian: storage.sin_port)))
        case .unix(let path):
            var status = stat()
            if lstat(path, &status) == 0 {
                guard (status.st_mode & S_IFMT) == S_IFSOCK else {
                    throw ServerError("\(path) exists and is not a socket: pick another path")
                }
                unlink(path)  // a stale socket of an earlier run
            }
            let descriptor = socket(AF_UNIX, Self.streamType, 0)
            guard descriptor >= 0 else { throw ServerError("socket() failed (errno \(errno))") }
            var storage = sockaddr_un()
            storage.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &storage.sun_path) { buffer in
                for (index, byte) in path.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
            }
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0, Glibc.listen(descriptor, backlog) == 0 else {
                let code = errno
                close(descriptor)
                throw ServerError("cannot listen on \(path) (errno \(code)): check the folder exists and is writable")
            }
            chmod(path, 0o600)  // only the owner may connect
            return (descriptor, 0)
        }
    }

    /// Waits up to `milliseconds` for `descriptor` to be readable.
    static func waitReadable(_ descriptor: Int32, milliseconds: Int) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(clamping: max(0, milliseconds))) > 0
    }

    /// Sends every byte; `false` when the peer is gone or the send timed out.
    static func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Self.noSignal) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Sets the send timeout (a client that does not read its response).
    static func setSendTimeout(_ descriptor: Int32, _ timeout: Duration) {
        var value = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// The server could not start.
public struct ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed and what to do.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
