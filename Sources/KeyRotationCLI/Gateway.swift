import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationServer

/// What `keyrotation serve` does with each request: checks the caller's token, answers `/healthz` and `/metrics`,
/// and forwards `GET` and `POST` under its prefix to the provider through a ``RotatingClient`` (key picked and
/// applied, limits, health, retries). The caller never sends or sees a key.
struct Gateway: Sendable {
    /// Everything the gateway needs.
    struct Configuration: Sendable {
        /// The provider's name on the command line (`vt`), for metrics labels.
        var provider: String
        /// Requests under this path go upstream, the prefix removed (`/vt/files/abc` → `<base>/files/abc`).
        var prefix: String
        /// The bearer token callers must send; `nil`: none required (loopback or a Unix socket only).
        var token: String?
        /// How long a request may retry on other keys (after a 5xx, a 429) once a key was free when it came.
        /// Default 5 s.
        var retryBudget: Duration = .seconds(5)
        /// The longest `Prefer: wait=N` honoured. Default 300 s.
        var maximumWait: Duration = .seconds(300)
        /// The secrets, removed from anything the upstream answers (a provider may echo a key).
        var secrets: [String]
        /// How long a cacheable answer is served from memory; `nil`: no cache.
        var cacheTTL: Duration?
        /// Whether a GET of this path (prefix removed) may be cached.
        var isCacheable: @Sendable (Substring) -> Bool = { _ in false }
    }

    let configuration: Configuration
    let client: RotatingClient<ContinuousClock>
    let metrics: GatewayMetrics
    let cache = ResponseCache<String, ServerResponse, ContinuousClock>(sizer: { $0.body.count })
    let flights = SingleFlight<String, ServerResponse>()

    /// Answers one request.
    func handle(_ request: ServerRequest) async -> ServerResponse {
        let response = await self.route(request)
        self.metrics.count(status: response.status)
        return response
    }

