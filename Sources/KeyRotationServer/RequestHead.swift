/// A request line and header section, parsed and checked: what the connection needs to read the body and hand
/// the request on.
public struct RequestHead: Hashable, Sendable {
    /// The method (`GET`).
    public var method: String
    /// The origin-form target (`/path?query`).
    public var target: String
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    public var minorVersion: Int
    /// Header fields in order, values without surrounding whitespace.
    public var headers: [Field]
    /// The body's length from `Content-Length` (0 without one).
    public var contentLength: Int
    /// Whether the client waits for `100 Continue` before it sends the body.
    public var expectsContinue: Bool

    /// One header field.
    public struct Field: Hashable, Sendable {
        /// The name as sent.
        public var name: String
        /// The value, trimmed.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
}

/// Why a request was refused: the status to answer with and a reason for the body (never the request's bytes).
public struct RequestRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 4xx or 5xx status.
    public var status: Int
    /// What was wrong and what to do.
    public var reason: String

    /// Creates a refusal.
    public init(_ status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(self.status): \(self.reason)" }
}
