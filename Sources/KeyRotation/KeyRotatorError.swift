/// Why a rotator could not hand out a key. Carries the pool's ETA where there is one; never a key.
public struct KeyRotatorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case noKeys, allKeysInvalid, costExceedsCapacity, deadlineExceeded, cancelled, storeFailed
        }
        let wrapped: Wrapped

        /// The pool has no keys. Add keys (see `KeySource`).
        public static let noKeys = Self(wrapped: .noKeys)
        /// Every key was rejected by the provider (401/403). Replace the keys.
        public static let allKeysInvalid = Self(wrapped: .allKeysInvalid)
        /// The request costs more units than any key's limits can ever admit.
        public static let costExceedsCapacity = Self(wrapped: .costExceedsCapacity)
        /// No key can be had before the deadline; ``KeyRotatorError/eta`` says when one can.
        public static let deadlineExceeded = Self(wrapped: .deadlineExceeded)
        /// The waiting task was cancelled; it took no slot.
        public static let cancelled = Self(wrapped: .cancelled)
        /// The shared key-state store failed; the rotator fails closed rather than risk over-admitting.
        public static let storeFailed = Self(wrapped: .storeFailed)

        /// Whether waiting (until ``KeyRotatorError/eta``) can help.
        public var isRetryable: Bool { self == .deadlineExceeded || self == .storeFailed }

        public var description: String {
            switch self.wrapped {
            case .noKeys: "no keys"
            case .allKeysInvalid: "all keys invalid"
            case .costExceedsCapacity: "cost exceeds capacity"
            case .deadlineExceeded: "deadline exceeded"
            case .cancelled: "cancelled"
            case .storeFailed: "store failed"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// When the pool can serve again, if known.
    public var eta: Timestamp?
    /// A sentence for a person.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, eta: Timestamp? = nil, message: String) {
        self.code = code
        self.eta = eta
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
