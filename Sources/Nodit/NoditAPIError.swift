import Foundation
public import KeyRotationHTTP

/// An error in Nodit's own dialect, `{"code", "message"}`, from its gateway or its Web3 Data API.
///
/// Node API errors come in the Aptos dialect instead (`error_code`): see `AptosAPIError`.
public struct NoditAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nodit's `code`, kept as sent; known codes are static members.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The code as Nodit sent it.
        public let rawValue: String

        /// Creates a code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// No key was sent (401).
        public static let noAuthenticationFound = Self(rawValue: "NO_AUTHENTICATION_FOUND")
        /// The key is wrong (401).
        public static let authenticationFailed = Self(rawValue: "AUTHENTICATION_FAILED")
        /// The feature is not in the key's plan (403).
        public static let permissionDenied = Self(rawValue: "PERMISSION_DENIED")
        /// Unknown path (404).
        public static let wrongEndpoint = Self(rawValue: "WRONG_ENDPOINT")
        /// Unknown chain or network (404).
        public static let notSupportedChain = Self(rawValue: "NOT_SUPPORTED_CHAIN")
        /// No such resource (404).
        public static let resourceNotFound = Self(rawValue: "RESOURCE_NOT_FOUND")
        /// Throughput exceeded; `Retry-After` says how long to wait (429).
        public static let tooManyRequests = Self(rawValue: "TOO_MANY_REQUESTS")
        /// The compute-unit allowance is used up until the day or month resets (429).
        public static let exceededQuotaLimit = Self(rawValue: "EXCEEDED_QUOTA_LIMIT")
        /// A required body field is missing (400).
        public static let missingRequiredParameter = Self(rawValue: "MISSING_REQUIRED_PARAMETER")
        /// A body field is malformed (400).
        public static let invalidParameter = Self(rawValue: "INVALID_PARAMETER")
        /// A range is wrong (400).
        public static let wrongRangeParameter = Self(rawValue: "WRONG_RANGE_PARAMETER")
        /// The operation is deprecated (400).
        public static let deprecatedOperation = Self(rawValue: "DEPRECATED_OPERATION")
        /// Wrong HTTP method (405).
        public static let methodNotAllowed = Self(rawValue: "METHOD_NOT_ALLOWED")
        /// The resource exists already (409).
        public static let resourceAlreadyExists = Self(rawValue: "RESOURCE_ALREADY_EXISTS")
        /// Rejected (409).
        public static let rejected = Self(rawValue: "REJECTED")
        /// The body is too large (413).
        public static let contentsTooLarge = Self(rawValue: "CONTENTS_TOO_LARGE")
        /// The URL is too long (414).
        public static let tooLongURI = Self(rawValue: "TOO_LONG_URI")
        /// The upstream timed out (408).
        public static let timeout = Self(rawValue: "TIMEOUT")
        /// Nodit failed (500).
        public static let internalServerError = Self(rawValue: "INTERNAL_SERVER_ERROR")
        /// The request was interrupted (500).
        public static let interrupted = Self(rawValue: "INTERRUPTED")
        /// Nodit is unavailable (503).
        public static let unavailable = Self(rawValue: "UNAVAILABLE")

        public var description: String { self.rawValue }
    }

    /// Nodit's `code`.
    public var code: Code
    /// Nodit's message.
    public var message: String
    /// The HTTP status it came with.
    public var status: Int

    /// Creates an error.
    public init(code: Code, message: String, status: Int) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// The error a response carries, or `nil` when its body is not in Nodit's dialect (an AptosError, plain text,
    /// or a success).
    public init?(response: HTTPResponse) {
        guard !(200..<300).contains(response.status), let body = Body(response.body) else { return nil }
        self.init(code: Code(rawValue: body.code), message: body.message ?? "", status: response.status)
    }

    public var description: String { "Nodit error \(self.code) (HTTP \(self.status)): \(self.message)" }

    /// Nodit's error body. `error_code` bodies are the Aptos dialect and do not decode here.
    struct Body: Decodable {
        var code: String
        var message: String?

        init?(_ data: Data) {
            guard data.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{"),
                let body = try? JSONDecoder().decode(Self.self, from: data)
            else { return nil }
            self = body
        }
    }
}