    private func route(_ request: ServerRequest) async -> ServerResponse {
        if request.path == "/healthz" { return .text(200, "ok") }
        guard self.isAuthorized(request) else {
            return .text(
                401,
                "send Authorization: Bearer <KEYROTATION_GATEWAY_TOKEN>",
                headers: [("WWW-Authenticate", "Bearer")]
            )
        }
        if request.path == "/metrics", request.method == "GET" {
            return ServerResponse(
                status: 200,
                headers: [("Content-Type", "text/plain; version=0.0.4")],
                body: Data(self.metrics.render(self.client.rotator).utf8)
            )
        }
        let prefix = self.configuration.prefix
        guard request.path == prefix || request.path.hasPrefix(prefix + "/") else {
            return .text(404, "not found: forwarded paths start with \(prefix)/; also /healthz and /metrics")
        }
        guard request.method == "GET" || request.method == "POST" else {
            return .text(405, "only GET and POST are forwarded", headers: [("Allow", "GET, POST")])
        }
        let path = request.path.dropFirst(prefix.count)
        // Only paths that stay under the base URL: no dot segments, and what URLComponents reads as a path.
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: { $0 == ".." || $0 == "." || $0.lowercased().contains("%2e%2e") }),
            URLComponents(string: "http://gateway" + request.target) != nil
        else {
            return .text(400, "the path must not hold '.' or '..' segments or characters a URL can't carry")
        }
        let wait: Duration
        switch GatewayPreference.wait(request["Prefer"], maximum: self.configuration.maximumWait) {
        case .success(let value): wait = value
        case .failure(let refusal): return .text(refusal.status, refusal.reason)
        }
        let cacheable =
            request.method == "GET" && self.configuration.cacheTTL != nil && self.configuration.isCacheable(path)
        guard cacheable else { return await self.forward(request, path: path, wait: wait) }
        let key = request.target
        if (request["Cache-Control"] ?? "").lowercased().contains("no-cache") == false,
            var cached = self.cache.value(for: key)
        {
            cached.headers.append(("X-Cache", "hit"))
            return cached
        }
        let response =
            (try? await self.flights.run(key: key) {
                await self.forward(request, path: path, wait: wait)
            }) ?? .text(502, "the upstream request failed")
        if response.status == 200, let ttl = self.configuration.cacheTTL {
            self.cache.set(response, for: key, ttl: ttl)
        }
        return response
    }

    /// Whether the caller sent the configured token (compared in constant time), or none is configured.
    private func isAuthorized(_ request: ServerRequest) -> Bool {
        guard let token = self.configuration.token else { return true }
        guard let header = request["Authorization"], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8)
        let expected = Array(token.utf8)
        var difference = given.count ^ expected.count
        for index in 0..<expected.count {
            difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0))
        }
        return difference == 0
    }

    /// Sends the request upstream and turns the answer (or the client's error) into the caller's response.
    private func forward(_ request: ServerRequest, path: Substring, wait: Duration) async -> ServerResponse {
        var outgoing = self.client.profile.request(
            request.method == "POST" ? .post : .get,
            String(path.isEmpty ? "/" : path),
            body: request.method == "POST" ? request.body : nil,
            isSafeToRetry: false
        )
        if !request.query.isEmpty, var components = URLComponents(url: outgoing.url, resolvingAgainstBaseURL: false) {
            components.percentEncodedQuery = String(request.query)
            if let url = components.url { outgoing.url = url }
        }
        for name in ["Content-Type", "Accept"] {
            if let value = request[name] { outgoing.headers.replaceOrAdd(name: name, value: value) }
        }
        // Every key limited past the caller's wait: 429 at once, with the pool's ETA.
        let now = ContinuousClock.now
        if let eta = self.client.rotator?.eta(cost: self.client.profile.requestCost(outgoing)),
            eta > now.advanced(by: wait)
        {
            return self.limited(now.duration(to: eta))
        }
        do {
            // A key is free (or will be within the wait): the request may retry on other keys within the budget.
            let deadline = now.advanced(by: max(wait, self.configuration.retryBudget))
            let result = try await self.client.send(outgoing, deadline: deadline)
            return self.relay(result)
        } catch let error as RotatingClientError {
            return self.refusal(error)
        } catch {
            return .text(502, "the upstream request failed")
        }
    }

    /// Headers worth passing back: content, caching and the provider's own (`X-Aptos-*`, rate-limit headers).
    private static func isRelayed(_ name: String) -> Bool {
        let name = name.lowercased()
        return ["content-type", "etag", "last-modified", "cache-control", "retry-after", "content-language"]
            .contains(name) || name.hasPrefix("x-aptos-") || name.hasPrefix("x-ratelimit-")
    }

    private func relay(_ result: RotatingClient<ContinuousClock>.Result) -> ServerResponse {
        var headers: [(name: String, value: String)] = []
        for field in result.response.headers where Self.isRelayed(field.name) {
            headers.append((field.name, self.redact(field.value)))
        }
        if let keyID = result.keyID { headers.append(("X-KeyRotation-Key-ID", keyID.rawValue)) }
        headers.append(("X-KeyRotation-Attempts", String(result.attempts)))
        return ServerResponse(status: result.response.status, headers: headers, body: self.redact(result.response.body))
    }

    /// The caller's answer when no response came: 429 with the pool's ETA, 503 without a usable key, 502/504 else.
    private func refusal(_ error: RotatingClientError) -> ServerResponse {
        let message = self.redact(error.message)
        switch error.code {
        case .allKeysLimited:
            let now = self.client.rotator?.now()
            return self.limited(error.eta.flatMap { eta in now.map { $0.duration(to: eta) } } ?? .seconds(1))
        case .noUsableKey: return .text(503, "no usable key: \(message)")
        case .deadlineExceeded: return .text(504, message)
        default:
            let status = error.lastStatus.map { " (last status \($0))" } ?? ""
            return .text(502, "\(message)\(status)")
        }
    }

    /// 429 with `Retry-After`: `eta` rounded up to whole seconds (at least 1).
    private func limited(_ eta: Duration) -> ServerResponse {
        let seconds = max(1, Int((eta.nanoseconds + 999_999_999) / 1_000_000_000))
        return .text(
            429,
            "every key is limited: retry after \(seconds) s, or send 'Prefer: wait=N'",
            headers: [("Retry-After", String(seconds))]
        )
    }

    private func redact(_ text: String) -> String {
        self.configuration.secrets.reduce(text) {
            $1.isEmpty ? $0 : $0.replacingOccurrences(of: $1, with: "<redacted>")
        }
    }

    private func redact(_ body: Data) -> Data {
        let secrets = self.configuration.secrets.filter { !$0.isEmpty }
        guard !secrets.isEmpty else { return body }
        let text = String(decoding: body, as: UTF8.self)
        guard secrets.contains(where: { text.contains($0) }) else { return body }
        return Data(self.redact(text).utf8)
    }
}
