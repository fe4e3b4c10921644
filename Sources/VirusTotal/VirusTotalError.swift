public import KeyRotation
import KeyRotationHTTP

/// Why a VirusTotal lookup failed. Carries the key id (never the key), the last status, what VirusTotal said and,
/// when every key is limited, when the pool can serve again.
public struct VirusTotalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidIOC, noUsableKey, allKeysLimited, transport, upstream, malformedResponse
            case attemptsExhausted, notStored, storage, cancelled, invalidConfiguration
        }
        private let wrapped: Wrapped

        /// The input is not an indicator VirusTotal can look up; ``VirusTotalError/iocError`` says why.
        public static let invalidIOC = Self(wrapped: .invalidIOC)
        /// No key can serve: none configured, or VirusTotal refused every one (401). Replace the keys.
        public static let noUsableKey = Self(wrapped: .noUsableKey)
        /// Every key is limited past the deadline; retry at ``VirusTotalError/eta`` or queue the lookup.
        public static let allKeysLimited = Self(wrapped: .allKeysLimited)
        /// The transport refused the reply (redirect, oversized body, host not allowed) or the connection failed.
        public static let transport = Self(wrapped: .transport)
        /// VirusTotal answered with an error that is not about the key (400, other 4xx).
        public static let upstream = Self(wrapped: .upstream)
        /// VirusTotal answered 200 with a body that is not a report of the kind asked for.
        public static let malformedResponse = Self(wrapped: .malformedResponse)
        /// Every attempt failed with a transient fault (5xx, reset, timeout).
        public static let attemptsExhausted = Self(wrapped: .attemptsExhausted)
        /// The report was asked for from the store only and the store has none.
        public static let notStored = Self(wrapped: .notStored)
        /// The store could not be read or written.
        public static let storage = Self(wrapped: .storage)
        /// The lookup was cancelled.
        public static let cancelled = Self(wrapped: .cancelled)
        /// A setting (such as `VT_REPORT_TTL`) can't be read; the message names it and the accepted forms.
        public static let invalidConfiguration = Self(wrapped: .invalidConfiguration)

        /// The code's name (`invalidIOC`, `allKeysLimited`…), for JSON and tables.
        public var name: String { self.wrapped.rawValue }

        public var description: String { self.wrapped.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for a person: what happened and what to do.
    public var message: String
    /// The key of the last attempt, if any.
    public var keyID: KeyID?
    /// The last HTTP status, if a response came.
    public var status: Int?
    /// VirusTotal's `error.code`, if it sent one.
    public var providerCode: String?
    /// When a key is free again (UTC), for ``Code/allKeysLimited``.
    public var eta: Timestamp?
    /// Why the input was refused, for ``Code/invalidIOC``.
    public var iocError: IOCError?
    /// Whether one more attempt later may succeed (a transient fault or a transient transport failure).
    public var isTransient: Bool

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        keyID: KeyID? = nil,
        status: Int? = nil,
        providerCode: String? = nil,
        eta: Timestamp? = nil,
        iocError: IOCError? = nil,
        isTransient: Bool = false
    ) {
        self.code = code
        self.message = message
        self.keyID = keyID
        self.status = status
        self.providerCode = providerCode
        self.eta = eta
        self.iocError = iocError
        self.isTransient = isTransient
    }

    /// An invalid input.
    init(_ error: IOCError) {
        self.init(.invalidIOC, error.message, iocError: error)
    }

    /// A failure of the rotating client, mapped onto the codes above.
    init(_ error: RotatingClientError) {
        let code: Code
        var transient = false
        switch error.code {
        case .allKeysLimited, .deadlineExceeded: code = .allKeysLimited
        case .noUsableKey: code = .noUsableKey
        case .cancelled: code = .cancelled
        case .transport:
            code = .transport
            transient = error.transportError?.code.isTransient ?? false
        default:
            code = .attemptsExhausted
            transient = true
        }
        var message = error.message
        if let transport = error.transportError, !message.contains(transport.message) {
            message += " (\(transport.message))"
        } else if error.transportError == nil, let status = error.lastStatus {
            // What the server last said, where people read it: "every attempt failed (last answer: HTTP 503 …)".
            let said = [error.providerCode, error.providerMessage].compactMap { $0 }.joined(separator: ": ")
            message += " (last answer: HTTP \(status)\(said.isEmpty ? "" : " " + said))"
        }
        self.init(
            code,
            message,
            keyID: error.keyID,
            status: error.lastStatus,
            providerCode: error.providerCode,
            eta: error.eta,
            isTransient: transient
        )
    }

    public var description: String {
        var parts = ["\(self.code): \(self.message)"]
        if let keyID { parts.append("key \(keyID)") }
        if let status { parts.append("status \(status)") }
        if let providerCode { parts.append("VirusTotal code \(providerCode)") }
        if let eta { parts.append("a key is free at \(eta)") }
        return parts.joined(separator: "; ")
    }
}
