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
    /// The first backoff after a 429 without Retry-After. Default 1 s. Learned pacing waits at least this long
    /// before the first retry of a refused key (a per-second window has turned over by then).
    public var initialBackoff: Duration = .seconds(1)
    /// The longest backoff after repeated 429s without Retry-After. Default 60 s. Also the longest window learned
    /// pacing learns: the longest learned spacing, the longest run that measures a window, the rest after which a key
    /// starts a fresh run, and the step at which a searched window turns over (see ``learnsPacing``).
    public var maximumBackoff: Duration = .seconds(60)
    /// How long a key rejected with 401/403 rests before one probe. Default 5 minutes.
    public var invalidKeyQuarantine: Duration = .seconds(300)
    /// Consecutive transient failures that open the circuit. Default 5.
    public var failureThreshold: Int = 5
    /// How long an open circuit stays open before a half-open probe. Default 30 s.
    public var circuitOpenDuration: Duration = .seconds(30)
    /// How long a probe may stay unreported before another probe may go. Default 60 s.
    public var probeTimeout: Duration = .seconds(60)
    /// Whether a key no answer has proven yet (new to the process, or rejected with 401/403 since) serves one
    /// request at a time until its first answer. Default `true`: a revoked or mistyped key then costs one request,
    /// not one per concurrent caller, while the other keys serve the callers. A request out for longer than
    /// ``probeTimeout`` no longer holds the key. Turn it off only for keys known good (it slows nothing else).
    public var probesNewKeys: Bool = true
    /// How long a quota exhausted with no known reset parks the key. Default 1 hour.
    public var unknownQuotaResetDelay: Duration = .seconds(3600)
    /// Whether a key that gets 429s its configured limits did not predict learns a pace (a minimum spacing) from
    /// them. Default `true`.
    ///
    /// The key counts the requests the provider admits in a *run*: from its first lease, its first lease after
    /// resting longer than ``maximumBackoff``, or its re-admission after such a 429, until the next such 429.
    ///
    /// - A run refused within ``maximumBackoff`` of its start filled the provider's window. When the key is admitted
    ///   again the window has turned over, so the key is paced at the run's successes over the time from the run's
    ///   start to the end of its last cooldown, 1/64 slower: 60 requests from a run whose window turned over 60 s
    ///   after it began pace the key 1.016 s apart.
    /// - A longer run was paced just past the provider's rate: its 429 steps the pace back by 1/32, and a run with
    ///   no success at all doubles it (from the interval the key was used at, at least 1 ms, when it had no pace).
    /// - Without Retry-After, the first retry waits at least ``initialBackoff``. When a run refused within
    ///   ``maximumBackoff`` of its start is refused again, the key waits until the run is twice as old (at least the
    ///   usual backoff) and at most until the next whole multiple of ``maximumBackoff`` from its start, right until
    ///   then when that is nearer: the window is found within a factor of two in a few retries, exactly when it is
    ///   a minute long. Other retries back off as usual.
    /// - A refused key is retried one request at a time (a request out for longer than ``probeTimeout`` no longer
    ///   counts); a 429 for a request leased before its run was refused adds nothing (no longer cooldown) unless it
    ///   brings a Retry-After.
    /// - Every success relaxes the pace by n/262,144 of itself, n being the successes since it was set (at most
    ///   1,024): a measured pace holds for a window or two, one measured twice too slow is back after about 600
    ///   successes.
    ///
    /// The learned spacing is kept between 1 ms and ``maximumBackoff``.
    public var learnsPacing: Bool = true

    /// The defaults.
    public init() {}

    /// The defaults.
    public static let `default` = Self()
}
