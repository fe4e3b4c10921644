public import KeyRotation
public import KeyRotationHTTP

/// One request as the simulated provider saw it. Holds the key's public label, never its secret.
public struct SimulatedLogEntry: Hashable, Sendable, CustomStringConvertible {
    /// The request's position in the log, from 0.
    public var sequenceNumber: Int
    /// When the request arrived (UTC on the provider's clock); limits are judged at this instant.
    public var timestamp: Timestamp
    /// The key's label; `nil` when the request carried no key the provider knows (missing or unknown).
    public var keyID: KeyID?
    /// The request's number among the requests that carried this key, from 1; 0 when ``keyID`` is `nil`.
    public var keyRequestNumber: Int
    /// The method.
    public var method: HTTPMethod
    /// The URL path, without the query and with a path-borne key removed.
    public var path: String
    /// The status answered, or 0 when the transport threw instead (an injected connection reset).
    public var status: Int
    /// Whether the request spent a use of the key's limits (it was admitted, not refused or failed first).
    public var consumedQuota: Bool
    /// How long the answer was held back (latency plus any hang).
    public var delay: Duration

    public var description: String {
        "#\(self.sequenceNumber) \(self.timestamp) \(self.keyID?.rawValue ?? "-") \(self.method) \(self.path) → \(self.status)"
    }
}

extension SimulatedProvider {
    /// One logged request; see ``SimulatedLogEntry``.
    public typealias LogEntry = SimulatedLogEntry
}
