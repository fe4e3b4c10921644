public import KeyRotation

extension VirusTotalReport {
    /// What VirusTotal knows about a domain (`data.type == "domain"`); every field is optional.
    public struct DomainAttributes: Hashable, Sendable {
        /// One DNS record from the last resolution.
        public struct DNSRecord: Hashable, Sendable, Decodable {
            /// The record type: `A`, `AAAA`, `NS`, `MX`, `TXT`, …
            public var type: String
            /// The record's value.
            public var value: String
            /// Time to live in seconds, if given.
            public var ttl: Int?

            /// Creates a record.
            public init(type: String, value: String, ttl: Int? = nil) {
                self.type = type
                self.value = value
                self.ttl = ttl
            }

            /// Decodes a record; `type` and `value` must be strings, a wrongly typed `ttl` reads as `nil`.
            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: AnyCodingKey.self)
                self.type = try container.decode(String.self, forKey: "type")
                self.value = try container.decode(String.self, forKey: "value")
                self.ttl = container.lenient("ttl")
            }
        }

        /// The registrar.
        public var registrar: String?
        /// The top-level domain, such as `com`.
        public var tld: String?
        /// When the domain was registered.
        public var creationDate: Timestamp?
        /// The raw WHOIS text.
        public var whois: String?
        /// The records of the last DNS resolution; empty when none. Malformed records are dropped.
        public var lastDNSRecords: [DNSRecord]

        init(_ attributes: KeyedDecodingContainer<AnyCodingKey>?) {
            self.registrar = attributes?.lenient("registrar")
            self.tld = attributes?.lenient("tld")
            self.creationDate = attributes?.lenientTimestamp("creation_date")
            self.whois = attributes?.lenient("whois")
            self.lastDNSRecords = (attributes?.lenient("last_dns_records", as: [Lossy<DNSRecord>].self) ?? [])
                .compactMap(\.value)
        }
    }
}
