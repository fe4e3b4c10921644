import Foundation

/// An Aptos account address, normalised to its long form: `0x` and 64 lowercase hex digits.
///
/// Parsing accepts `0x` followed by 1 to 64 hex digits in any case, so `0x1`, `0x01` and
/// `0x0000…0001` are the same address. Decoding from JSON parses the same way.
public struct AptosAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// The long form: `0x` and 64 lowercase hex digits.
    public let longForm: String

    /// Parses an address.
    ///
    /// - Parameter text: `0x` followed by 1 to 64 hex digits, any case; surrounding whitespace is ignored.
    /// - Throws: ``AptosUsageError`` with code ``AptosUsageError/Code/invalidAddress`` saying what was wrong.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func invalid(_ reason: String) -> AptosUsageError {
            let shown = trimmed.count > 80 ? String(trimmed.prefix(80)) + "…" : trimmed
            return AptosUsageError(
                .invalidAddress,
                "invalid Aptos address '\(shown)': \(reason); "
                    + "use 0x followed by 1 to 64 hex digits, e.g. 0x1 or 0x"
                    + String(repeating: "0", count: 63) + "1"
            )
        }
        guard !trimmed.isEmpty else { throw invalid("it is empty") }
        guard trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X") else { throw invalid("it does not start with 0x") }
        let digits = trimmed.utf8.dropFirst(2)
        guard !digits.isEmpty else { throw invalid("there are no hex digits after 0x") }
        guard digits.count <= 64 else { throw invalid("it has \(digits.count) hex digits, more than 64") }
        var normalised = [UInt8](repeating: UInt8(ascii: "0"), count: 66)
        normalised[1] = UInt8(ascii: "x")
        var index = 66 - digits.count
        for byte in digits {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                normalised[index] = byte
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                normalised[index] = byte + 32
            default:
                throw invalid("'\(String(decoding: [byte], as: UTF8.self))' is not a hex digit")
            }
            index += 1
        }
        self.longForm = String(decoding: normalised, as: UTF8.self)
    }

    /// Parses an address, or returns `nil` when `description` is not one (see ``init(parsing:)``).
    public init?(_ description: String) {
        guard let address = try? Self(parsing: description) else { return nil }
        self = address
    }

    /// The framework account, `0x1`.
    public static let framework = try! AptosAddress(parsing: "0x1")

    /// Whether this is a special address (`0x0` to `0xf`), conventionally written short.
    public var isSpecial: Bool {
        self.longForm.utf8.dropFirst(2).dropLast().allSatisfy { $0 == UInt8(ascii: "0") }
    }

    /// The short form for special addresses (`0x1`), the long form for every other address.
    public var shortDescription: String {
        self.isSpecial ? "0x" + String(self.longForm.suffix(1)) : self.longForm
    }

    /// The long form.
    public var description: String { self.longForm }

    public static func < (lhs: AptosAddress, rhs: AptosAddress) -> Bool { lhs.longForm < rhs.longForm }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch let error as AptosUsageError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.longForm)
    }
}
