/// The sizes and times a server allows each client: anything larger or slower is answered with a 4xx (or the
/// connection closed) without disturbing the other clients.
public struct ServerLimits: Hashable, Sendable {
    /// The longest request line, CRLF included. Default 8 KiB (414 past it).
    public var maximumRequestLine: Int = 8_192
    /// The longest header section after the request line. Default 16 KiB (431 past it).
    public var maximumHeaderBytes: Int = 16_384
    /// The most header fields. Default 100 (431 past it).
    public var maximumHeaderCount: Int = 100
    /// The largest body a request may declare with `Content-Length`. Default 1 MiB (413 past it).
    public var maximumBodyBytes: Int = 1_048_576
    /// How long a client may take to send a whole request head once it started one (slowloris). Default 10 s.
    public var headTimeout: Duration = .seconds(10)
    /// How long a client may take to send the body once the head is in. Default 30 s.
    public var bodyTimeout: Duration = .seconds(30)
    /// How long a kept-alive connection may sit idle between requests. Default 15 s.
    public var idleTimeout: Duration = .seconds(15)
    /// How long a client may take to read a response. Default 30 s.
    public var writeTimeout: Duration = .seconds(30)
    /// The most connections served at once; one more is answered 503 and closed. Default 256.
    public var maximumConnections: Int = 256
    /// Requests served on one connection before it is closed. Default 1,000.
    public var maximumRequestsPerConnection: Int = 1_000

    /// The defaults.
    public init() {}
}
