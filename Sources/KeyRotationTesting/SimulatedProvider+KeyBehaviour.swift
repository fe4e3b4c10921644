/// How the simulated provider treats one key: the limits it enforces and the faults it injects.
///
/// Faults are checked in this order on each request that carries the key (request numbers start at 1):
/// invalid (``isInvalid`` or past ``invalidAfter``) → 401; ``connectionResets`` → the transport throws
/// `TransportError.connectionReset`; ``failures`` → ``failureStatus``; the limits → 429 (consumes nothing);
/// then the request consumes one use of every limit and may still be answered with a ``redirects`` 3xx, a
/// ``malformedBodies`` 200 or an ``oversizedBodies`` 200 before the normal answer. Every answer, errors included,
/// waits for a ``latency`` draw, plus ``hangDuration`` when ``hangs`` strikes.
public struct SimulatedKeyBehaviour: Hashable, Sendable {
    /// The key's public label, used in the request log; `nil` means the SDK's default for an `APIKey` without a
    /// label (`key-` and the first 8 hex digits of the secret's SHA-256), so logs match the rotator's key ids.
    public var label: String?
    /// The limits the provider enforces on the key. Default none.
    public var limits: [SimulatedLimit]
    /// What a 429 says in `Retry-After`. Default ``SimulatedRetryAfter/flavourDefault``.
    public var retryAfter: SimulatedRetryAfter
    /// Whether every request with the key is answered 401. Default `false`.
    public var isInvalid: Bool
    /// The key turns invalid (401) after this many requests. Default `nil` (never).
    public var invalidAfter: Int?
    /// When the provider answers ``failureStatus`` instead of serving (flapping). Default never.
    public var failures: SimulatedOccurrence
    /// The status of an injected failure. Default 503.
    public var failureStatus: Int
    /// When the transport throws a connection reset instead of answering. Default never.
    public var connectionResets: SimulatedOccurrence
    /// How long each answer takes. Default ``SimulatedLatency/zero``.
    public var latency: SimulatedLatency
    /// When a request hangs for ``hangDuration`` on top of its latency. Default never.
    public var hangs: SimulatedOccurrence
    /// How long a hanging request waits before answering. Default 120 s.
    public var hangDuration: Duration
    /// When a served request gets a 3xx with a `Location` header instead of its answer. Default never.
    public var redirects: SimulatedOccurrence
    /// The `Location` of injected redirects. Default `https://redirect.invalid/elsewhere`.
    public var redirectLocation: String
    /// When a served request gets a 200 whose JSON is cut short. Default never.
    public var malformedBodies: SimulatedOccurrence
    /// When a served request gets a 200 of ``oversizedBodyBytes`` bytes. Default never.
    public var oversizedBodies: SimulatedOccurrence
    /// The size of an oversized body. Default 16 MiB.
    public var oversizedBodyBytes: Int

    /// Creates a behaviour; every parameter has the default its property documents.
    public init(
        label: String? = nil,
        limits: [SimulatedLimit] = [],
        retryAfter: SimulatedRetryAfter = .flavourDefault,
        isInvalid: Bool = false,
        invalidAfter: Int? = nil,
        failures: SimulatedOccurrence = .never,
        failureStatus: Int = 503,
        connectionResets: SimulatedOccurrence = .never,
        latency: SimulatedLatency = .zero,
        hangs: SimulatedOccurrence = .never,
        hangDuration: Duration = .seconds(120),
        redirects: SimulatedOccurrence = .never,
        redirectLocation: String = "https://redirect.invalid/elsewhere",
        malformedBodies: SimulatedOccurrence = .never,
        oversizedBodies: SimulatedOccurrence = .never,
        oversizedBodyBytes: Int = 16 * 1024 * 1024
    ) {
        precondition(invalidAfter.map { $0 >= 0 } ?? true, "invalidAfter is at least 0")
        precondition((500...599).contains(failureStatus) || (400...499).contains(failureStatus), "a failure is 4xx/5xx")
        precondition(hangDuration >= .zero && oversizedBodyBytes >= 0, "durations and sizes are not negative")
        self.label = label
        self.limits = limits
        self.retryAfter = retryAfter
        self.isInvalid = isInvalid
        self.invalidAfter = invalidAfter
        self.failures = failures
        self.failureStatus = failureStatus
        self.connectionResets = connectionResets
        self.latency = latency
        self.hangs = hangs
        self.hangDuration = hangDuration
        self.redirects = redirects
        self.redirectLocation = redirectLocation
        self.malformedBodies = malformedBodies
        self.oversizedBodies = oversizedBodies
        self.oversizedBodyBytes = oversizedBodyBytes
    }

    /// A key with no limits and no faults.
    public static func healthy(label: String? = nil) -> Self {
        Self(label: label)
    }

    /// A key the provider always refuses with 401.
    public static func invalid(label: String? = nil) -> Self {
        Self(label: label, isInvalid: true)
    }

    /// VirusTotal's public tier: 4 requests per UTC minute and 500 per UTC day.
    public static func virusTotalPublic(label: String? = nil) -> Self {
        Self(label: label, limits: [.fixedWindow(4, per: .minute), .fixedWindow(500, per: .day)])
    }
}

extension SimulatedProvider {
    /// How the provider treats one key; see ``SimulatedKeyBehaviour``.
    public typealias KeyBehaviour = SimulatedKeyBehaviour
}
