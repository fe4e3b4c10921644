import Foundation
import KeyRotation
public import KeyRotationHTTP
import Synchronization

/// A client of the Aptos node API over one or more endpoints (Aptos Labs, Nodit, a node of your own), each with
/// its own key pool.
///
/// Endpoints are tried in order. One whose pool can't serve now (every key limited, parked or invalid) or that
/// keeps failing is skipped for the next one that can serve; it gets requests again as soon as it recovers
/// (endpoints are always tried in order). Not-found, pruned and bad-request answers are results: they are thrown
/// as ``AptosAPIError`` and never move a request to another endpoint.
///
/// ```swift
/// let keys = try KeySource.environment(prefix: "APTOS").keys()
/// let client = AptosClient(endpoints: [.aptosLabs(network: .mainnet, rotator: KeyRotator(keys: keys))])
/// let ledger = try await client.ledgerInfo()
/// print(ledger.value.ledgerVersion)
/// ```
public final class AptosClient<C: Clock>: Sendable where C.Duration == Duration {
    /// How requests are retried and failed over.
    public struct Configuration: Hashable, Sendable {
        /// How long a request may wait for a key and retry when the caller gives no deadline. Default 120 s.
        public var requestTimeout: Duration = .seconds(120)
        /// Retries on one endpoint (the rotating client's configuration); its `defaultTimeout` is unused.
        public var retry: RotatingClient<C>.Configuration = .init()
        /// How long a failing keyless endpoint is skipped first; doubles per failure in a row. Default 1 s.
        public var endpointInitialBackoff: Duration = .seconds(1)
        /// The longest a failing endpoint is skipped. Default 60 s.
        public var endpointMaximumBackoff: Duration = .seconds(60)
        /// When a node answers that it pruned the data and names an archival endpoint on its own site (the same
        /// domain, such as `aptoslabs.com`), ask there once, with the same key pool. Default `false`: the pruned
        /// error is the answer. Endpoints on another site are never followed (a response must not send a key
        /// elsewhere). The transport must allow the archival host: the `ContinuousClock` initializer allows each
        /// endpoint's domain when this is on.
        public var followsArchivalEndpoint = false

        /// The defaults.
        public init() {}
    }

    /// The endpoints, in order of preference.
    public let endpoints: [AptosEndpoint<C>]
    /// Retries and failover.
    public let configuration: Configuration
    /// The clock every wait is measured on.
    public let clock: C
    private let clients: [RotatingClient<C>]
    private let health: Mutex<[EndpointHealth]>

    private struct EndpointHealth: Sendable {
        var skipUntil: C.Instant?
        var failuresInARow = 0
    }

    /// Creates a client over `endpoints` that sends through `transport` and measures time on `clock` (tests pass a
    /// `SimulatedProvider` and a `TestClock`).
    package init(
        endpoints: [AptosEndpoint<C>],
        transport: any HTTPTransport,
        clock: C,
        configuration: Configuration = .init(),
        seed: UInt64 = .random(in: .min ... .max)
    ) {
        precondition(!endpoints.isEmpty, "an AptosClient needs at least one endpoint")
        self.endpoints = endpoints
        self.configuration = configuration
        self.clock = clock
        var retry = configuration.retry
        retry.defaultTimeout = configuration.requestTimeout
        self.clients = endpoints.enumerated().map { index, endpoint in
            RotatingClient(
                profile: endpoint.profile,
                rotator: endpoint.rotator,
                transport: transport,
                clock: clock,
                configuration: retry,
                seed: seed &+ UInt64(index)
            )
        }
        self.health = Mutex(Array(repeating: EndpointHealth(), count: endpoints.count))
    }

    // MARK: Sending

    /// A request in endpoint-independent terms: built against each endpoint's base URL when sent there.
    package struct Request: Sendable {
        var method: HTTPMethod = .get
        /// The path under the base URL, already percent-encoded (`/accounts/0x1/resource/0x1%3A%3A…`).
        var path: String
        var query: [(String, String)] = []
        var body: Data? = nil
    }

    /// What came back from the endpoint that served a request.
    package struct Sent: Sendable {
        var result: RotatingClient<C>.Result
        var endpoint: String
        /// Whether the archival endpoint a pruned answer named gave this result.
        var isFromArchivalEndpoint = false

        var ledger: LedgerHeaders { LedgerHeaders(self.result.response) }
    }

