/// An event a transaction emitted.
public struct Event: Decodable, Hashable, Sendable {
    /// The event handle's identity: its creator and creation number (`0x0` and 0 for module events).
    public struct GUID: Decodable, Hashable, Sendable {
        /// The handle's creation number.
        public var creationNumber: UInt64
        /// The account that created the handle.
        public var accountAddress: AptosAddress

        /// Creates a GUID.
        public init(creationNumber: UInt64, accountAddress: AptosAddress) {
            self.creationNumber = creationNumber
            self.accountAddress = accountAddress
        }

        private enum CodingKeys: String, CodingKey {
            case creationNumber = "creation_number", accountAddress = "account_address"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.creationNumber = try container.decodeUInt64(forKey: .creationNumber)
            self.accountAddress = try container.decode(AptosAddress.self, forKey: .accountAddress)
        }
    }

    /// The event handle's identity.
    public var guid: GUID
    /// The event's position in its handle's stream.
    public var sequenceNumber: UInt64
    /// The event's Move type, e.g. `0x1::block::NewBlockEvent`.
    public var type: String
    /// The event's fields, as sent.
    public var data: JSONValue
    /// The version of the transaction that emitted it (sent by the event endpoints, not inside transactions).
    public var version: UInt64?

    private enum CodingKeys: String, CodingKey {
        case guid, sequenceNumber = "sequence_number", type, data, version
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.guid = try container.decode(GUID.self, forKey: .guid)
        self.sequenceNumber = try container.decodeUInt64(forKey: .sequenceNumber)
        self.type = try container.decode(String.self, forKey: .type)
        self.data = try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .null
        self.version = try container.decodeUInt64IfPresent(forKey: .version)
    }
}
