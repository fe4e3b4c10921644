extension VirusTotalReport {
    /// What VirusTotal knows about a URL (`data.type == "url"`); every field is optional.
    ///
    /// URLs are kept as text: an IOC URL is data to show, never something the SDK fetches.
    public struct URLAttributes: Hashable, Sendable {
        /// The URL as VirusTotal stores it.
        public var url: String?
        /// Where the URL led after redirects, at the last analysis.
        public var lastFinalURL: String?
        /// The page title at the last analysis.
        public var title: String?
        /// The HTTP status the URL answered with at the last analysis.
        public var lastHTTPResponseCode: Int?
        /// Threat names engines gave the URL; empty when none.
        public var threatNames: [String]

        init(_ attributes: KeyedDecodingContainer<AnyCodingKey>?) {
            self.url = attributes?.lenient("url")
            self.lastFinalURL = attributes?.lenient("last_final_url")
            self.title = attributes?.lenient("title")
            self.lastHTTPResponseCode = attributes?.lenient("last_http_response_code")
            self.threatNames = attributes?.lenientStrings("threat_names") ?? []
        }
    }
}
