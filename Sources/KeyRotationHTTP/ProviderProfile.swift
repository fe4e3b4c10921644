public import Foundation
public import KeyRotation

/// What the HTTP layer knows about one provider: where it lives, how a key goes on a request, which hosts may be
/// contacted, and what its responses mean.
public struct ProviderProfile: Sendable {
    /// How a key is applied to a request.
    public struct Authentication: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case header(String)
            case bearer
            case pathSegment
            case query(String)
            case none
        }
        let wrapped: Wrapped

        /// The key in a header, such as VirusTotal's `x-apikey` or Nodit's `X-API-KEY`.
        public static func header(_ name: String) -> Self { Self(wrapped: .header(name)) }
        /// `Authorization: Bearer <key>` (Aptos Labs).
        public static let bearer = Self(wrapped: .bearer)
        /// The key as the first path segment (Nodit's `https://host/<key>/v1/…`); logs and errors show the host only.
        public static let pathSegment = Self(wrapped: .pathSegment)
        /// The key as a query parameter (`?apikey=<key>`); logs and errors show the path only.
        public static func query(_ name: String) -> Self { Self(wrapped: .query(name)) }
        /// No key (a user's own node).
        public static let none = Self(wrapped: .none)

        public var description: String {
            switch self.wrapped {
            case .header(let name): "header \(name)"
            case .bearer: "bearer token"
            case .pathSegment: "path segment"
            case .query(let name): "query parameter \(name)"
            case .none: "none"
            }
        }

        /// Puts `key` on `request` (and removes any other credential).
        package func apply(_ lease: Lease?, to request: inout HTTPRequest) {
            guard let secret = lease?.secret else { return }
            switch self.wrapped {
            case .header(let name): request.headers.replaceOrAdd(name: name, value: secret)
            case .bearer: request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(secret)")
            case .pathSegment:
                guard var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) else { return }
                let encoded = secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? secret
                components.percentEncodedPath = "/" + encoded + components.percentEncodedPath
                if let url = components.url { request.url = url }
            case .query(let name):
                guard var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) else { return }
                var items = (components.queryItems ?? []).filter { $0.name != name }
                items.append(URLQueryItem(name: name, value: secret))
                components.queryItems = items
                // `+` would read as a space in a query.
                components.percentEncodedQuery = components.percentEncodedQuery?
                    .replacingOccurrences(of: "+", with: "%2B")
                if let url = components.url { request.url = url }
            case .none: break
            }
        }
    }

    /// A short name for messages (`VirusTotal`, `Aptos`, `Nodit`).
    public var name: String
    /// The base URL every path is resolved against (`https://www.virustotal.com/api/v3`).
    public var baseURL: URL
    /// How keys are applied.
    public var authentication: Authentication
    /// Hosts requests may go to. Default: the base URL's host.
    public var allowedHosts: Set<String>
    /// Headers every request carries (`Accept: application/json`).
    public var defaultHeaders: HTTPHeaders
    /// What a response means; `now` lets a classifier turn Retry-After into a reset instant.
    public var classify: @Sendable (HTTPResponse, Timestamp) -> Classification
    /// The quota units a request spends from its key's limits (at least 1): 1 by default; a provider that meters
    /// compute units (Nodit) can charge per operation, so `--key-rate 300/s` means 300 units a second.
    public var requestCost: @Sendable (HTTPRequest) -> Int

    /// Creates a profile.
    public init(
        name: String,
        baseURL: URL,
        authentication: Authentication,
        allowedHosts: Set<String>? = nil,
        defaultHeaders: HTTPHeaders = ["Accept": "application/json"],
        classify: @escaping @Sendable (HTTPResponse, Timestamp) -> Classification = { response, _ in
            ProviderProfile.classifyByStatus(response)
        },
        requestCost: @escaping @Sendable (HTTPRequest) -> Int = { _ in 1 }
    ) {
        self.name = name
        self.baseURL = baseURL
        self.authentication = authentication
        self.allowedHosts = allowedHosts ?? Set([baseURL.host?.lowercased()].compactMap { $0 })
        self.defaultHeaders = defaultHeaders
        self.classify = classify
        self.requestCost = requestCost
    }

    /// This profile with every request costing `units` quota units (at least 1).
    public func costing(_ units: Int) -> Self {
        var profile = self
        let units = max(1, units)
        profile.requestCost = { _ in units }
        return profile
    }

    /// The URL for `path` (`/files/abc`) under the base URL, with `query` items in order.
    public func url(_ path: String, query: [(String, String)] = []) -> URL {
        var base = self.baseURL.absoluteString
        if base.hasSuffix("/") { base.removeLast() }
        var components = URLComponents(string: base + (path.hasPrefix("/") ? path : "/" + path))
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return components?.url ?? self.baseURL
    }

    /// A request for `path` with the profile's default headers.
    public func request(
        _ method: HTTPMethod = .get,
        _ path: String,
        query: [(String, String)] = [],
        body: Data? = nil,
        isSafeToRetry: Bool = false
    ) -> HTTPRequest {
        var headers = self.defaultHeaders
        if body != nil { headers.replaceOrAdd(name: "Content-Type", value: "application/json") }
        return HTTPRequest(
            method: method,
            url: self.url(path, query: query),
            headers: headers,
            body: body,
            isSafeToRetry: isSafeToRetry
        )
    }

    /// The transport policy for this profile: its hosts allowed, everything else default.
    public func transportPolicy(_ base: TransportPolicy = TransportPolicy()) -> TransportPolicy {
        var policy = base
        policy.allowedHosts = policy.allowedHosts.union(self.allowedHosts)
        return policy
    }

    /// The generic reading of a status: 2xx success, 404 not found, 401/403 invalid key, 429 rate limited
    /// (with Retry-After), 408 and 5xx transient, other 4xx bad request.
    public static func classifyByStatus(_ response: HTTPResponse) -> Classification {
        switch response.status {
        case 200..<300: return Classification(.success)
        case 404: return Classification(.notFound)
        case 401, 403: return Classification(.invalidKey)
        case 429:
            let retryAfter = response.headers["Retry-After"].flatMap { RateLimitHeaders.retryAfter($0, now: .epoch) }
            return Classification(.rateLimited(retryAfter: retryAfter))
        case 408, 500..<600: return Classification(.transient)
        default: return Classification(.badRequest)
        }
    }
}
