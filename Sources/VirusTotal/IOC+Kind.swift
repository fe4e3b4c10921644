extension IOC {
    /// What kind of indicator an ``IOC`` is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: String, Hashable, Sendable, CaseIterable {
            case ipv4, ipv6, domain, url, md5, sha1, sha256
        }
        let wrapped: Wrapped

        /// An IPv4 address in dotted-quad form.
        public static let ipv4 = Self(wrapped: .ipv4)
        /// An IPv6 address in RFC 5952 form.
        public static let ipv6 = Self(wrapped: .ipv6)
        /// A domain name.
        public static let domain = Self(wrapped: .domain)
        /// An `http`, `https` or `ftp` URL.
        public static let url = Self(wrapped: .url)
        /// An MD5 file hash (32 hexadecimal digits).
        public static let md5 = Self(wrapped: .md5)
        /// A SHA-1 file hash (40 hexadecimal digits).
        public static let sha1 = Self(wrapped: .sha1)
        /// A SHA-256 file hash (64 hexadecimal digits).
        public static let sha256 = Self(wrapped: .sha256)

        /// Every kind, in a stable order.
        public static let allKinds: [Kind] = Wrapped.allCases.map { Kind(wrapped: $0) }

        /// The kind's name as used in ``IOC/cacheKey``: `ipv4`, `ipv6`, `domain`, `url`, `md5`, `sha1`, `sha256`.
        public var name: String { self.wrapped.rawValue }

        /// Creates the kind called `name` (one of the names ``name`` returns), or `nil`.
        public init?(name: String) {
            guard let wrapped = Wrapped(rawValue: name) else { return nil }
            self.wrapped = wrapped
        }

        private init(wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// Whether the indicator is a file hash (MD5, SHA-1 or SHA-256).
        public var isFileHash: Bool {
            switch self.wrapped {
            case .md5, .sha1, .sha256: true
            case .ipv4, .ipv6, .domain, .url: false
            }
        }

        /// Whether the indicator is an IP address (v4 or v6).
        public var isIPAddress: Bool { self.wrapped == .ipv4 || self.wrapped == .ipv6 }

        /// The `data.type` VirusTotal answers with for this kind: `file`, `domain`, `ip_address` or `url`.
        public var objectType: VirusTotalReport.ObjectType {
            switch self.wrapped {
            case .md5, .sha1, .sha256: .file
            case .ipv4, .ipv6: .ipAddress
            case .domain: .domain
            case .url: .url
            }
        }

        /// The API collection the kind is looked up in: `files`, `domains`, `ip_addresses` or `urls`.
        var collection: String {
            switch self.wrapped {
            case .md5, .sha1, .sha256: "files"
            case .ipv4, .ipv6: "ip_addresses"
            case .domain: "domains"
            case .url: "urls"
            }
        }

        /// The web interface's path segment: `file`, `ip-address`, `domain` or `url`.
        var guiSegment: String {
            switch self.wrapped {
            case .md5, .sha1, .sha256: "file"
            case .ipv4, .ipv6: "ip-address"
            case .domain: "domain"
            case .url: "url"
            }
        }

        public var description: String { self.name }
    }
}
