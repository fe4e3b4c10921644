import Foundation
import KeyRotation
import KeyRotationHTTP

/// A provider described in a small `key = value` file, so any key-metered API can go behind `keyrotation serve`:
///
/// ```
/// # my-api.conf
/// name = MyAPI
/// base_url = https://api.example.com/v1
/// auth = header X-Api-Key        # or: bearer, query api_key
/// key_prefix = MYAPI             # keys from MYAPI_API_KEYS, MYAPI_API_KEY, MYAPI_API_KEY_1…
/// limits = 10/s,1000/day         # per key, as --key-rate
/// rate_limited = 429             # statuses that mean "slow down" (Retry-After honoured)
/// quota_exhausted = 402          # the key's quota is spent
/// invalid_key = 401,403
/// transient = 500,502,503,504
/// not_found = 404
/// cacheable = /reports/,/items/  # GET path prefixes served from memory
/// cache_ttl = 300                # seconds
/// ```
///
/// Blank lines and `#` comments are ignored; unknown keys and bad values are errors that name the line.
struct CustomProvider: Sendable {
    var name = "custom"
    var baseURL: URL
    var authentication: ProviderProfile.Authentication = .bearer
    var keyPrefix = "CUSTOM"
    var limits: [RateLimit] = []
    var statuses: [Int: ResponseClass] = [429: .rateLimited(retryAfter: nil), 401: .invalidKey, 403: .invalidKey]
    var cacheablePrefixes: [String] = []
    var cacheTTL: Duration = .seconds(300)

    /// Reads `text` (the file's contents).
    ///
    /// - Throws: ``UsageError`` naming the line and what is expected.
    init(parsing text: String) throws(UsageError) {
        var baseURL: URL?
        var fields: [String: (line: Int, value: String)] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.firstIndex(of: "#").map { raw[..<$0] } ?? raw[...]).trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw UsageError("provider file line \(number + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            fields[key] = (number + 1, line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        func fail(_ key: String, _ expected: String) -> UsageError {
            UsageError("provider file line \(fields[key]?.line ?? 0): \(key) \(expected)")
        }
        self.baseURL = URL(fileURLWithPath: "/")
        for (key, field) in fields.sorted(by: { $0.value.line < $1.value.line }) {
            let value = field.value
            switch key {
            case "name": self.name = value
            case "base_url":
                guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host,
                    scheme == "https" || (scheme == "http" && TransportPolicy.isLoopback(host: host))
                else { throw fail(key, "must be an https URL (plain http only for loopback hosts)") }
                baseURL = url
            case "auth":
                let words = value.split(separator: " ").map(String.init)
                switch (words.first?.lowercased(), words.count) {
                case ("bearer", 1): self.authentication = .bearer
                case ("header", 2): self.authentication = .header(words[1])
                case ("query", 2): self.authentication = .query(words[1])
                default: throw fail(key, "must be 'bearer', 'header NAME' or 'query NAME'")
                }
            case "key_prefix":
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") })
                else { throw fail(key, "must be upper-case letters, digits and _ (MYAPI)") }
                self.keyPrefix = value
            case "limits":
                do { self.limits = try RateLimit.parseList(value) } catch {
                    throw fail(key, "is not a limit list such as 10/s,1000/day: \(error)")
                }
            case "rate_limited", "quota_exhausted", "invalid_key", "transient", "not_found", "bad_request":
                let kind: ResponseClass =
                    switch key {
                    case "rate_limited": .rateLimited(retryAfter: nil)
                    case "quota_exhausted": .quotaExhausted(resetAt: nil)
                    case "invalid_key": .invalidKey
                    case "transient": .transient
                    case "not_found": .notFound
                    default: .badRequest
                    }
                for item in value.split(separator: ",") {
                    guard let status = Int(item.trimmingCharacters(in: .whitespaces)), (100...599).contains(status)
                    else { throw fail(key, "must list HTTP statuses such as 429,503") }
                    self.statuses[status] = kind
                }
            case "cacheable":
                self.cacheablePrefixes = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "cache_ttl":
                guard let seconds = Int(value), seconds > 0 else { throw fail(key, "must be whole seconds, > 0") }
                self.cacheTTL = .seconds(seconds)
            default:
                throw UsageError(
                    "provider file line \(field.line): unknown key '\(UsageError.isSafeToEcho(key) ? key : "…")'"
                )
            }
        }
        guard let baseURL else { throw UsageError("provider file: base_url is required") }
        self.baseURL = baseURL
    }

    /// The profile: base URL, authentication, statuses as configured (others read as ``ProviderProfile/classifyByStatus(_:)``).
    var profile: ProviderProfile {
        let statuses = self.statuses
        return ProviderProfile(
            name: self.name,
            baseURL: self.baseURL,
            authentication: self.authentication,
            classify: { response, now in
                switch statuses[response.status] {
                case .rateLimited?:
                    let retryAfter = response.headers["Retry-After"].flatMap {
                        RateLimitHeaders.retryAfter($0, now: now)
                    }
                    return Classification(.rateLimited(retryAfter: retryAfter))
                case let kind?: return Classification(kind)
                case nil: return ProviderProfile.classifyByStatus(response)
                }
            }
        )
    }
}
