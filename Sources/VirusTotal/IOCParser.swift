import Foundation

/// The rules behind ``IOC/parse(_:)``: decides the kind of a text and normalises it, or says what is wrong.
enum IOCParser {
    static let accepted =
        "VirusTotal looks up IPv4 and IPv6 addresses, domains (example.com), http/https/ftp URLs "
        + "and MD5, SHA-1 or SHA-256 file hashes"

    static func parse(_ text: String) throws(IOCError) -> IOC {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            let message =
                text.isEmpty
                ? "the input is empty; give an IP address, domain, URL or file hash"
                : "the input is only whitespace; give an IP address, domain, URL or file hash"
            throw IOCError(.empty, message, input: text)
        }
        guard trimmed.utf8.count <= IOC.maximumLength || trimmed.count <= IOC.maximumLength else {
            throw IOCError(
                .tooLong,
                "the input is longer than \(IOC.maximumLength) characters; no indicator VirusTotal looks up is "
                    + "that long, so check that only one indicator was given",
                input: trimmed
            )
        }
        if Self.isCVEIdentifier(trimmed) {
            throw IOCError(
                .cveIdentifier,
                "a CVE id is not a VirusTotal lookup; look up the IP address, domain, URL or file hash "
                    + "related to it instead",
                input: trimmed
            )
        }
        if let separator = trimmed.range(of: "://") {
            return try Self.parseURL(trimmed, schemeEnd: separator.lowerBound)
        }
        if let marker = Self.defangMarker(in: trimmed) {
            throw IOCError(
                .defanged,
                "the input is defanged ('\(marker)'); refang it (write '.' for '[.]', 'http' for 'hxxp') "
                    + "before looking it up",
                input: trimmed
            )
        }
        let bytes = trimmed.utf8
        if bytes.allSatisfy(\.isHexDigit) {
            switch bytes.count {
            case 32: return IOC(kind: .md5, value: trimmed.lowercased())
            case 40: return IOC(kind: .sha1, value: trimmed.lowercased())
            case 64: return IOC(kind: .sha256, value: trimmed.lowercased())
            case 16...:
                throw IOCError(
                    .invalidHash,
                    "\(bytes.count) hexadecimal digits is no hash length: MD5 has 32, SHA-1 40 and SHA-256 64; "
                        + "check that the hash was copied whole",
                    input: trimmed
                )
            default: break
            }
        }
        if trimmed.contains(":") {
            return try Self.parseColonText(trimmed)
        }
        if bytes.allSatisfy({ $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return try Self.parseIPv4(trimmed)
        }
        if let slash = trimmed.firstIndex(of: "/") {
            let host = trimmed[..<slash]
            if (try? Self.parseDomain(String(host))) != nil || (try? Self.parseIPv4(String(host))) != nil {
                throw IOCError(
                    .unsupportedScheme,
                    "a URL needs a scheme: write http://\(trimmed.prefix(60)) (or https://)",
                    input: trimmed
                )
            }
        }
        if trimmed.contains(".") {
            return try Self.parseDomain(trimmed)
        }
        throw IOCError(.unrecognised, "not an IP address, domain, URL or file hash; \(Self.accepted)", input: trimmed)
    }

    // MARK: - Kinds

    static func parseIPv4(_ text: String) throws(IOCError) -> IOC {
        switch IPv4Address.parse(text[...]) {
        case .success(let address):
            return IOC(kind: .ipv4, value: address.text)
        case .failure(.outOfRange(let octet, let position)):
            throw IOCError(
                .octetOutOfRange,
                "octet \(position) of the IPv4 address (\(octet)) is out of range: each of the four numbers must be "
                    + "between 0 and 255",
                input: text
            )
        case .failure(.malformed(let reason)):
            throw IOCError(.invalidIPv4, "not a valid IPv4 address: \(reason)", input: text)
        }
    }

