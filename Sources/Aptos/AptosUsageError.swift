/// Input the SDK refused before sending anything: a malformed address or an unknown network name.
public struct AptosUsageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidAddress, unknownNetwork
        }
        private let wrapped: Wrapped

        /// The text is not an account address (`0x` and 1 to 64 hex digits).
        public static let invalidAddress = Self(wrapped: .invalidAddress)
        /// The network name is not one the SDK knows.
        public static let unknownNetwork = Self(wrapped: .unknownNetwork)

        public var description: String {
            switch self.wrapped {
            case .invalidAddress: "invalid address"
            case .unknownNetwork: "unknown network"
            }
        }
    }

    /// What was wrong.
    public var code: Code
    /// A sentence for a person: what was wrong and what a valid value looks like.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
