extension VirusTotalReport {
    /// Community votes on the object (`total_votes`).
    public struct Votes: Hashable, Sendable, Codable {
        /// Votes for harmless.
        public var harmless: Int
        /// Votes for malicious.
        public var malicious: Int

        /// Creates votes.
        public init(harmless: Int = 0, malicious: Int = 0) {
            self.harmless = harmless
            self.malicious = malicious
        }

        /// Decodes VirusTotal's object; missing or wrongly typed counts read as 0.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            self.harmless = container.lenient("harmless") ?? 0
            self.malicious = container.lenient("malicious") ?? 0
        }
    }
}
