public import Foundation
public import KeyRotation
public import KeyRotationHTTP
import KeyRotationStore
import Synchronization

/// Looks up IOCs on VirusTotal API v3 through a pool of keys, keeping every key inside its limits, serving repeats
/// from a store and a memory cache, and queueing what can't run yet.
///
/// A lookup goes: ``IOC/parse(_:)`` (bad input fails here, before any network) → the in-memory cache and the
/// store (an answer younger than ``Configuration-swift.struct/reportTTL`` is served without spending quota) →
/// single-flight (concurrent lookups of one indicator share one request) → the key pool and ``RotatingClient``
/// (`x-apikey`, retries on another key, backoff within the deadline) → decode → store → ``LookupResult``.
///
/// - 404 is ``LookupResult/Status-swift.enum/notFound``, never retried, and cached like a report (so a repeat costs
///   nothing).
/// - 401 and 403 quarantine the key (lookups never need a premium privilege, so a 403 means the key is refused).
/// - 429 cools the key; the request moves to another key only when that key's own limits allow it.
///
/// ```swift
/// let client = try VirusTotalClient(keys: KeySource.environment(prefix: "VT").keys())
/// let result = await client.lookup("example.com")
/// print(result.verdict, result.summary?.shortDescription ?? "", result.link!)
/// ```
public final class VirusTotalClient<C: Clock>: Sendable where C.Duration == Duration {
    /// The queue kind of lookups in the persistent ``RequestQueue``.
    public static var queueKind: String { "vt.lookup" }

    /// How the client behaves.
    public let configuration: Configuration
    /// The key pool.
    public let rotator: KeyRotator<C>
    /// The HTTP client that sends through the pool.
    public let client: RotatingClient<C>
    let clock: C
    /// Answers in memory (TTL + least recently used); `nil` when ``Configuration-swift.struct/memoryCacheEntries``
    /// is 0.
    let cache: ResponseCache<String, CachedAnswer, C>?
    /// Upstream lookups in flight, by ``IOC/cacheKey``.
    let flights = SingleFlight<String, LookupResult>()
    let counters = Mutex(Counters())

    /// Creates a client that sends through `transport` and reads time from `clock` (tests pass a
    /// `SimulatedProvider` and a `TestClock`).
    ///
    /// Keys without limits of their own get ``Configuration-swift.struct/perKeyLimits``.
    ///
    /// - Throws: ``VirusTotalError`` with ``VirusTotalError/Code/noUsableKey`` when `keys` is empty.
    package init(
        keys: [APIKey],
        configuration: Configuration = Configuration(),
        transport: any HTTPTransport,
        clock: C
    ) throws(VirusTotalError) {
        guard !keys.isEmpty else {
            throw VirusTotalError(
                .noUsableKey,
                "no VirusTotal API key: set VT_API_KEYS, VT_API_KEY or VT_API_KEY_1…N (for example VT_API_KEYS=key1,key2)"
            )
        }
        let keys = keys.map { key -> APIKey in
            var key = key
            if key.limits.isEmpty { key.limits = configuration.perKeyLimits }
            return key
        }
        var pool = KeyRotator<C>.Configuration(
            strategy: configuration.strategy,
            health: configuration.health,
            stateStore: configuration.storage?.keyState
        )
        pool.seed = configuration.seed
        var retry = RotatingClient<C>.Configuration()
        retry.maximumAttempts = max(1, configuration.maximumAttempts)
        retry.defaultTimeout = configuration.lookupTimeout
        self.configuration = configuration
        self.clock = clock
        self.cache = Self.makeCache(configuration, clock: clock)
        self.rotator = KeyRotator(keys: keys, configuration: pool, clock: clock)
        self.client = RotatingClient(
            profile: Self.profile(baseURL: configuration.baseURL),
            rotator: self.rotator,
            transport: transport,
            clock: clock,
            configuration: retry,
            seed: configuration.seed
        )
    }

