import Aptos

/// A token an account holds (`token/getTokensOwnedByAccount`).
public struct TokenHolding: Decodable, Hashable, Sendable {
    /// What Nodit knows about the token.
    public struct Metadata: Decodable, Hashable, Sendable {
        /// The token's name.
        public var name: String?
        /// The token's symbol.
        public var symbol: String?
        /// Decimal places of the smallest unit.
        public var decimals: Int?
        /// The total supply, decimal text.
        public var totalSupply: String?
        /// The maximum supply, decimal text; `nil` when unlimited.
        public var maximumSupply: String?
        /// The token's creator, as sent.
        public var creatorAddress: String?
        /// The project's URI.
        public var projectURI: String?
        /// The icon's URI.
        public var iconURI: String?

        private enum CodingKeys: String, CodingKey {
            case name, symbol, decimals, totalSupply, maximumSupply, creatorAddress, projectURI, iconURI
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decodeIfPresent(String.self, forKey: .name)
            self.symbol = try container.decodeIfPresent(String.self, forKey: .symbol)
            self.decimals = try container.decodeIntIfPresent(forKey: .decimals)
            self.totalSupply = try container.decodeDecimalStringIfPresent(forKey: .totalSupply)
            self.maximumSupply = try container.decodeDecimalStringIfPresent(forKey: .maximumSupply)
            self.creatorAddress = try container.decodeIfPresent(String.self, forKey: .creatorAddress)
            self.projectURI = try container.decodeIfPresent(String.self, forKey: .projectURI)
            self.iconURI = try container.decodeIfPresent(String.self, forKey: .iconURI)
        }
    }

    /// The holder, as sent.
    public var ownerAddress: String?
    /// The fungible store's object address (v2).
    public var objectAddress: String?
    /// The balance in the token's smallest unit, decimal text.
    public var value: String
    /// Whether the store is frozen.
    public var isFrozen: Bool?
    /// Whether this is the holder's primary store.
    public var isPrimary: Bool?
    /// The asset type.
    public var assetType: String
    /// `v1` (coin) or `v2` (fungible asset).
    public var tokenStandard: String?
    /// The paired coin or fungible asset type, if any.
    public var linkedAssetType: String?
    /// The token's metadata, if Nodit has it.
    public var metadata: Metadata?

    /// The balance in whole tokens (``value`` shifted by the metadata's decimals), e.g. `17.67711144`; the raw
    /// value when the decimals are unknown.
    public var formattedValue: String {
        guard let decimals = self.metadata?.decimals, decimals > 0, decimals <= 64 else { return self.value }
        let negative = self.value.hasPrefix("-")
        let digits = negative ? String(self.value.dropFirst()) : self.value
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return self.value }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let whole = padded.dropLast(decimals)
        var fraction = padded.suffix(decimals)
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return (negative ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    private enum CodingKeys: String, CodingKey {
        case ownerAddress, objectAddress, value, isFrozen, isPrimary, assetType, tokenStandard, linkedAssetType
        case metadata
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.ownerAddress = try container.decodeIfPresent(String.self, forKey: .ownerAddress)
        self.objectAddress = try container.decodeIfPresent(String.self, forKey: .objectAddress)
        self.value = try container.decodeDecimalString(forKey: .value)
        self.isFrozen = try container.decodeIfPresent(Bool.self, forKey: .isFrozen)
        self.isPrimary = try container.decodeIfPresent(Bool.self, forKey: .isPrimary)
        self.assetType = try container.decode(String.self, forKey: .assetType)
        self.tokenStandard = try container.decodeIfPresent(String.self, forKey: .tokenStandard)
        self.linkedAssetType = try container.decodeIfPresent(String.self, forKey: .linkedAssetType)
        self.metadata = try container.decodeIfPresent(Metadata.self, forKey: .metadata)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
