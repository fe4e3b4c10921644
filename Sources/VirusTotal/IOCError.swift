/// Why a piece of text is not an indicator VirusTotal can look up; raised by ``IOC/parse(_:)`` before any network.
public struct IOCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case empty, tooLong, cveIdentifier, defanged, unsupportedScheme, urlWithoutHost, invalidURL
            case invalidIPv4, octetOutOfRange, invalidIPv6, invalidDomain, invalidHash, unrecognised
        }
        private let wrapped: Wrapped

        /// The input is empty or only whitespace.
        public static let empty = Self(wrapped: .empty)
        /// The input is longer than ``IOC/maximumLength`` characters.
        public static let tooLong = Self(wrapped: .tooLong)
        /// The input is a CVE identifier, which VirusTotal's IOC endpoints don't look up.
        public static let cveIdentifier = Self(wrapped: .cveIdentifier)
        /// The input is defanged (`hxxp://`, `example[.]com`): refang it first.
        public static let defanged = Self(wrapped: .defanged)
        /// A URL whose scheme is not `http`, `https` or `ftp`, or that has no scheme.
        public static let unsupportedScheme = Self(wrapped: .unsupportedScheme)
        /// A URL without a host (`http://`).
        public static let urlWithoutHost = Self(wrapped: .urlWithoutHost)
        /// A URL that is malformed in another way (whitespace, control characters, a bad port).
        public static let invalidURL = Self(wrapped: .invalidURL)
        /// Digits and dots that don't make a canonical dotted-quad IPv4 address.
        public static let invalidIPv4 = Self(wrapped: .invalidIPv4)
        /// A dotted quad with an octet above 255.
        public static let octetOutOfRange = Self(wrapped: .octetOutOfRange)
        /// Text with colons that is not a valid IPv6 address.
        public static let invalidIPv6 = Self(wrapped: .invalidIPv6)
        /// A dotted name that breaks the domain name rules.
        public static let invalidDomain = Self(wrapped: .invalidDomain)
        /// Hexadecimal text of a length no hash has (MD5 is 32, SHA-1 40, SHA-256 64).
        public static let invalidHash = Self(wrapped: .invalidHash)
        /// Text that is none of the kinds VirusTotal looks up.
        public static let unrecognised = Self(wrapped: .unrecognised)

        public var description: String { self.wrapped.rawValue }
    }

    /// The longest input shown back in ``input``, in characters.
    public static let displayedInputLength = 80

    /// What was wrong.
    public var code: Code
    /// A sentence for a person: what was wrong and what to do.
    public var message: String
    /// The input, trimmed and cut to ``displayedInputLength`` characters (with `…` when cut), for display.
    public var input: String

    /// Creates an error; `input` is cut to ``displayedInputLength`` characters.
    public init(_ code: Code, _ message: String, input: some StringProtocol) {
        self.code = code
        self.message = message
        let head = input.prefix(Self.displayedInputLength + 1)
        self.input =
            head.count > Self.displayedInputLength ? String(head.prefix(Self.displayedInputLength)) + "…" : String(head)
    }

    public var description: String {
        "\(self.code): \(self.message) (input: \"\(self.input)\")"
    }
}
