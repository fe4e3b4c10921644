/// A Redis connection or reply that cannot be used; the message says what happened and what to do, never a
/// password or key material.
public struct RedisError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case invalidURL, unsupportedScheme, connectionFailed, timedOut, connectionClosed, malformedReply
            case serverError
        }

        let wrapped: Wrapped
        /// The URL is not `redis://[[user]:password@]host[:port][/db]`.
        public static let invalidURL = Self(wrapped: .invalidURL)
        /// The URL asks for something this client does not speak (`rediss://`, TLS).
        public static let unsupportedScheme = Self(wrapped: .unsupportedScheme)
        /// The server could not be reached (refused, unreachable, name not resolved).
        public static let connectionFailed = Self(wrapped: .connectionFailed)
        /// Connecting, writing or reading took longer than the configured timeout.
        public static let timedOut = Self(wrapped: .timedOut)
        /// The server closed the connection.
        public static let connectionClosed = Self(wrapped: .connectionClosed)
        /// The bytes received are not RESP2/RESP3: the peer is not Redis, or the stream is out of step.
        public static let malformedReply = Self(wrapped: .malformedReply)
        /// Redis answered with an error reply (`-ERR …`, `-NOAUTH …`, `-WRONGPASS …`).
        public static let serverError = Self(wrapped: .serverError)

        public var description: String {
            switch self.wrapped {
            case .invalidURL: "invalid URL"
            case .unsupportedScheme: "unsupported scheme"
            case .connectionFailed: "connection failed"
            case .timedOut: "timed out"
            case .connectionClosed: "connection closed"
            case .malformedReply: "malformed reply"
            case .serverError: "server error"
            }
        }
    }

    /// What failed.
    public var code: Code
    /// What happened and what to do.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the connection it happened on can't be used any more (everything but a server's error reply).
    public var breaksConnection: Bool { self.code != .serverError }

    public var description: String { "redis \(self.code): \(self.message)" }
}
