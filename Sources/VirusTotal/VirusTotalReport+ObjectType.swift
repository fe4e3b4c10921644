extension VirusTotalReport {
    /// The `data.type` of an object: `file`, `domain`, `ip_address`, `url`, or another type VirusTotal adds.
    public struct ObjectType: Hashable, Sendable, CustomStringConvertible {
        /// The type as VirusTotal spells it.
        public var rawValue: String

        /// Creates a type from VirusTotal's spelling.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// A file.
        public static let file = Self(rawValue: "file")
        /// A domain.
        public static let domain = Self(rawValue: "domain")
        /// An IP address.
        public static let ipAddress = Self(rawValue: "ip_address")
        /// A URL.
        public static let url = Self(rawValue: "url")

        public var description: String { self.rawValue }
    }
}
