/// Where a server listens: a TCP address (`127.0.0.1:8089`) or a Unix socket path (`/run/gateway.sock`).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }
    let wrapped: Wrapped

    /// Reads `text`: a path starting with `/` or `.` is a Unix socket, else `IPv4:port` (port 0: any free port).
    ///
    /// - Throws: ``ListenAddressError`` saying which form is expected.
    public init(parsing text: String) throws(ListenAddressError) {
        if text.hasPrefix("/") || text.hasPrefix(".") {
            guard text.utf8.count < 100 else { throw ListenAddressError("a Unix socket path must be under 100 bytes") }
            self.wrapped = .unix(path: text)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port),
            Self.isIPv4(String(parts[0]))
        else {
            throw ListenAddressError("expected IPv4:port (127.0.0.1:8089) or a socket path (/tmp/gateway.sock)")
        }
        self.wrapped = .tcp(host: String(parts[0]), port: port)
    }

    /// A TCP address.
    public static func tcp(host: String, port: Int) -> Self { Self(wrapped: Wrapped.tcp(host: host, port: port)) }

    private init(wrapped: Wrapped) { self.wrapped = wrapped }

    /// Whether only this machine can connect: a loopback address (`127.x.x.x`) or a Unix socket.
    public var isLocalOnly: Bool {
        switch self.wrapped {
        case .tcp(let host, _): host.hasPrefix("127.")
        case .unix: true
        }
    }

    /// The socket path, for a Unix socket.
    public var socketPath: String? {
        if case .unix(let path) = self.wrapped { return path }
        return nil
    }

    public var description: String {
        switch self.wrapped {
        case .tcp(let host, let port): "\(host):\(port)"
        case .unix(let path): path
        }
    }

    private static func isIPv4(_ text: String) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4
            && octets.allSatisfy { octet in
                !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII)
                    && Int(octet).map { $0 <= 255 } == true
            }
    }
}

/// A listen address that can't be read.
public struct ListenAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is expected.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
