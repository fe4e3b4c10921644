extension VirusTotalReport {
    /// What VirusTotal knows about an IP address (`data.type == "ip_address"`); every field is optional.
    public struct IPAddressAttributes: Hashable, Sendable {
        /// The autonomous system number.
        public var asn: Int?
        /// The autonomous system's owner, such as `GOOGLE`.
        public var asOwner: String?
        /// The ISO 3166 country code, such as `US`.
        public var country: String?
        /// The continent code, such as `NA`.
        public var continent: String?
        /// The network the address belongs to, in CIDR notation.
        public var network: String?

        init(_ attributes: KeyedDecodingContainer<AnyCodingKey>?) {
            self.asn = attributes?.lenient("asn")
            self.asOwner = attributes?.lenient("as_owner")
            self.country = attributes?.lenient("country")
            self.continent = attributes?.lenient("continent")
            self.network = attributes?.lenient("network")
        }
    }
}
