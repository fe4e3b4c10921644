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
    public var id: KeyID { self.material.id }
    /// The secret itself; never logged.
    package var secret: String { self.material.secret }
    /// A stable fingerprint of the secret (first 16 hex digits of its SHA-256), what stores keep instead of it.
    public var fingerprint: String { self.material.fingerprint }
    /// The immutable part, shared by reference so leases copy one pointer.
    package let material: KeyMaterial
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
        self.material = KeyMaterial(
            id: KeyID(label ?? "key-" + digest.prefix(8)),
            secret: secret,
            fingerprint: String(digest.prefix(16))
        )
        self.weight = weight
        self.limits = limits
    }

    /// Whether `text` contains this key's secret (used to prove that output never leaks it).
    package func isContained(in text: String) -> Bool { !self.secret.isEmpty && text.contains(self.secret) }
}

/// A key's id, secret and fingerprint: immutable, shared by reference.
package final class KeyMaterial: Hashable, Sendable {
    package let id: KeyID
    package let secret: String
    package let fingerprint: String

    init(id: KeyID, secret: String, fingerprint: String) {
        self.id = id
        self.secret = secret
        self.fingerprint = fingerprint
    }

    package static func == (lhs: KeyMaterial, rhs: KeyMaterial) -> Bool {
        lhs === rhs || (lhs.id == rhs.id && lhs.secret == rhs.secret)
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(self.id) }
}

extension KeyMaterial: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package var description: String { "KeyMaterial(\(self.id), secret: <redacted>)" }
    package var debugDescription: String { self.description }
    package var customMirror: Mirror { Mirror(self, children: ["id": self.id]) }
}

extension APIKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "APIKey(\(self.id), secret: <redacted>)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: ["id": self.id, "weight": self.weight]) }
}