    /// VirusTotal's provider profile: `x-apikey`, classified by ``VirusTotalClassifier``. A 403 `ForbiddenError`
    /// (a premium-only endpoint or privilege) keeps the key and tries the others.
    ///
    /// Every request asks for its own connection (`Connection: close`): on a kept-alive connection the server
    /// dropped after reading a request, libcurl (under Foundation on Linux) sends the request again unseen, and
    /// with 4 lookups a minute one unseen request is a quarter of the key's minute. A fresh TLS connection per
    /// lookup costs nothing at that rate.
    public static func profile(baseURL: URL) -> ProviderProfile {
        ProviderProfile(
            name: "VirusTotal",
            baseURL: baseURL,
            authentication: .header("x-apikey"),
            defaultHeaders: ["Accept": "application/json", "Connection": "close"],
            classify: { response, now in VirusTotalClassifier.classify(response, now: now) }
        )
    }

    // MARK: Lookups

    /// Looks up one indicator.
    ///
    /// Never throws: a bad input, an exhausted pool or a hostile reply is ``LookupResult/Status-swift.enum/failed(_:)``
    /// with a ``VirusTotalError`` that says what to do.
    ///
    /// - Parameters:
    ///   - input: An IP address, domain, URL or file hash, as typed.
    ///   - options: Cache use and what to do when every key is limited. Default ``LookupOptions/default``.
    /// - Returns: How it was served, the report, its summary and verdict, the link and the key that served it.
    public func lookup(_ input: String, options: LookupOptions = .default) async -> LookupResult {
        let ioc: IOC
        do { ioc = try IOC.parse(input) } catch {
            self.count { $0.failures += 1 }
            return LookupResult(input: input, ioc: nil, status: .failed(VirusTotalError(error)))
        }
        return await self.lookup(ioc, input: input, options: options)
    }

    /// Looks up one indicator and returns the body exactly as VirusTotal returned it, for fields the models skip.
    ///
    /// - Returns: The JSON of the report, or `nil` when VirusTotal does not know the indicator.
    /// - Throws: ``VirusTotalError`` when the lookup failed or was queued (``VirusTotalError/Code/allKeysLimited``
    ///   with the ETA).
    public func rawReport(_ input: String, options: LookupOptions = .default) async throws(VirusTotalError) -> Data? {
        let result = await self.lookup(input, options: options)
        switch result.status {
        case .servedLive, .servedFromCache: return result.rawJSON
        case .notFound: return nil
        case .queued(let eta):
            throw VirusTotalError(.allKeysLimited, "every key is limited: the lookup was queued", eta: eta)
        case .failed(let error): throw error
        }
    }

    /// The stored answer for an indicator, however old, without any network: what `keyrotation vt report` shows.
    ///
    /// - Returns: ``LookupResult/Status-swift.enum/servedFromCache`` or ``LookupResult/Status-swift.enum/notFound``;
    ///   ``VirusTotalError/Code/notStored`` when the store has nothing (or there is no store).
    public func storedReport(_ input: String) -> LookupResult {
        let ioc: IOC
        do { ioc = try IOC.parse(input) } catch {
            return LookupResult(input: input, ioc: nil, status: .failed(VirusTotalError(error)))
        }
        let missing = LookupResult(
            input: input,
            ioc: ioc,
            status: .failed(
                VirusTotalError(.notStored, "no stored report for \(ioc): look it up first (keyrotation vt lookup)")
            )
        )
        guard let storage = self.configuration.storage else { return missing }
        do {
            guard let stored = try storage.reports.report(id: ioc.cacheKey, type: Self.storedType(of: ioc)),
                let answer = self.answer(ioc, payload: stored.payload, fetchedAt: stored.fetchedAt, keyID: stored.keyID)
            else { return missing }
            return answer.answering(input)
        } catch {
            return LookupResult(
                input: input,
                ioc: ioc,
                status: .failed(VirusTotalError(.storage, "the store can't be read: \(error)"))
            )
        }
    }

