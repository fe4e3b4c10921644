import Foundation

/// An IPv6 address: parsed from any RFC 4291 text form, written in RFC 5952's canonical form.
struct IPv6Address: Hashable, Sendable {
    /// The eight 16-bit groups, most significant first.
    var groups: [UInt16]

    /// Why text is not an IPv6 address, in words for a person.
    struct Failure: Error, Hashable {
        var reason: String
    }

    /// Parses `text`, or returns why it is not an IPv6 address.
    static func parse(_ text: Substring) -> Result<IPv6Address, Failure> {
        if text.contains("%") {
            return .failure(Failure(reason: "zone ids (the %… suffix) are not part of an address; remove it"))
        }
        if text.hasPrefix("[") || text.hasSuffix("]") {
            return .failure(Failure(reason: "remove the brackets around the address"))
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else {
            return .failure(Failure(reason: "'::' may appear only once in an IPv6 address"))
        }
        let compressed = halves.count == 2
        var head: [UInt16] = []
        var tail: [UInt16] = []
        for (index, half) in halves.enumerated() {
            guard !half.isEmpty else { continue }
            let pieces = half.split(separator: ":", omittingEmptySubsequences: false)
            var groups: [UInt16] = []
            for (position, piece) in pieces.enumerated() {
                let isLast = index == halves.count - 1 && position == pieces.count - 1
                if isLast && piece.contains(".") {
                    switch IPv4Address.parse(piece) {
                    case .success(let address):
                        let octets = address.octets.map(UInt16.init)
                        groups.append(octets[0] << 8 | octets[1])
                        groups.append(octets[2] << 8 | octets[3])
                    case .failure:
                        return .failure(
                            Failure(reason: "its embedded IPv4 part (\(piece.prefix(20))) is not a valid dotted quad")
                        )
                    }
                    continue
                }
                guard (1...4).contains(piece.utf8.count), piece.utf8.allSatisfy(\.isHexDigit),
                    let group = UInt16(piece, radix: 16)
                else {
                    if piece.isEmpty {
                        return .failure(
                            Failure(reason: "it has an empty group (a single ':' at the start or end, or ':::')")
                        )
                    }
                    return .failure(Failure(reason: "group '\(piece.prefix(8))' is not 1 to 4 hexadecimal digits"))
                }
                groups.append(group)
            }
            if index == 0 { head = groups } else { tail = groups }
        }
        let count = head.count + tail.count
        if compressed {
            guard count <= 7 else {
                return .failure(Failure(reason: "it has \(count) groups besides '::', at most 7 are allowed"))
            }
            return .success(IPv6Address(groups: head + Array(repeating: 0, count: 8 - count) + tail))
        }
        guard count == 8 else {
            return .failure(Failure(reason: "it has \(count) groups; an IPv6 address has 8, or fewer with '::'"))
        }
        return .success(IPv6Address(groups: head))
    }

    /// Whether the address is IPv4-mapped (`::ffff:0:0/96`).
    var isIPv4Mapped: Bool { self.groups[0..<5].allSatisfy { $0 == 0 } && self.groups[5] == 0xffff }

    /// The RFC 5952 text: lowercase, no leading zeros, the longest run (two or more, the first on a tie) of zero
    /// groups as `::`, and an IPv4-mapped address with its last 32 bits as a dotted quad.
    var text: String {
        if self.isIPv4Mapped {
            let octets = [self.groups[6] >> 8, self.groups[6] & 0xff, self.groups[7] >> 8, self.groups[7] & 0xff]
            return "::ffff:" + octets.map { String($0) }.joined(separator: ".")
        }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard self.groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8 && self.groups[index] == 0 { index += 1 }
            if index - start > bestLength {
                bestStart = start
                bestLength = index - start
            }
        }
        let hex = self.groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

extension UInt8 {
    /// Whether the byte is an ASCII hexadecimal digit.
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