    /// Sends `request` to the first endpoint that can serve it, failing over as the type's discussion says.
    ///
    /// - Throws: `RotatingClientError` when no endpoint could serve before the deadline (the error of the endpoint
    ///   that could serve soonest); `CancellationError` when cancelled.
    package func send(_ request: Request, deadline: C.Instant? = nil) async throws -> Sent {
        let deadline = deadline ?? self.clock.now.advanced(by: self.configuration.requestTimeout)
        if self.endpoints.count == 1 { return try await self.send(request, to: 0, deadline: deadline) }

        // First pass, in order: every endpoint that can serve now, without waiting for keys.
        var lastError: (any Error)?
        for index in self.endpoints.indices {
            try Task.checkCancellation()
            let now = self.clock.now
            if self.readyAt(index, now: now) != nil { continue }
            do {
                let sent = try await self.send(request, to: index, deadline: now)
                self.recordSuccess(index)
                return sent
            } catch let error as RotatingClientError where Self.isFailover(error) {
                self.recordFailure(index, error: error)
                lastError = error
            }
        }
        // Nobody can serve now: wait on the endpoint that can serve soonest.
        let now = self.clock.now
        let candidates = self.endpoints.indices.map { ($0, self.readyAt($0, now: now) ?? now) }
        let (index, ready) = candidates.min { $0.1 < $1.1 }!
        if ready > now {
            guard ready <= deadline else {
                if let lastError { throw lastError }
                throw RotatingClientError(
                    .allKeysLimited,
                    message: "no endpoint can serve before the deadline",
                    provider: self.endpoints[index].name
                )
            }
            try await self.clock.sleep(until: ready, tolerance: nil)
        }
        do {
            let sent = try await self.send(request, to: index, deadline: deadline)
            self.recordSuccess(index)
            return sent
        } catch let error as RotatingClientError where Self.isFailover(error) {
            self.recordFailure(index, error: error)
            throw error
        }
    }

    private func send(_ request: Request, to index: Int, deadline: C.Instant) async throws -> Sent {
        let endpoint = self.endpoints[index]
        let built = endpoint.profile.request(
            request.method,
            request.path,
            query: request.query,
            body: request.body,
            isSafeToRetry: request.method == .post && request.path == "/view"
        )
        let result = try await self.clients[index].send(built, deadline: deadline)
        if self.configuration.followsArchivalEndpoint, case .pruned = result.classification.kind,
            let archival = Self.archivalRequest(for: built, after: result.response, base: endpoint.profile.baseURL)
        {
            let archived = try await self.clients[index].send(archival, deadline: deadline)
            return Sent(result: archived, endpoint: "\(endpoint.name) (archival)", isFromArchivalEndpoint: true)
        }
        return Sent(result: result, endpoint: endpoint.name)
    }

