/// How a request made with a leased key went: what the caller reports to the rotator.
public enum Outcome: Hashable, Sendable {
    /// The request was answered (including "not found" answers and "this key lacks that feature"); `latency` feeds
    /// the health-aware strategy.
    case success(latency: Duration)
    /// The provider throttled the key (429); `retryAfter` is the server's hint, if any.
    case rateLimited(retryAfter: Duration?)
    /// The key's quota is spent until `resetAt`; `nil` lets the rotator infer the window from the key's limits.
    case quotaExhausted(resetAt: Timestamp?)
    /// The provider rejected the key (401/403): quarantine it.
    case invalidKey
    /// A server error, timeout or reset connection.
    case transientFailure
    /// The request never reached the provider (cancelled before sending, refused by policy): give the units back.
    case notCounted
    /// The caller gave up mid-request (cancelled, deadline): the use counts, the key's health is unchanged.
    case abandoned
}

/// What a ``KeyHealth`` does about failures.
public struct HealthPolicy: Hashable, Sendable {
    /// The first backoff after a 429 without Retry-After. Default 1 s.
    public var initialBackoff: Duration = .seconds(1)
    /// The longest backoff after repeated 429s without Retry-After. Default 60 s.
    public var maximumBackoff: Duration = .seconds(60)
    /// How long a key rejected with 401/403 rests before one probe. Default 5 minutes.
    public var invalidKeyQuarantine: Duration = .seconds(300)
    /// Consecutive transient failures that open the circuit. Default 5.
    public var failureThreshold: Int = 5
    /// How long an open circuit stays open before a half-open probe. Default 30 s.
    public var circuitOpenDuration: Duration = .seconds(30)
    /// How long a probe may stay unreported before another probe may go. Default 60 s.
    public var probeTimeout: Duration = .seconds(60)
    /// How long a quota exhausted with no known reset parks the key. Default 1 hour.
    public var unknownQuotaResetDelay: Duration = .seconds(3600)
    /// Whether a key that gets 429s its configured limits did not predict learns a pace: after each such 429 its
    /// minimum spacing grows to 1.1 × the spacing it was used at, and every success shrinks it by 1/512, so the
    /// key settles just under the provider's real rate. Default `true`.
    public var learnsPacing: Bool = true

    /// The defaults.
    public init() {}

    /// The defaults.
    public static let `default` = Self()
}
