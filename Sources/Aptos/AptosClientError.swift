/// A failure of ``AptosClient`` or ``TransactionStream`` that is neither the node's own error (``AptosAPIError``)
/// nor the key pool's (`RotatingClientError`).
public struct AptosClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, decodingFailed, unexpectedResponse, inconsistentPage, checkpointFailed
        }
        private let wrapped: Wrapped

        /// An argument is out of range (a page limit of 0 or over 100, an empty range); nothing was sent.
        public static let invalidArgument = Self(wrapped: .invalidArgument)
        /// A 200 body could not be decoded as the expected model.
        public static let decodingFailed = Self(wrapped: .decodingFailed)
        /// An error status whose body is not an AptosError (a gateway's text, a proxy's page).
        public static let unexpectedResponse = Self(wrapped: .unexpectedResponse)
        /// A page of transactions did not hold the versions asked for, in order (a gap or a duplicate).
        public static let inconsistentPage = Self(wrapped: .inconsistentPage)
        /// The stream's checkpoint could not be read or written.
        public static let checkpointFailed = Self(wrapped: .checkpointFailed)

        public var description: String {
            switch self.wrapped {
            case .invalidArgument: "invalid argument"
            case .decodingFailed: "decoding failed"
            case .unexpectedResponse: "unexpected response"
            case .inconsistentPage: "inconsistent page"
            case .checkpointFailed: "checkpoint failed"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for a person: what happened and what to do.
    public var message: String
    /// The HTTP status, when a response came.
    public var status: Int?
    /// The endpoint that answered, when one did.
    public var endpoint: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, status: Int? = nil, endpoint: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.endpoint = endpoint
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let endpoint { text += " (endpoint \(endpoint)" + (self.status.map { ", HTTP \($0))" } ?? ")") }
        return text
    }
}
