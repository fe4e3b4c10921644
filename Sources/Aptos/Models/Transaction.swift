/// A transaction, as the node API returns it: a union on `type` with the fields every kind shares.
///
/// Kinds the SDK does not know decode as ``Kind-swift.enum/unknown(type:)`` with whatever common fields they carry,
/// so a new kind never fails a page. The whole body can be kept as ``raw`` (see ``keepsRawJSON``).
public struct Transaction: Decodable, Hashable, Sendable {
    /// The kind of transaction, with the fields only that kind has.
    public enum Kind: Hashable, Sendable {
        /// `user_transaction`: signed by an account.
        case user(UserFields)
        /// `pending_transaction`: submitted, not yet committed (no version, no outcome).
        case pending(UserFields)
        /// `block_metadata_transaction`: opens a block.
        case blockMetadata(BlockMetadataFields)
        /// `state_checkpoint_transaction`: closes a block on older nodes.
        case stateCheckpoint
        /// `block_epilogue_transaction`: closes a block on newer nodes.
        case blockEpilogue
        /// `genesis_transaction`: version 0 (and network resets).
        case genesis
        /// `validator_transaction`: a validator's on-chain action (DKG, JWK updates).
        case validator
        /// A kind the SDK does not know, with its `type` as sent.
        case unknown(type: String)
    }

    /// The kind, with its own fields.
    public var kind: Kind
    /// The `type` as sent, e.g. `user_transaction`.
    public var type: String
    /// The transaction's hash.
    public var hash: String
    /// The ledger version; `nil` only for pending transactions.
    public var version: UInt64?
    /// Whether it executed successfully; `nil` for pending transactions.
    public var success: Bool?
    /// The VM's status text, e.g. `Executed successfully`.
    public var vmStatus: String?
    /// Gas units used.
    public var gasUsed: UInt64?
    /// When it was committed, in microseconds since the Unix epoch.
    public var timestampMicroseconds: UInt64?
    /// How many state changes it made (the changes themselves are in ``raw``).
    public var changeCount: Int
    /// The events it emitted (empty when the kind has none).
    public var events: [Event]
    /// The whole transaction as sent, when the decoder was asked to keep it (``keepsRawJSON``), else `.null`.
    ///
    /// Off by default: building a ``JSONValue`` of every change costs several times the typed decoding.
    public var raw: JSONValue

    /// Set `decoder.userInfo[Transaction.keepsRawJSON] = true` to keep each transaction's JSON in ``raw``.
    public static let keepsRawJSON = CodingUserInfoKey(rawValue: "Aptos.Transaction.keepsRawJSON")!

    /// The sender-side fields of a user or pending transaction, else `nil`.
    public var userFields: UserFields? {
        switch self.kind {
        case .user(let fields), .pending(let fields): fields
        default: nil
        }
    }

    /// Whether the transaction is committed (has a version), as opposed to pending.
    public var isCommitted: Bool { self.version != nil }

    private enum CodingKeys: String, CodingKey {
        case type, hash, version, success, vmStatus = "vm_status", gasUsed = "gas_used", timestamp, changes, events
    }

    public init(from decoder: any Decoder) throws {
        self.raw = decoder.userInfo[Self.keepsRawJSON] as? Bool == true ? try JSONValue(from: decoder) : .null
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        self.type = type
        switch type {
        case "user_transaction": self.kind = .user(try UserFields(from: decoder))
        case "pending_transaction": self.kind = .pending(try UserFields(from: decoder))
        case "block_metadata_transaction": self.kind = .blockMetadata(try BlockMetadataFields(from: decoder))
        case "state_checkpoint_transaction": self.kind = .stateCheckpoint
        case "block_epilogue_transaction": self.kind = .blockEpilogue
        case "genesis_transaction": self.kind = .genesis
        case "validator_transaction": self.kind = .validator
        default: self.kind = .unknown(type: type)
        }
        if case .unknown = self.kind {
            // Be lenient with what we don't know: take what parses.
            self.hash = (try? container.decodeIfPresent(String.self, forKey: .hash)) ?? ""
            self.version = try? container.decodeUInt64IfPresent(forKey: .version)
            self.success = try? container.decodeIfPresent(Bool.self, forKey: .success)
            self.vmStatus = try? container.decodeIfPresent(String.self, forKey: .vmStatus)
            self.gasUsed = try? container.decodeUInt64IfPresent(forKey: .gasUsed)
            self.timestampMicroseconds = try? container.decodeUInt64IfPresent(forKey: .timestamp)
            self.events = (try? container.decodeIfPresent([Event].self, forKey: .events)) ?? []
        } else {
            self.hash = try container.decode(String.self, forKey: .hash)
            self.version = try container.decodeUInt64IfPresent(forKey: .version)
            self.success = try container.decodeIfPresent(Bool.self, forKey: .success)
            self.vmStatus = try container.decodeIfPresent(String.self, forKey: .vmStatus)
            self.gasUsed = try container.decodeUInt64IfPresent(forKey: .gasUsed)
            self.timestampMicroseconds = try container.decodeUInt64IfPresent(forKey: .timestamp)
            self.events = try container.decodeIfPresent([Event].self, forKey: .events) ?? []
        }
        if let changes = try? container.nestedUnkeyedContainer(forKey: .changes) {
            self.changeCount = changes.count ?? 0
        } else {
            self.changeCount = 0
        }
    }
}
