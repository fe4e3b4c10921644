/// A request that produced no usable response: refused by the safety policy, or failed on the wire.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case connectTimeout, timeout, connectionFailed, connectionReset, responseTooLarge
            case redirectRefused, hostNotAllowed, insecureScheme, invalidURL, cancelled
        }
        let wrapped: Wrapped

        /// No response head within ``TransportPolicy/connectTimeout`` (the connection, or the server's first byte:
        /// the request may have reached the server). Transient.
        public static let connectTimeout = Self(wrapped: .connectTimeout)
        /// The whole exchange took longer than the total timeout. Transient.
        public static let timeout = Self(wrapped: .timeout)
        /// The connection could not be made (refused, DNS, TLS). Transient.
        public static let connectionFailed = Self(wrapped: .connectionFailed)
        /// The connection broke before the response was complete. Transient.
        public static let connectionReset = Self(wrapped: .connectionReset)
        /// The body passed the policy's size cap; the rest was never read. Not retried.
        public static let responseTooLarge = Self(wrapped: .responseTooLarge)
        /// The server answered with a redirect, which the SDK never follows. Not retried.
        public static let redirectRefused = Self(wrapped: .redirectRefused)
        /// The URL's host is not one the provider profile allows. Nothing was sent.
        public static let hostNotAllowed = Self(wrapped: .hostNotAllowed)
        /// Plain `http` to a host that is not loopback. Nothing was sent.
        public static let insecureScheme = Self(wrapped: .insecureScheme)
        /// The URL cannot be sent. Nothing was sent.
        public static let invalidURL = Self(wrapped: .invalidURL)
        /// The caller's task was cancelled.
        public static let cancelled = Self(wrapped: .cancelled)

        /// Whether the failure is worth retrying on another key (a network fault, not a policy refusal).
        public var isTransient: Bool {
            switch self.wrapped {
            case .connectTimeout, .timeout, .connectionFailed, .connectionReset: true
            default: false
            }
        }

        public var description: String {
            switch self.wrapped {
            case .connectTimeout: "no response head in time"
            case .timeout: "timeout"
            case .connectionFailed: "connection failed"
            case .connectionReset: "connection reset"
            case .responseTooLarge: "response too large"
            case .redirectRefused: "redirect refused"
            case .hostNotAllowed: "host not allowed"
            case .insecureScheme: "insecure scheme"
            case .invalidURL: "invalid URL"
            case .cancelled: "cancelled"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for a person: what happened and what to do. Never contains a key.
    public var message: String
    /// Whether the request may have reached the server, so the provider may have counted it as a use.
    ///
    /// `false` only when the transport knows no byte of the request left this process (the connection was never
    /// made, the policy refused it, the task was cancelled before sending). The default, `true`, is the safe
    /// assumption for a quota-metered key: a failure the transport cannot place counts as a use.
    public var requestMayHaveBeenSent: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, requestMayHaveBeenSent: Bool = true) {
        self.code = code
        self.message = message
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
    }

    public var description: String { "\(self.code): \(self.message)" }
}
