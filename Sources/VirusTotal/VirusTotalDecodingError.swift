/// A VirusTotal answer that could not be read as the object asked for.
public struct VirusTotalDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the body.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case malformedJSON, missingData, unexpectedType
        }
        private let wrapped: Wrapped

        /// The body is not a JSON object.
        public static let malformedJSON = Self(wrapped: .malformedJSON)
        /// The body has no `data` object with a string `id` and `type`.
        public static let missingData = Self(wrapped: .missingData)
        /// `data.type` is not the type that was asked for.
        public static let unexpectedType = Self(wrapped: .unexpectedType)

        public var description: String { self.wrapped.rawValue }
    }

    /// What was wrong.
    public var code: Code
    /// A sentence for a person: what was wrong and what to do.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
