public import Foundation
public import KeyRotation

/// A provider's full report on one resource, as fetched: raw JSON bytes, when, and with which key.
public struct StoredReport: Hashable, Sendable {
    /// The resource's identifier (an IOC, an address, a transaction hash).
    public var id: String
    /// The kind of resource (`file`, `domain`, `account`…); with ``id``, the report's unique key.
    public var type: String
    /// The response body as received.
    public var payload: Data
    /// When it was fetched.
    public var fetchedAt: Timestamp
    /// The key that fetched it (its public id, never the secret).
    public var keyID: KeyID?

    /// Creates a report.
    public init(id: String, type: String, payload: Data, fetchedAt: Timestamp, keyID: KeyID? = nil) {
        self.id = id
        self.type = type
        self.payload = payload
        self.fetchedAt = fetchedAt
        self.keyID = keyID
    }

    /// Whether the report is younger than `ttl` at `now` (a `ttl` of zero keeps it fresh forever).
    public func isFresh(ttl: Duration, at now: Timestamp) -> Bool {
        ttl == .zero || now < self.fetchedAt.advanced(by: ttl)
    }
}
