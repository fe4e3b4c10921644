/// A stable, non-secret name for a key: a label the user chose, or a short fingerprint of the secret.
///
/// Safe to log, store and show: it never contains key material.
public struct KeyID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The identifier's text.
    public let rawValue: String

    /// Creates an identifier from a label. Never pass a secret here.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { self.rawValue }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An API key: the secret, its public ``KeyID``, its weight and its limits.
///
/// `description`, `debugDescription` and the mirror (read by `dump`) show only the id; the secret is readable
/// only inside the SDK's own targets, where the HTTP layer applies it to a request.
public struct APIKey: Hashable, Sendable {
    /// The public identifier.
    public let id: KeyID
    /// The secret itself; never logged.
    package let secret: String
    /// A stable fingerprint of the secret (first 16 hex digits of its SHA-256), what stores keep instead of it.
    public let fingerprint: String
    /// The key's share in weighted strategies. Default 1.
    public var weight: Int
    /// The limits this key must respect. Empty means "none known": the pool learns from 429s.
    public var limits: [RateLimit]

    /// Creates a key.
    ///
    /// - Parameters:
    ///   - secret: The key material.
    ///   - label: A public name; default `key-` followed by the first 8 hex digits of the secret's SHA-256.
    ///   - weight: The key's weight, at least 1. Default 1.
    ///   - limits: The key's limits. Default none.
    public init(_ secret: String, label: String? = nil, weight: Int = 1, limits: [RateLimit] = []) {
        precondition(weight >= 1, "a key's weight is at least 1")
        let digest = SHA256.hexDigest(secret)
        self.secret = secret
        self.fingerprint = String(digest.prefix(16))
        self.id = KeyID(label ?? "key-" + digest.prefix(8))
        self.weight = weight
        self.limits = limits
    }

    /// Whether `text` contains this key's secret (used to prove that output never leaks it).
    package func isContained(in text: String) -> Bool { !self.secret.isEmpty && text.contains(self.secret) }
}

extension APIKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "APIKey(\(self.id), secret: <redacted>)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: ["id": self.id, "weight": self.weight]) }
}
