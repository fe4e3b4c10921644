/// An account: `GET /v1/accounts/{address}`.
///
/// A never-used address may come back as `{"sequence_number": "0", "authentication_key": <the address>}` instead
/// of a 404 `account_not_found`; ``isUnused(at:)`` tells.
public struct Account: Decodable, Hashable, Sendable {
    /// The number of transactions the account has sent.
    public var sequenceNumber: UInt64
    /// The authentication key, hex with `0x`, as sent.
    public var authenticationKey: String

    /// Creates an account.
    public init(sequenceNumber: UInt64, authenticationKey: String) {
        self.sequenceNumber = sequenceNumber
        self.authenticationKey = authenticationKey
    }

    private enum CodingKeys: String, CodingKey {
        case sequenceNumber = "sequence_number", authenticationKey = "authentication_key"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.sequenceNumber = try container.decodeUInt64(forKey: .sequenceNumber)
        self.authenticationKey = try container.decode(String.self, forKey: .authenticationKey)
    }

    /// Whether this is a stateless account's answer: sequence number 0 and the authentication key equal to the
    /// address (the node's reply for an address that never sent a transaction nor rotated its key).
    public func isUnused(at address: AptosAddress) -> Bool {
        self.sequenceNumber == 0 && (try? AptosAddress(parsing: self.authenticationKey)) == address
    }
}