    /// `request` sent to the archival endpoint a pruned answer names, when that endpoint is on the same site as
    /// `base` (see ``site(of:)``); else `nil`.
    static func archivalRequest(for request: HTTPRequest, after response: HTTPResponse, base: URL) -> HTTPRequest? {
        guard let error = AptosAPIError(response: response), let archival = error.archivalEndpoint,
            let archivalHost = archival.host?.lowercased(), let baseHost = base.host?.lowercased(),
            let site = Self.site(of: baseHost), Self.site(of: archivalHost) == site,
            archival.scheme?.lowercased() == base.scheme?.lowercased(),
            var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false),
            let target = URLComponents(url: archival, resolvingAgainstBaseURL: false)
        else { return nil }
        // The path under the base URL, moved under the archival endpoint's path.
        let basePath = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        guard components.percentEncodedPath.hasPrefix(basePath) else { return nil }
        let relative = components.percentEncodedPath.dropFirst(basePath.count)
        let targetPath =
            target.percentEncodedPath.hasSuffix("/")
            ? String(target.percentEncodedPath.dropLast()) : target.percentEncodedPath
        components.scheme = target.scheme
        components.host = target.host
        components.port = target.port
        components.percentEncodedPath = targetPath + relative
        guard let url = components.url else { return nil }
        var moved = request
        moved.url = url
        return moved
    }

    /// A host's site: the host itself for an IP address or a single label, else its last two labels
    /// (`api.mainnet.aptoslabs.com` → `aptoslabs.com`).
    package static func site(of host: String) -> String? {
        let host = host.hasSuffix(".") ? String(host.dropLast()) : host
        guard !host.isEmpty else { return nil }
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) { return host }
        let labels = host.split(separator: ".")
        return labels.count <= 2 ? host : labels.suffix(2).joined(separator: ".")
    }

    /// When endpoint `index` can serve again, or `nil` if it can now (as far as the client knows).
    private func readyAt(_ index: Int, now: C.Instant) -> C.Instant? {
        var ready = self.health.withLock { $0[index].skipUntil }
        if let until = ready, until <= now { ready = nil }
        if let rotator = self.endpoints[index].rotator, let eta = rotator.eta(), eta > now {
            ready = max(ready ?? eta, eta)
        }
        return ready
    }

    private static func isFailover(_ error: RotatingClientError) -> Bool {
        error.code == .allKeysLimited || error.code == .noUsableKey || error.code == .attemptsExhausted
            || error.code == .deadlineExceeded
    }

    private func recordSuccess(_ index: Int) {
        self.health.withLock { $0[index] = EndpointHealth() }
    }

    private func recordFailure(_ index: Int, error: RotatingClientError) {
        let now = self.clock.now
        let rotator = self.endpoints[index].rotator
        let eta = error.eta.flatMap { eta in rotator.map { $0.instant(eta) } }
        self.health.withLock { health in
            health[index].failuresInARow += 1
            // A keyed pool knows when it can serve (its rotator's ETA); a keyless endpoint or a failing one backs off.
            if let eta, eta > now {
                health[index].skipUntil = eta
            } else if rotator == nil || error.code != .allKeysLimited {
                let exponent = min(health[index].failuresInARow - 1, 16)
                let pause = min(
                    self.configuration.endpointMaximumBackoff,
                    self.configuration.endpointInitialBackoff * (1 << exponent)
                )
                health[index].skipUntil = now.advanced(by: pause)
            }
        }
    }

    // MARK: Decoding

    /// Sends `request` and decodes a 200 body as `T`; an error answer is thrown as ``AptosAPIError``.
    package func fetch<T: Decodable & Sendable>(
        _ type: T.Type,
        _ request: Request,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<T> {
        let sent = try await self.send(request, deadline: deadline)
        return try Self.decode(type, sent)
    }

    package static func decode<T: Decodable & Sendable>(_ type: T.Type, _ sent: Sent) throws -> AptosResponse<T> {
        let response = sent.result.response
        guard case .success = sent.result.classification.kind, (200..<300).contains(response.status) else {
            if var error = AptosAPIError(response: response) {
                error.isFromArchivalEndpoint = sent.isFromArchivalEndpoint
                throw error
            }
            throw AptosClientError(
                .unexpectedResponse,
                "the node answered HTTP \(response.status)"
                    + (sent.result.classification.message.map { ": \($0)" } ?? "")
                    + (sent.result.classification.kind == .forbidden
                        ? "; the key lacks this feature or plan" : ""),
                status: response.status,
                endpoint: sent.endpoint
            )
        }
        do {
            let value = try JSONDecoder().decode(T.self, from: response.body)
            return AptosResponse(
                value: value,
                ledger: sent.ledger,
                endpoint: sent.endpoint,
                keyID: sent.result.keyID,
                attempts: sent.result.attempts
            )
        } catch {
            throw AptosClientError(
                .decodingFailed,
                "cannot decode the answer as \(T.self): \(error)",
                status: response.status,
                endpoint: sent.endpoint
            )
        }
    }
}

extension AptosClient where C == ContinuousClock {
    /// Creates a client over `endpoints` that sends through `CurlTransport` (Linux) or `URLSessionTransport`, allowing every endpoint's host.
    ///
    /// - Parameters:
    ///   - endpoints: The endpoints, in order of preference.
    ///   - configuration: Retries and failover.
    ///   - policy: Timeouts and size caps; the endpoints' hosts are added to its allowlist.
    public convenience init(
        endpoints: [AptosEndpoint<ContinuousClock>],
        configuration: Configuration = .init(),
        policy: TransportPolicy = TransportPolicy()
    ) {
        var policy = policy
        for endpoint in endpoints {
            policy = endpoint.profile.transportPolicy(policy)
            if configuration.followsArchivalEndpoint, let host = endpoint.profile.baseURL.host?.lowercased(),
                let site = Self.site(of: host), site != host
            {
                policy.allowedDomains.insert(site)
            }
        }
        self.init(
            endpoints: endpoints,
            transport: makeDefaultTransport(policy: policy),
            clock: ContinuousClock(),
            configuration: configuration
        )
    }
}