    /// Text with a colon and no `://`: an IPv6 address, or something else said clearly.
    static func parseColonText(_ text: String) throws(IOCError) -> IOC {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]  // no zone id
        let ipv6Characters = address.utf8.allSatisfy {
            $0.isHexDigit || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "[")
                || $0 == UInt8(ascii: "]")
        }
        if ipv6Characters && address.filter({ $0 == ":" }).count >= 2 {
            switch IPv6Address.parse(text[...]) {
            case .success(let address):
                return IOC(kind: .ipv6, value: address.text)
            case .failure(let failure):
                throw IOCError(.invalidIPv6, "not a valid IPv6 address: \(failure.reason)", input: text)
            }
        }
        let beforeColon = text[..<text.firstIndex(of: ":")!]
        if !beforeColon.contains("."), !beforeColon.isEmpty,
            beforeColon.utf8.allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") })
        {
            throw IOCError(
                .unsupportedScheme,
                "'\(beforeColon.prefix(20)):' is not a URL VirusTotal can look up: only http://, https:// and "
                    + "ftp:// URLs with a host are accepted",
                input: text
            )
        }
        throw IOCError(
            .unrecognised,
            "not an IP address, domain, URL or file hash (a host with a port needs a scheme: http://host:port/); "
                + Self.accepted,
            input: text
        )
    }

    static func parseDomain(_ text: String) throws(IOCError) -> IOC {
        func refuse(_ reason: String) -> IOCError {
            IOCError(.invalidDomain, "not a valid domain: \(reason)", input: text)
        }
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw refuse("it has non-ASCII characters; write an internationalised domain in punycode (xn--…)")
        }
        guard name.utf8.count <= 253 else {
            throw refuse("it is \(name.utf8.count) characters long, the limit is 253")
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else {
            throw refuse("a domain has at least two labels separated by dots, such as example.com")
        }
        for label in labels {
            guard !label.isEmpty else { throw refuse("it has an empty label (two dots in a row, or a leading dot)") }
            guard label.utf8.count <= 63 else {
                throw refuse("the label '\(label.prefix(20))…' is \(label.utf8.count) characters long, the limit is 63")
            }
            if let bad = label.unicodeScalars.first(where: { !Self.isLabelCharacter($0) }) {
                let shown = bad.properties.isWhitespace ? "a space" : "'\(bad)'"
                throw refuse(
                    "the label '\(label.prefix(30))' has \(shown); labels hold only letters, digits and hyphens"
                )
            }
            guard label.first != "-", label.last != "-" else {
                throw refuse("the label '\(label.prefix(30))' starts or ends with a hyphen")
            }
        }
        if labels.last!.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            throw refuse("its last label (\(labels.last!)) is all digits, which no top-level domain is")
        }
        return IOC(kind: .domain, value: name)
    }

    static func parseURL(_ text: String, schemeEnd: String.Index) throws(IOCError) -> IOC {
        let scheme = text[..<schemeEnd].lowercased()
        if ["hxxp", "hxxps", "fxp", "hxxp[s]"].contains(scheme) || Self.defangMarker(in: text) != nil {
            throw IOCError(
                .defanged,
                "the URL is defanged; refang it (write 'http' for 'hxxp', '.' for '[.]') before looking it up",
                input: text
            )
        }
        guard ["http", "https", "ftp"].contains(scheme) else {
            throw IOCError(
                .unsupportedScheme,
                "VirusTotal looks up http, https and ftp URLs; '\(scheme.prefix(20))://' is none of them",
                input: text
            )
        }
        if let bad = text.unicodeScalars.first(where: {
            $0.properties.isWhitespace || $0.value < 0x20 || $0 == "\u{7f}"
        }) {
            let shown = bad == " " ? "a space" : "a whitespace or control character"
            throw IOCError(.invalidURL, "the URL contains \(shown); percent-encode it (a space is %20)", input: text)
        }
        let rest = text[text.index(schemeEnd, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hostAndPort = authority[hostStart...]
        let hostEnd: Substring.Index
        if hostAndPort.first == "[" {
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw IOCError(.invalidURL, "the URL's IPv6 host has no closing ']'", input: text)
            }
            hostEnd = hostAndPort.index(after: close)
        } else {
            hostEnd = hostAndPort.firstIndex(of: ":") ?? hostAndPort.endIndex
        }
        let host = hostAndPort[..<hostEnd]
        guard !host.isEmpty, host != "[]" else {
            throw IOCError(
                .urlWithoutHost,
                "the URL has no host; give a whole URL such as http://example.com/path",
                input: text
            )
        }
        let port = hostAndPort[hostEnd...]
        if !port.isEmpty {
            let digits = port.dropFirst()
            guard port.first == ":", digits.utf8.count <= 5,
                digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                digits.isEmpty || Int(digits)! <= 65535
            else {
                throw IOCError(
                    .invalidURL,
                    "the URL's port (\(port.prefix(12))) is not a number from 0 to 65535",
                    input: text
                )
            }
        }
        let normalised =
            scheme + "://" + text[rest.startIndex..<host.startIndex] + host.lowercased()
            + text[host.endIndex...]
        return IOC(kind: .url, value: normalised)
    }

    // MARK: - Recognisers

    /// `CVE-YYYY-NNNN…`, in any case.
    static func isCVEIdentifier(_ text: String) -> Bool {
        let parts = text.lowercased().split(separator: "-", omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in
            part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        return parts.count == 3 && parts[0] == "cve" && parts[1].count == 4 && isDigits(parts[1])
            && parts[2].count >= 4 && isDigits(parts[2])
    }

    /// The first defanging marker in `text` (`[.]`, `(.)`, `[dot]`, `hxxp`, …), if any.
    static func defangMarker(in text: String) -> String? {
        let lower = text.lowercased()
        return ["[.]", "(.)", "{.}", "[dot]", "(dot)", "[:]", "[://]", "hxxp"].first { lower.contains($0) }
    }

    static func isLabelCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9", "-": true
        default: false
        }
    }
}
