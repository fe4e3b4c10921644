import Aptos

/// One change to an account's token balance (`token/getTokenBalanceChangesByAccount`).
public struct TokenBalanceChange: Decodable, Hashable, Sendable {
    /// The transaction's ledger version.
    public var transactionVersion: UInt64
    /// The transaction's hash.
    public var transactionHash: String?
    /// The block's height.
    public var blockHeight: UInt64?
    /// When it happened, in microseconds since the Unix epoch.
    public var blockTimestampMicroseconds: UInt64?
    /// The event's index in the transaction.
    public var eventIndex: Int?
    /// The event's Move type.
    public var eventType: String?
    /// The index within the event.
    public var subEventIndex: Int?
    /// The account whose balance changed, as sent.
    public var accountAddress: String
    /// The asset type (a coin type or a fungible asset's metadata address).
    public var assetType: String
    /// The paired coin or fungible asset type, if any.
    public var linkedAssetType: String?
    /// The signed change in the token's smallest unit, as decimal text (`-1000000`).
    public var changeValue: String
    /// `v1` (coin) or `v2` (fungible asset).
    public var tokenStandard: String?
    /// `deposit`, `withdraw`, `swap_in`, `swap_out`, `gas` or `refund_gas`, as sent.
    public var transferType: String?

    /// Whether the change lowers the balance.
    public var isDebit: Bool { self.changeValue.hasPrefix("-") }

    private enum CodingKeys: String, CodingKey {
        case transactionVersion, transactionHash, blockHeight, blockTimestamp, eventIndex, eventType, subEventIndex
        case accountAddress, assetType, linkedAssetType, changeValue, tokenStandard, transferType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.transactionVersion = try container.decodeUInt64(forKey: .transactionVersion)
        self.transactionHash = try container.decodeIfPresent(String.self, forKey: .transactionHash)
        self.blockHeight = try container.decodeUInt64IfPresent(forKey: .blockHeight)
        self.blockTimestampMicroseconds = try container.decodeUInt64IfPresent(forKey: .blockTimestamp)
        self.eventIndex = try container.decodeIntIfPresent(forKey: .eventIndex)
        self.eventType = try container.decodeIfPresent(String.self, forKey: .eventType)
        self.subEventIndex = try container.decodeIntIfPresent(forKey: .subEventIndex)
        self.accountAddress = try container.decode(String.self, forKey: .accountAddress)
        self.assetType = try container.decode(String.self, forKey: .assetType)
        self.linkedAssetType = try container.decodeIfPresent(String.self, forKey: .linkedAssetType)
        self.changeValue = try container.decodeDecimalString(forKey: .changeValue)
        self.tokenStandard = try container.decodeIfPresent(String.self, forKey: .tokenStandard)
        self.transferType = try container.decodeIfPresent(String.self, forKey: .transferType)
    }
}
