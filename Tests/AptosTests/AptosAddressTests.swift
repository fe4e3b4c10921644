import Aptos
import Foundation
import Testing

private let one = "0x" + String(repeating: "0", count: 63) + "1"

private let upper: String = "0x" + String(repeating: "A", count: 64)
private let lower: String = "0x" + String(repeating: "a", count: 64)
private let abc: String = "0x" + String(repeating: "0", count: 58) + "abcdef"
private let zero: String = "0x" + String(repeating: "0", count: 64)
private let tooLong: String = "0x" + String(repeating: "1", count: 65)

private let validCases: [(String, String)] = [
    ("0x1", one),
    ("0x01", one),
    (one, one),
    ("0X1", one),
    ("  0x1\n", one),
    (upper, lower),
    ("0xABCdef", abc),
    ("0x0", zero),
]

@Test("Valid addresses normalise to the long lowercase form", arguments: validCases)
func validAddress(text: String, longForm: String) throws {
    let address = try AptosAddress(parsing: text)
    #expect(address.longForm == longForm)
    #expect(address.description == longForm)
    #expect(AptosAddress(text) == address)
}

@Test(
    "Invalid addresses say what was wrong",
    arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("1", "does not start with 0x"),
        ("abcdef", "does not start with 0x"),
        ("0x", "no hex digits"),
        (tooLong, "65 hex digits"),
        ("0xg1", "'g' is not a hex digit"),
        ("0x12 34", "' ' is not a hex digit"),
        ("0x-1", "'-' is not a hex digit"),
    ]
)
func invalidAddress(text: String, reason: String) {
    let error = #expect(throws: AptosUsageError.self) { try AptosAddress(parsing: text) }
    #expect(error?.code == .invalidAddress)
    #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("0x followed by 1 to 64 hex digits") == true)
    #expect(AptosAddress(text) == nil)
}

@Test func specialAddressesHaveAShortForm() throws {
    #expect(AptosAddress.framework.shortDescription == "0x1")
    #expect(AptosAddress.framework.isSpecial)
    #expect(try AptosAddress(parsing: "0xa").shortDescription == "0xa")
    let long = try AptosAddress(parsing: "0x10")
    #expect(!long.isSpecial)
    #expect(long.shortDescription == long.longForm)
}

@Test func addressCodesAsTheLongForm() throws {
    let decoded = try JSONDecoder().decode([AptosAddress].self, from: Data(#"["0x1"]"#.utf8))
    #expect(decoded == [.framework])
    let encoded = try JSONEncoder().encode(AptosAddress.framework)
    #expect(String(decoding: encoded, as: UTF8.self) == "\"\(one)\"")
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([AptosAddress].self, from: Data(#"["1"]"#.utf8)) }
}
