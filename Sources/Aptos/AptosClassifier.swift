public import KeyRotation
public import KeyRotationHTTP

/// Sorts an Aptos node API response into an outcome class (PROVIDERS.md §2).
public enum AptosClassifier: Sendable {
    /// Classifies a response from an Aptos node (Aptos Labs' gateway, or any node).
    ///
    /// 2xx is success; an AptosError body is judged by its `error_code` (`*_not_found` → not found, `*_pruned` or
    /// an `internal_error` saying "is pruned" → pruned, `mempool_is_full` → transient, `rate_limited` → rate
    /// limited); otherwise the status decides: 401 invalid key, 403 forbidden, 408 and 5xx transient, 410 pruned,
    /// 429 (plain text at the gateway) rate limited for `Retry-After` if sent, else `nil`; other 3xx and 4xx are
    /// bad requests.
    ///
    /// - Parameters:
    ///   - response: The response.
    ///   - now: The current instant; only needed to turn a `Retry-After` date into a delay.
    /// - Returns: The class, with the node's `error_code` and message when it sent an AptosError.
    public static func classify(_ response: HTTPResponse, now: Timestamp? = nil) -> Classification {
        let status = response.status
        if (200..<300).contains(status) { return Classification(.success) }
        guard let error = AptosError(body: response.body) else {
            let text = response.bodyText()
            return Classification(
                Self.classify(status: status, headers: response.headers, now: now),
                message: text.isEmpty ? nil : text
            )
        }
        let code = AptosAPIError.Code(rawValue: error.errorCode)
        let kind: ResponseClass
        if error.isPruned || status == 410 {
            kind = .pruned
        } else if code == .mempoolIsFull {
            kind = .transient
        } else if code == .rateLimited || status == 429 {
            kind = .rateLimited(retryAfter: RetryAfter(response.headers, now: now)?.delay)
        } else if status == 404 && code.isNotFound {
            kind = .notFound
        } else if (500..<600).contains(status) {
            kind = .transient
        } else {
            kind = Self.classify(status: status, headers: response.headers, now: now)
        }
        return Classification(kind, providerCode: error.errorCode, message: error.message)
    }

    /// The class a status alone gives, for bodies that are not an AptosError.
    package static func classify(status: Int, headers: HTTPHeaders, now: Timestamp?) -> ResponseClass {
        switch status {
        case 200..<300: .success
        case 401: .invalidKey
        case 403: .forbidden
        case 408, 500..<600: .transient
        case 410: .pruned
        case 429: .rateLimited(retryAfter: RetryAfter(headers, now: now)?.delay)
        default: .badRequest
        }
    }
}
