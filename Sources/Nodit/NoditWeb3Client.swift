public import Aptos
public import Foundation
public import KeyRotation
public import KeyRotationHTTP

/// A client of Nodit's Web3 Data API for Aptos (`POST https://web3.nodit.io/v1/aptos/{network}/{group}/{operation}`
/// with a JSON body), over a pool of Nodit keys.
///
/// Lists page by cursor: pass a page's ``NoditPage/cursor`` back to get the next one, or use the `all…` helpers.
/// Errors: Nodit's own (`{"code", "message"}`) are thrown as ``NoditAPIError``; the pool's as
/// `RotatingClientError`.
///
/// ```swift
/// let keys = try KeySource.environment(prefix: "NODIT").keys()
/// let web3 = NoditWeb3Client(network: .mainnet, rotator: KeyRotator(keys: keys))!
/// let page = try await web3.tokensOwned(by: try AptosAddress(parsing: "0x1"))
/// ```
public final class NoditWeb3Client<C: Clock>: Sendable where C.Duration == Duration {
    /// The most items a page may hold.
    public static var maximumPageSize: Int { 100 }

    /// The rotating client requests go through.
    public let client: RotatingClient<C>

    /// Creates a client whose requests go through `client` (its profile's base URL is the Data API's network base,
    /// `https://web3.nodit.io/v1/aptos/mainnet`).
    public init(client: RotatingClient<C>) {
        self.client = client
    }

    /// Creates a client for `network` that sends through `transport` on `clock` (tests).
    package convenience init?(
        network: AptosNetwork,
        baseURL: URL? = nil,
        rotator: KeyRotator<C>,
        transport: any HTTPTransport,
        clock: C,
        configuration: RotatingClient<C>.Configuration = .init()
    ) {
        guard let url = baseURL ?? network.noditWeb3BaseURL else { return nil }
        self.init(
            client: RotatingClient(
                profile: AptosEndpoint<C>.noditProfile(baseURL: url),
                rotator: rotator,
                transport: transport,
                clock: clock,
                configuration: configuration
            )
        )
    }

    // MARK: Operations

    /// Tokens (coins and fungible assets) an account holds (`token/getTokensOwnedByAccount`).
    public func tokensOwned(
        by address: AptosAddress,
        pageSize: Int = 20,
        cursor: String? = nil,
        deadline: C.Instant? = nil
    ) async throws -> NoditPage<TokenHolding> {
        try await self.post(
            "token/getTokensOwnedByAccount",
            ["accountAddress": .string(address.longForm)],
            pageSize: pageSize,
            cursor: cursor,
            deadline: deadline
        )
    }

    /// An account's token balance changes (`token/getTokenBalanceChangesByAccount`), optionally within a date range
    /// (ISO-8601 strings).
    public func tokenBalanceChanges(
        of address: AptosAddress,
        fromDate: String? = nil,
        toDate: String? = nil,
        pageSize: Int = 20,
        cursor: String? = nil,
        deadline: C.Instant? = nil
    ) async throws -> NoditPage<TokenBalanceChange> {
        var body: [String: JSONValue] = ["accountAddress": .string(address.longForm)]
        if let fromDate { body["fromDate"] = .string(fromDate) }
        if let toDate { body["toDate"] = .string(toDate) }
        return try await self.post(
            "token/getTokenBalanceChangesByAccount",
            body,
            pageSize: pageSize,
            cursor: cursor,
            deadline: deadline
        )
    }

    /// Transactions of an account (`blockchain/getTransactionsByAccount`).
    public func transactions(
        of address: AptosAddress,
        relation: NoditRelation = .both,
        fromDate: String? = nil,
        toDate: String? = nil,
        withBalanceChanges: Bool = false,
        pageSize: Int = 20,
        cursor: String? = nil,
        deadline: C.Instant? = nil
    ) async throws -> NoditPage<NoditTransaction> {
        var body: [String: JSONValue] = [
            "accountAddress": .string(address.longForm),
            "relation": .string(relation.rawValue),
        ]
        if let fromDate { body["fromDate"] = .string(fromDate) }
        if let toDate { body["toDate"] = .string(toDate) }
        if withBalanceChanges { body["withBalanceChanges"] = .bool(true) }
        return try await self.post(
            "blockchain/getTransactionsByAccount",
            body,
            pageSize: pageSize,
            cursor: cursor,
            deadline: deadline
        )
    }

    /// A block by its hash or its height (`blockchain/getBlockByHashOrNumber`).
    public func block(_ hashOrNumber: String, deadline: C.Instant? = nil) async throws -> NoditBlock {
        try await self.send("blockchain/getBlockByHashOrNumber", ["block": .string(hashOrNumber)], deadline: deadline)
    }

    /// Every page of a cursor list, up to `maximumPages`, concatenated.
    ///
    /// - Parameters:
    ///   - maximumPages: The most pages read. Default 100.
    ///   - page: Reads one page given the previous page's cursor (`nil` for the first).
    public func all<Item: Decodable & Sendable>(
        maximumPages: Int = 100,
        _ page: (String?) async throws -> NoditPage<Item>
    ) async throws -> [Item] {
        try await self.pages(maximumPages: maximumPages, page).items
    }

