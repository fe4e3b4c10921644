public import KeyRotation

/// What a provider's response means for the request and for the key that sent it (PROVIDERS.md, "Outcome classes").
public enum ResponseClass: Hashable, Sendable {
    /// The answer; return it.
    case success
    /// A valid "no data" answer (VirusTotal's 404, Aptos' `*_not_found`): no retry, no cooldown.
    case notFound
    /// Throttled: rest the key for `retryAfter` (or a backoff when `nil`) and use another key.
    case rateLimited(retryAfter: Duration?)
    /// The key's quota is spent: park it until `resetAt`; `nil` lets the rotator infer the window from the
    /// key's configured limits.
    case quotaExhausted(resetAt: Timestamp?)
    /// The key is wrong or disabled: quarantine it.
    case invalidKey
    /// The key lacks a privilege or plan feature: try another key, keep this one.
    case forbidden
    /// A server or network fault: retry with backoff, on another key.
    case transient
    /// The request is wrong (or the configuration is): no retry, no rotation.
    case badRequest
    /// The node no longer holds the data: a result, not a key fault.
    case pruned
}

/// A classified response: its class, and what the provider said in its own words.
public struct Classification: Hashable, Sendable {
    /// The class.
    public var kind: ResponseClass
    /// The provider's machine-readable error code (`error.code`, `error_code`, `code`), if any.
    public var providerCode: String?
    /// The provider's message, if any (never contains a key: providers don't echo them, and the client redacts).
    public var message: String?

    /// Creates a classification.
    public init(_ kind: ResponseClass, providerCode: String? = nil, message: String? = nil) {
        self.kind = kind
        self.providerCode = providerCode
        self.message = message
    }
}
