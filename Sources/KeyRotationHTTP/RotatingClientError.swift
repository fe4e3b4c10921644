public import KeyRotation

/// A request the rotating client could not complete. Carries the key id (never the key), the attempts made, the
/// last status and what the provider said, and the pool's ETA when every key is limited.
public struct RotatingClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case allKeysLimited, noUsableKey, attemptsExhausted, transport, deadlineExceeded, cancelled
        }
        let wrapped: Wrapped

        /// Every usable key is limited past the deadline; retry at ``RotatingClientError/eta``.
        public static let allKeysLimited = Self(wrapped: .allKeysLimited)
        /// No key can ever serve: none configured, or every one rejected by the provider.
        public static let noUsableKey = Self(wrapped: .noUsableKey)
        /// Every attempt failed (transient failures, 429s); the last one is described.
        public static let attemptsExhausted = Self(wrapped: .attemptsExhausted)
        /// The transport refused the request or its reply (redirect, oversized body, host not allowed).
        public static let transport = Self(wrapped: .transport)
        /// The caller's deadline passed between attempts.
        public static let deadlineExceeded = Self(wrapped: .deadlineExceeded)
        /// The caller's task was cancelled.
        public static let cancelled = Self(wrapped: .cancelled)

        public var description: String {
            switch self.wrapped {
            case .allKeysLimited: "all keys limited"
            case .noUsableKey: "no usable key"
            case .attemptsExhausted: "attempts exhausted"
            case .transport: "transport"
            case .deadlineExceeded: "deadline exceeded"
            case .cancelled: "cancelled"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for a person: what happened and what to do.
    public var message: String
    /// The provider.
    public var provider: String
    /// The key of the last attempt.
    public var keyID: KeyID?
    /// Attempts made.
    public var attempts: Int
    /// The last HTTP status, if a response came.
    public var lastStatus: Int?
    /// The provider's error code, if it sent one.
    public var providerCode: String?
    /// The provider's message, if it sent one.
    public var providerMessage: String?
    /// When the pool can serve again (UTC), if known.
    public var eta: Timestamp?
    /// The transport failure, if that is what ended the request.
    public var transportError: TransportError?

    /// Creates an error.
    public init(
        _ code: Code,
        message: String,
        provider: String,
        keyID: KeyID? = nil,
        attempts: Int = 0,
        lastStatus: Int? = nil,
        providerCode: String? = nil,
        providerMessage: String? = nil,
        eta: Timestamp? = nil,
        transportError: TransportError? = nil
    ) {
        self.code = code
        self.message = message
        self.provider = provider
        self.keyID = keyID
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.providerCode = providerCode
        self.providerMessage = providerMessage
        self.eta = eta
        self.transportError = transportError
    }

    public var description: String {
        var parts = ["\(self.provider): \(self.code): \(self.message)"]
        if let keyID { parts.append("key \(keyID)") }
        if self.attempts > 0 { parts.append("\(self.attempts) attempt\(self.attempts == 1 ? "" : "s")") }
        if let lastStatus { parts.append("last status \(lastStatus)") }
        if let providerCode { parts.append("provider code \(providerCode)") }
        if let providerMessage { parts.append("provider said: \(providerMessage)") }
        if let transportError, self.code != .transport { parts.append("last failure: \(transportError.message)") }
        if let eta {
            if self.code == .noUsableKey {
                parts.append("a rejected key is tried once more at \(eta)")
            } else {
                parts.append(self.keyID == nil ? "it can serve again at \(eta)" : "a key is free at \(eta)")
            }
        }
        return parts.joined(separator: "; ")
    }
}
