/// How one lookup may be served: from the cache or not, and what to do when every key is limited.
public struct LookupOptions: Hashable, Sendable {
    /// Skip the store and the in-memory cache and ask VirusTotal (the answer is stored). Default `false`.
    public var forceRefresh: Bool
    /// How long to wait for a key when every key is limited; `nil` uses the client's
    /// ``VirusTotalClient/Configuration-swift.struct/lookupTimeout``. Default `nil`.
    public var maximumWait: Duration?
    /// When every key is limited past ``maximumWait``, put the lookup in the persistent request queue and answer
    /// ``LookupResult/Status-swift.enum/queued(eta:)`` instead of failing. Needs a store. Default `false`.
    public var queuesWhenLimited: Bool

    /// Creates options; every parameter has the default its property documents.
    public init(forceRefresh: Bool = false, maximumWait: Duration? = nil, queuesWhenLimited: Bool = false) {
        precondition(maximumWait.map { $0 >= .zero } ?? true, "maximumWait can't be negative")
        self.forceRefresh = forceRefresh
        self.maximumWait = maximumWait
        self.queuesWhenLimited = queuesWhenLimited
    }

    /// Wait for a key as long as the client's lookup timeout allows; use the cache.
    public static let `default` = Self()

    /// Ask VirusTotal even if a fresh report is stored.
    public static let refresh = Self(forceRefresh: true)

    /// Don't wait: when every key is limited now, queue the lookup and answer `queued(eta:)`.
    public static let queueIfLimited = Self(maximumWait: .zero, queuesWhenLimited: true)
}
