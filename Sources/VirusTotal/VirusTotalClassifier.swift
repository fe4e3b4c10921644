import Foundation
public import KeyRotation
public import KeyRotationHTTP

/// Reads a VirusTotal answer as an outcome class (PROVIDERS.md §1): on `error.code`, never on the message text.
///
/// Only 200 is success. A JSON error body (`{"error":{"code","message"}}`) is classified by its code; an unknown
/// code, or no JSON body at all (an HTML page from a proxy, an empty body), is classified by the status alone:
/// 404 `notFound`, 401 `invalidKey`, 403 `forbidden`, 429 `rateLimited`, 408 and 5xx `transient`, other 4xx
/// `badRequest`. Any other status (1xx, 2xx other than 200, 3xx) is `badRequest`: it means a wrong base URL or a
/// proxy in the way, not a key fault. Bodies over ``maximumParsedBodySize`` bytes are not parsed.
public enum VirusTotalClassifier: Sendable {
    /// The largest body parsed for an error code, in bytes (64 KiB); VirusTotal's error bodies are tiny.
    public static let maximumParsedBodySize = 64 * 1024
    /// The longest provider message kept in a ``Classification``, in characters.
    public static let maximumMessageLength = 500
    /// The longest `Retry-After` honoured (one day); a larger value is ignored as implausible.
    public static let maximumRetryAfter = Duration.seconds(86_400)

    /// Classifies `response`.
    ///
    /// A `Retry-After` is honoured when present: on `TooManyRequestsError` (or a bare 429) as the cooldown, on
    /// `QuotaExceededError` as the instant the quota is back (`now` + the delay; without `now` the reset is left
    /// for the pool to infer).
    ///
    /// - Parameters:
    ///   - response: A complete response from VirusTotal.
    ///   - now: The current instant, to turn a `Retry-After` on `QuotaExceededError` into a reset instant.
    /// - Returns: The class, with `error.code` as ``Classification/providerCode`` and `error.message` as
    ///   ``Classification/message`` when the body has them.
    public static func classify(_ response: HTTPResponse, now: Timestamp? = nil) -> Classification {
        if response.status == 200 { return Classification(.success) }
        let body = Self.errorBody(response.body)
        if let code = body?.code, let kind = Self.kind(ofCode: code, headers: response.headers, now: now) {
            return Classification(kind, providerCode: code, message: body?.message)
        }
        return Classification(
            Self.kind(ofStatus: response.status, headers: response.headers),
            providerCode: body?.code,
            message: body?.message
        )
    }

    /// The class VirusTotal's `error.code` stands for, or `nil` for a code not in the table.
    static func kind(ofCode code: String, headers: HTTPHeaders, now: Timestamp? = nil) -> ResponseClass? {
        switch code {
        case "WrongCredentialsError", "UserNotActiveError": .invalidKey
        case "ForbiddenError": .forbidden
        case "NotFoundError": .notFound
        case "QuotaExceededError":
            .quotaExhausted(resetAt: now.flatMap { now in Self.retryAfter(in: headers).map { now.advanced(by: $0) } })
        case "TooManyRequestsError": .rateLimited(retryAfter: Self.retryAfter(in: headers))
        case "TransientError", "DeadlineExceededError": .transient
        case "AuthenticationRequiredError",  // no key sent: a client bug, not a key fault
            "BadRequestError", "InvalidArgumentError", "NotAvailableYet", "UnselectiveContentQueryError",
            "UnsupportedContentQueryError", "AlreadyExistsError", "FailedDependencyError":
            .badRequest
        default: nil
        }
    }

    /// The class of a status when the body says nothing usable.
    static func kind(ofStatus status: Int, headers: HTTPHeaders) -> ResponseClass {
        switch status {
        case 200: .success
        case 401: .invalidKey
        case 403: .forbidden
        case 404: .notFound
        case 408: .transient
        case 429: .rateLimited(retryAfter: Self.retryAfter(in: headers))
        case 400..<500: .badRequest
        case 500..<600: .transient
        default: .badRequest
        }
    }

    /// The `Retry-After` header as a duration, when it holds delta-seconds from 0 to ``maximumRetryAfter``.
    ///
    /// An HTTP-date form is ignored (reading it would need the current time); the rotator then backs off.
    ///
    /// - Parameter headers: The response's headers.
    /// - Returns: The delay, or `nil` when the header is missing or unusable.
    public static func retryAfter(in headers: HTTPHeaders) -> Duration? {
        guard let text = headers["Retry-After"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
            text.utf8.count <= 9, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let seconds = Int64(text)
        else { return nil }
        let delay = Duration.seconds(seconds)
        return delay <= Self.maximumRetryAfter ? delay : nil
    }

    /// `error.code` and `error.message` of a JSON error body, or `nil` when the body is empty, too large, not
    /// JSON or has no `error` object. Never throws or traps, whatever the bytes.
    static func errorBody(_ body: Data) -> (code: String?, message: String?)? {
        guard !body.isEmpty, body.count <= Self.maximumParsedBodySize,
            let first = body.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }), first == UInt8(ascii: "{"),
            let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: body),
            envelope.code != nil || envelope.message != nil
        else { return nil }
        let message = envelope.message.map { text in
            text.count > Self.maximumMessageLength ? String(text.prefix(Self.maximumMessageLength)) + "…" : text
        }
        return (envelope.code, message)
    }
}

/// `{"error":{"code":String,"message":String}}`; a field of another type reads as `nil`.
private struct ErrorEnvelope: Decodable {
    var code: String?
    var message: String?

    init(from decoder: any Decoder) throws {
        let root = try decoder.container(keyedBy: AnyCodingKey.self)
        let error = root.lenientObject("error")
        self.code = error?.lenient("code", as: String.self).flatMap { $0.isEmpty ? nil : $0 }
        self.message = error?.lenient("message", as: String.self)
    }
}
