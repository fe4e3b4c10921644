public import Aptos

/// A transaction from the Web3 Data API (`blockchain/getTransactionsByAccount`, `getTransactionByHash`, …).
///
/// Integers may come as numbers or strings; gas fields are kept as decimal text, as sent.
public struct NoditTransaction: Decodable, Hashable, Sendable {
    /// An event the transaction emitted.
    public struct Event: Decodable, Hashable, Sendable {
        /// The event's index in the transaction.
        public var eventIndex: Int?
        /// The event's Move type.
        public var eventType: String
        /// The account of the event handle (`0x0` for module events), as sent.
        public var accountAddress: String?
        /// The event's fields, as sent.
        public var data: JSONValue
        /// The handle's creation number.
        public var creationNumber: UInt64?
        /// The event's sequence number in its handle.
        public var sequenceNumber: UInt64?

        private enum CodingKeys: String, CodingKey {
            case eventIndex, eventType, accountAddress, data, creationNumber, sequenceNumber
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.eventIndex = try container.decodeIntIfPresent(forKey: .eventIndex)
            self.eventType = try container.decode(String.self, forKey: .eventType)
            self.accountAddress = try container.decodeIfPresent(String.self, forKey: .accountAddress)
            self.data = try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .null
            self.creationNumber = try container.decodeUInt64IfPresent(forKey: .creationNumber)
            self.sequenceNumber = try container.decodeUInt64IfPresent(forKey: .sequenceNumber)
        }
    }

    /// The transaction's hash.
    public var transactionHash: String
    /// The ledger version.
    public var transactionVersion: UInt64
    /// The block's height.
    public var blockHeight: UInt64?
    /// When it was committed, in microseconds since the Unix epoch.
    public var blockTimestampMicroseconds: UInt64?
    /// The sender, for user transactions.
    public var sender: AptosAddress?
    /// The sender's sequence number, for user transactions.
    public var sequenceNumber: UInt64?
    /// When it expires, in seconds since the Unix epoch.
    public var expirationTimestampSeconds: UInt64?
    /// Price per gas unit, decimal text.
    public var gasUnitPrice: String?
    /// Gas units used, decimal text.
    public var gasUsed: String?
    /// Most gas units allowed, decimal text.
    public var maxGasAmount: String?
    /// Whether it executed successfully.
    public var success: Bool
    /// The VM's status text.
    public var vmStatus: String?
    /// The events it emitted.
    public var events: [Event]
    /// Accounts whose balance went up.
    public var balanceInAccounts: [String]
    /// Accounts whose balance went down.
    public var balanceOutAccounts: [String]
    /// Asset types whose balances changed.
    public var balanceChangedTokens: [String]
    /// Balance changes, as sent, when asked `withBalanceChanges`.
    public var balanceChanges: JSONValue?

    private enum CodingKeys: String, CodingKey {
        case transactionHash, transactionVersion, blockHeight, blockTimestamp, sender, sequenceNumber
        case expirationTimestampSecs, gasUnitPrice, gasUsed, maxGasAmount, success, vmStatus, events
        case balanceInAccounts, balanceOutAccounts, balanceChangedTokens, balanceChanges
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.transactionHash = try container.decode(String.self, forKey: .transactionHash)
        self.transactionVersion = try container.decodeUInt64(forKey: .transactionVersion)
        self.blockHeight = try container.decodeUInt64IfPresent(forKey: .blockHeight)
        self.blockTimestampMicroseconds = try container.decodeUInt64IfPresent(forKey: .blockTimestamp)
        self.sender = try container.decodeIfPresent(AptosAddress.self, forKey: .sender)
        self.sequenceNumber = try container.decodeUInt64IfPresent(forKey: .sequenceNumber)
        self.expirationTimestampSeconds = try container.decodeUInt64IfPresent(forKey: .expirationTimestampSecs)
        self.gasUnitPrice = try container.decodeDecimalStringIfPresent(forKey: .gasUnitPrice)
        self.gasUsed = try container.decodeDecimalStringIfPresent(forKey: .gasUsed)
        self.maxGasAmount = try container.decodeDecimalStringIfPresent(forKey: .maxGasAmount)
        self.success = try container.decodeIfPresent(Bool.self, forKey: .success) ?? false
        self.vmStatus = try container.decodeIfPresent(String.self, forKey: .vmStatus)
        self.events = try container.decodeIfPresent([Event].self, forKey: .events) ?? []
        self.balanceInAccounts = try container.decodeIfPresent([String].self, forKey: .balanceInAccounts) ?? []
        self.balanceOutAccounts = try container.decodeIfPresent([String].self, forKey: .balanceOutAccounts) ?? []
        self.balanceChangedTokens = try container.decodeIfPresent([String].self, forKey: .balanceChangedTokens) ?? []
        self.balanceChanges = try container.decodeIfPresent(JSONValue.self, forKey: .balanceChanges)
    }
}
