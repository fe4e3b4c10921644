/// A dotted-quad IPv4 address, parsed strictly: four decimal octets, each 0–255, no leading zeros.
struct IPv4Address: Hashable, Sendable {
    /// The four octets, most significant first.
    var octets: [UInt8]

    /// Why text is not a canonical dotted quad.
    enum Failure: Error, Hashable {
        /// Not four parts, an empty part, a non-digit or a leading zero.
        case malformed(String)
        /// An octet above 255 (the octet as written, and its position, 1-based).
        case outOfRange(octet: String, position: Int)
    }

    /// Parses `text`; `Failure` carries the reason.
    static func parse(_ text: Substring) -> Result<IPv4Address, Failure> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            return .failure(.malformed("an IPv4 address has four numbers separated by dots, this has \(parts.count)"))
        }
        var octets: [UInt8] = []
        for (index, part) in parts.enumerated() {
            guard !part.isEmpty else {
                return .failure(.malformed("part \(index + 1) of the IPv4 address is empty"))
            }
            guard part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return .failure(.malformed("part \(index + 1) of the IPv4 address (\(part.prefix(8))) is not a number"))
            }
            guard part.count <= 3, let value = Int(part), value <= 255 else {
                return .failure(.outOfRange(octet: String(part.prefix(12)), position: index + 1))
            }
            guard part.count == 1 || part.first != "0" else {
                return .failure(
                    .malformed(
                        "octet \(index + 1) (\(part)) has a leading zero, which some tools read as octal; "
                            + "write it as \(value)"
                    )
                )
            }
            octets.append(UInt8(value))
        }
        return .success(IPv4Address(octets: octets))
    }

    /// The canonical text: `a.b.c.d`.
    var text: String { self.octets.map(String.init).joined(separator: ".") }
}