    /// Stored answers, newest first: what `keyrotation vt reports` lists.
    ///
    /// - Parameters:
    ///   - kind: Only this object type (`file`, `domain`, `ip_address`, `url`); `nil` for all.
    ///   - limit: At most this many.
    /// - Throws: ``VirusTotalError`` with ``VirusTotalError/Code/storage``.
    public func storedReports(
        type: VirusTotalReport.ObjectType? = nil,
        limit: Int = 100
    ) throws(VirusTotalError) -> [LookupResult] {
        guard let storage = self.configuration.storage else { return [] }
        let types = type.map { [$0.rawValue] } ?? ["file", "domain", "ip_address", "url"]
        do {
            var all: [StoredReport] = []
            for type in types { all += try storage.reports.list(type: type, limit: max(0, limit)) }
            all.sort { $0.fetchedAt > $1.fetchedAt }
            return all.prefix(max(0, limit)).compactMap { stored in
                guard let ioc = try? IOC.parse(cacheKey: stored.id) else { return nil }
                return self.answer(ioc, payload: stored.payload, fetchedAt: stored.fetchedAt, keyID: stored.keyID)
            }
        } catch {
            throw VirusTotalError(.storage, "the store can't be read: \(error)")
        }
    }

    func lookup(_ ioc: IOC, input: String, options: LookupOptions) async -> LookupResult {
        self.count { $0.lookups += 1 }
        if !options.forceRefresh, let cached = self.cachedAnswer(for: ioc) {
            self.count { $0.cacheHits += 1 }
            return cached.answering(input)
        }
        let result = await self.shared(ioc) {
            await self.fetch(ioc, options: options, queueItem: nil)
        }
        return result.answering(input)
    }

    // MARK: Statistics

    /// A snapshot: lookups, cache hit ratio, queue depth, cache size, failures, key rotations, and every key's
    /// id, state and remaining quota.
    public func statistics() -> VirusTotalStatistics {
        let pool = self.rotator.statistics()
        let counters = self.counters.withLock { $0 }
        let storage = self.configuration.storage
        return VirusTotalStatistics(
            totalRequests: counters.lookups,
            upstreamRequests: counters.upstream,
            cacheHits: counters.cacheHits,
            queueDepth: (try? storage?.requests.count(kind: Self.queueKind)) ?? 0,
            cacheSize: self.cache?.count ?? 0,
            storedReports: (try? storage?.reports.count()) ?? 0,
            failedRequests: counters.failures,
            keyRotations: pool.rotations,
            keys: pool.keys.map { key in
                VirusTotalStatistics.Key(
                    id: key.id,
                    state: key.state.name,
                    uses: key.uses,
                    remainingQuota: self.remainingQuota(of: key.id, pool: key.remaining.compactMap(\.remaining).min())
                )
            }
        )
    }

    /// Empties the in-memory cache. Stored reports stay; look up with ``LookupOptions/refresh`` to replace one.
    public func clearCache() {
        self.cache?.removeAll()
    }
}

extension VirusTotalClient where C == ContinuousClock {
    /// Creates a client on the continuous clock that sends through `CurlTransport` (Linux) or `URLSessionTransport` (timeouts, size cap, no
    /// redirects, only VirusTotal's host or loopback).
    ///
    /// - Parameters:
    ///   - keys: The pool; keys without limits of their own get ``Configuration-swift.struct/perKeyLimits``.
    ///   - configuration: Limits, strategy, store, base URL. Default the free tier without a store.
    /// - Throws: ``VirusTotalError`` with ``VirusTotalError/Code/noUsableKey`` when `keys` is empty.
    public convenience init(keys: [APIKey], configuration: Configuration = Configuration()) throws(VirusTotalError) {
        let profile = Self.profile(baseURL: configuration.baseURL)
        try self.init(
            keys: keys,
            configuration: configuration,
            transport: makeDefaultTransport(policy: profile.transportPolicy(configuration.transportPolicy)),
            clock: ContinuousClock()
        )
    }
}
