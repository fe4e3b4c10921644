extension Transaction {
    /// What a user (or pending) transaction adds: its sender, sequence number, gas terms and payload.
    public struct UserFields: Decodable, Hashable, Sendable {
        /// The account that signed it.
        public var sender: AptosAddress
        /// The sender's sequence number it used.
        public var sequenceNumber: UInt64
        /// The most gas units it may use.
        public var maxGasAmount: UInt64
        /// The price per gas unit, in octas.
        public var gasUnitPrice: UInt64
        /// When it expires, in seconds since the Unix epoch.
        public var expirationTimestampSeconds: UInt64
        /// The payload as sent (`entry_function_payload`, `script_payload`, `multisig_payload`, …).
        public var payload: JSONValue

        /// The entry function called (`0x1::aptos_account::transfer`), for entry-function payloads.
        public var entryFunction: String? { self.payload["function"]?.stringValue }

        private enum CodingKeys: String, CodingKey {
            case sender, sequenceNumber = "sequence_number", maxGasAmount = "max_gas_amount"
            case gasUnitPrice = "gas_unit_price", expirationTimestampSeconds = "expiration_timestamp_secs", payload
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.sender = try container.decode(AptosAddress.self, forKey: .sender)
            self.sequenceNumber = try container.decodeUInt64(forKey: .sequenceNumber)
            self.maxGasAmount = try container.decodeUInt64(forKey: .maxGasAmount)
            self.gasUnitPrice = try container.decodeUInt64(forKey: .gasUnitPrice)
            self.expirationTimestampSeconds = try container.decodeUInt64(forKey: .expirationTimestampSeconds)
            self.payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        }
    }

    /// What a block-metadata transaction adds: the block's id, epoch, round and proposer.
    public struct BlockMetadataFields: Decodable, Hashable, Sendable {
        /// The block's id (its hash).
        public var id: String
        /// The epoch.
        public var epoch: UInt64
        /// The consensus round.
        public var round: UInt64
        /// The validator that proposed the block.
        public var proposer: AptosAddress

        private enum CodingKeys: String, CodingKey {
            case id, epoch, round, proposer
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.id = try container.decode(String.self, forKey: .id)
            self.epoch = try container.decodeUInt64(forKey: .epoch)
            self.round = try container.decodeUInt64(forKey: .round)
            self.proposer = try container.decode(AptosAddress.self, forKey: .proposer)
        }
    }
}