    /// The pages of a cursor list, up to `maximumPages`, as one page: every item read, and the cursor to continue
    /// from when the list goes on past the last page read (`nil` when it was read to its end).
    ///
    /// - Parameters:
    ///   - maximumPages: The most pages read. Default 100.
    ///   - page: Reads one page given the previous page's cursor (`nil` for the first).
    /// - Throws: the first page's error as it is; for a later page, ``NoditPagingError`` with the items already read
    ///   (their quota is spent) and the cursor of the page that failed, to continue from.
    public func pages<Item: Decodable & Sendable>(
        maximumPages: Int = 100,
        _ page: (String?) async throws -> NoditPage<Item>
    ) async throws -> NoditPage<Item> {
        var items: [Item] = []
        var cursor: String?
        for index in 0..<max(1, maximumPages) {
            let next: NoditPage<Item>
            do { next = try await page(cursor) } catch {
                if index == 0 { throw error }
                throw NoditPagingError(items: items, cursor: cursor, underlying: error)
            }
            items += next.items
            // No cursor, or the same one again (a server that would loop): the list ends here.
            guard let following = next.cursor, following != cursor else { return NoditPage(items: items) }
            cursor = following
        }
        return NoditPage(cursor: cursor, items: items)
    }

    // MARK: Sending

    private func post<Item: Decodable & Sendable>(
        _ operation: String,
        _ body: [String: JSONValue],
        pageSize: Int,
        cursor: String?,
        deadline: C.Instant?
    ) async throws -> NoditPage<Item> {
        guard (1...Self.maximumPageSize).contains(pageSize) else {
            throw AptosClientError(.invalidArgument, "page size \(pageSize) is out of range: use 1 to 100")
        }
        var body = body
        body["rpp"] = .integer(Int64(pageSize))
        if let cursor { body["cursor"] = .string(cursor) }
        return try await self.send(operation, body, deadline: deadline)
    }

    private func send<T: Decodable & Sendable>(
        _ operation: String,
        _ body: [String: JSONValue],
        deadline: C.Instant?
    ) async throws -> T {
        let data: Data
        do { data = try JSONEncoder().encode(JSONValue.object(body)) } catch {
            throw AptosClientError(.invalidArgument, "cannot encode the request body: \(error)")
        }
        // Data API reads are safe to retry although they are POSTs.
        let request = self.client.profile.request(.post, "/" + operation, body: data, isSafeToRetry: true)
        let result = try await self.client.send(request, deadline: deadline)
        let response = result.response
        guard case .success = result.classification.kind else {
            if let error = NoditAPIError(response: response) { throw error }
            if let error = AptosAPIError(response: response) { throw error }
            throw AptosClientError(
                .unexpectedResponse,
                "Nodit answered HTTP \(response.status)" + (result.classification.message.map { ": \($0)" } ?? ""),
                status: response.status,
                endpoint: "nodit-web3"
            )
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw AptosClientError(
                .decodingFailed,
                "cannot decode Nodit's answer to \(operation) as \(T.self): \(error)",
                status: response.status,
                endpoint: "nodit-web3"
            )
        }
    }
}

extension NoditWeb3Client where C == ContinuousClock {
    /// Creates a client for `network` over the default transport, or `nil` for devnet (not served).
    ///
    /// - Parameters:
    ///   - network: Mainnet or testnet.
    ///   - baseURL: Overrides the Data API's network base (`https://web3.nodit.io/v1/aptos/mainnet`).
    ///   - rotator: The pool of Nodit keys.
    ///   - policy: Timeouts and size caps; the base URL's host is added to its allowlist.
    public convenience init?(
        network: AptosNetwork,
        baseURL: URL? = nil,
        rotator: KeyRotator<ContinuousClock>,
        policy: TransportPolicy = TransportPolicy()
    ) {
        guard let url = baseURL ?? network.noditWeb3BaseURL else { return nil }
        self.init(
            client: RotatingClient(
                profile: AptosEndpoint<ContinuousClock>.noditProfile(baseURL: url),
                rotator: rotator,
                policy: policy
            )
        )
    }
}

/// A page after the first failed while reading a cursor list (``NoditWeb3Client/pages(maximumPages:_:)``): the items
/// read before it, whose quota is spent, and the cursor of the page that failed, to continue from.
public struct NoditPagingError<Item: Sendable>: Error, CustomStringConvertible {
    /// The items of the pages read before the failure, in order.
    public var items: [Item]
    /// The cursor of the page that failed: pass it as the first cursor to continue the list.
    public var cursor: String?
    /// Why the page failed.
    public var underlying: any Error

    public var description: String {
        "a page failed after \(self.items.count) items were read (continue from cursor "
            + "\(self.cursor ?? "none")): \(self.underlying)"
    }
}
