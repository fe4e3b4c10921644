import Aptos

/// One page of a Web3 Data API list: `{page?, rpp, cursor?, count?, items}`.
///
/// In cursor mode (the default) send ``cursor`` back for the next page; no cursor marks the last page. In page
/// mode, ``page`` and (with `withCount`) ``count`` are set instead.
public struct NoditPage<Item: Decodable & Sendable>: Decodable, Sendable {
    /// The page number, in page mode.
    public var page: Int?
    /// Results per page.
    public var rpp: Int?
    /// The cursor of the next page, in cursor mode; `nil` on the last page.
    public var cursor: String?
    /// The total number of items, when asked `withCount`.
    public var count: Int?
    /// The items.
    public var items: [Item]

    /// Creates a page.
    public init(page: Int? = nil, rpp: Int? = nil, cursor: String? = nil, count: Int? = nil, items: [Item]) {
        self.page = page
        self.rpp = rpp
        self.cursor = cursor
        self.count = count
        self.items = items
    }

    private enum CodingKeys: String, CodingKey {
        case page, rpp, cursor, count, items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.page = try container.decodeIntIfPresent(forKey: .page)
        self.rpp = try container.decodeIntIfPresent(forKey: .rpp)
        let cursor = try container.decodeIfPresent(String.self, forKey: .cursor)
        self.cursor = cursor?.isEmpty == false ? cursor : nil
        self.count = try container.decodeIntIfPresent(forKey: .count)
        self.items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

extension NoditPage: Equatable where Item: Equatable {}
extension NoditPage: Hashable where Item: Hashable {}
