public import Foundation

/// An indicator of compromise VirusTotal can look up: an IP address, a domain, a URL or a file hash, normalised.
///
/// ``parse(_:)`` is the only way to make one, so every `IOC` is valid: bad input fails there, before any
/// network. The normalised ``value`` decides equality, so `Example.COM.` and `example.com` are the same IOC.
///
/// ```swift
/// let ioc = try IOC.parse(" 2001:DB8:0:0:0:0:0:1 ")
/// ioc.kind       // .ipv6
/// ioc.value      // "2001:db8::1"
/// ioc.apiPath    // "/ip_addresses/2001:db8::1"
/// ```
public struct IOC: Hashable, Sendable, CustomStringConvertible {
    /// The longest input ``parse(_:)`` accepts, in characters, after trimming.
    public static let maximumLength = 2048

    /// What kind of indicator this is.
    public let kind: Kind
    /// The normalised text: lowercased hashes, domains without a trailing dot, RFC 5952 IPv6, URLs with the
    /// scheme and host lowercased and the rest as given.
    public let value: String
    /// The identifier VirusTotal's endpoints take: ``value``, except for a URL, whose identifier is the
    /// unpadded base64url encoding of its UTF-8 bytes.
    public let identifier: String

    init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
        self.identifier = kind == .url ? Self.base64URL(Array(value.utf8)) : value
    }

    /// The key for caches and stores: `"{kind}:{value}"`, such as `domain:example.com` or `sha256:275a…`.
    ///
    /// A file looked up by its MD5 and by its SHA-256 has two keys; VirusTotal's answer names the SHA-256.
    public var cacheKey: String { "\(self.kind.name):\(self.value)" }

    /// The path of the lookup under the API's base URL: `/files/{hash}`, `/domains/{domain}`,
    /// `/ip_addresses/{ip}` or `/urls/{url id}`.
    public var apiPath: String { "/\(self.kind.collection)/\(self.identifier)" }

    /// The indicator's page on VirusTotal's web interface.
    public var guiURL: URL {
        let base = URL(string: "https://www.virustotal.com/gui/")!
        return URL(string: "https://www.virustotal.com/gui/\(self.kind.guiSegment)/\(self.identifier)") ?? base
    }

    public var description: String { self.cacheKey }

    /// Parses and normalises one indicator.
    ///
    /// Surrounding whitespace is trimmed. Accepted: a dotted-quad IPv4 address without leading zeros, an IPv6
    /// address (any valid form, IPv4-mapped included), a domain of at least two labels (punycode `xn--` labels
    /// too), an `http`, `https` or `ftp` URL with a host, and an MD5, SHA-1 or SHA-256 hash in any case.
    /// Defanged text (`hxxp://`, `example[.]com`) is refused with a hint rather than guessed at.
    ///
    /// - Parameter text: What the user typed or a feed supplied.
    /// - Returns: The indicator, normalised.
    /// - Throws: ``IOCError`` saying what is wrong with the text and what to do.
    public static func parse(_ text: String) throws(IOCError) -> IOC {
        try IOCParser.parse(text)
    }

    /// Parses a ``cacheKey`` back into its indicator.
    ///
    /// - Parameter cacheKey: A key made by ``cacheKey``, such as `domain:example.com`.
    /// - Returns: The indicator.
    /// - Throws: ``IOCError`` when the key has no known kind prefix or its value is not of that kind.
    public static func parse(cacheKey: String) throws(IOCError) -> IOC {
        guard let colon = cacheKey.firstIndex(of: ":"), let kind = Kind(name: String(cacheKey[..<colon])) else {
            throw IOCError(
                .unrecognised,
                "not a cache key: it must start with a kind (ipv4, ipv6, domain, url, md5, sha1, sha256) and a colon",
                input: cacheKey
            )
        }
        let ioc = try IOC.parse(String(cacheKey[cacheKey.index(after: colon)...]))
        guard ioc.kind == kind else {
            throw IOCError(
                .unrecognised,
                "the cache key says \(kind) but its value is a \(ioc.kind); make the key with IOC.cacheKey",
                input: cacheKey
            )
        }
        return ioc
    }

    /// Base64url (RFC 4648 §5) without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
