import Aptos
import Foundation
public import KeyRotation
public import KeyRotationHTTP

/// Sorts a Nodit response into an outcome class (PROVIDERS.md §3).
///
/// Nodit answers in two dialects on one host: its own `{"code", "message"}` (gateway, Web3 Data API) and the
/// node's AptosError (`error_code`), which goes to `AptosClassifier`. Codes decide, not texts.
public enum NoditClassifier: Sendable {
    /// Classifies a response from any Nodit surface: node API, Web3 Data API or Indexer GraphQL.
    ///
    /// A 200 carrying GraphQL `errors` is a bad request (the query is wrong, not the key). `EXCEEDED_QUOTA_LIMIT`
    /// parks the key until the instant `Retry-After` gives (seconds need `now`; a date does not), else until the next
    /// 00:00 UTC (when `now` is known), else `nil` so the rotator infers the reset from the key's configured window.
    ///
    /// - Parameters:
    ///   - response: The response.
    ///   - now: The current instant, to turn `Retry-After` seconds into a reset instant and a date into a delay.
    /// - Returns: The class, with Nodit's (or the node's) code and message.
    public static func classify(_ response: HTTPResponse, now: Timestamp? = nil) -> Classification {
        let status = response.status
        if (200..<300).contains(status) {
            if let error = Self.graphQLError(in: response.body) {
                return Classification(.badRequest, providerCode: error.code, message: error.message)
            }
            return Classification(.success)
        }
        guard let body = NoditAPIError.Body(response.body) else {
            return AptosClassifier.classify(response, now: now)
        }
        let code = NoditAPIError.Code(rawValue: body.code)
        let retryAfter = RetryAfter(response.headers, now: now)
        let kind: ResponseClass
        switch code {
        case .authenticationFailed: kind = .invalidKey
        case .permissionDenied: kind = .forbidden
        case .resourceNotFound: kind = .notFound
        case .tooManyRequests: kind = .rateLimited(retryAfter: retryAfter?.delay)
        case .exceededQuotaLimit:
            // Without Retry-After: allowances reset at 00:00 UTC (daily on Starter, the 1st on paid plans); park the
            // key until the next midnight, and again after it if the month's allowance is what ran out.
            kind = .quotaExhausted(resetAt: retryAfter?.instant ?? now.map { CalendarPeriod.day.end(containing: $0) })
        case .timeout, .internalServerError, .interrupted, .unavailable: kind = .transient
        case .noAuthenticationFound, .wrongEndpoint, .notSupportedChain, .missingRequiredParameter,
            .invalidParameter, .wrongRangeParameter, .deprecatedOperation, .methodNotAllowed, .resourceAlreadyExists,
            .rejected, .contentsTooLarge, .tooLongURI:
            kind = .badRequest
        default: kind = AptosClassifier.classify(status: status, headers: response.headers, now: now)
        }
        return Classification(kind, providerCode: body.code, message: body.message)
    }

    private struct GraphQLErrors: Decodable {
        struct Entry: Decodable {
            struct Extensions: Decodable {
                var code: String?
            }
            var message: String?
            var extensions: Extensions?
        }
        var errors: [Entry]?
    }

    /// The first GraphQL error of a 200 body (`{"errors": [...]}`), if there is one.
    private static func graphQLError(in body: Data) -> (code: String?, message: String?)? {
        // Cheap pre-check: only bodies that mention "errors" can carry GraphQL errors.
        guard body.count < 1 << 20, body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == 0x7B,
            body.range(of: Data("\"errors\"".utf8)) != nil,
            let decoded = try? JSONDecoder().decode(GraphQLErrors.self, from: body),
            let first = decoded.errors?.first
        else { return nil }
        return (first.extensions?.code, first.message)
    }
}
