import Foundation
import KeyRotationHTTP

extension AptosClient {
    /// The most transactions or events one page may hold.
    public static var maximumPageSize: Int { 100 }

    /// The most pages a cursor-following call reads before it stops (a guard against a node that never ends).
    public static var maximumCursorPages: Int { 10_000 }

    // MARK: Ledger

    /// The ledger's state: chain id, epoch, versions, block heights, time (`GET /`).
    public func ledgerInfo(deadline: C.Instant? = nil) async throws -> AptosResponse<LedgerInfo> {
        try await self.fetch(LedgerInfo.self, Request(path: "/"), deadline: deadline)
    }

    /// Gas price estimates (`GET /estimate_gas_price`).
    public func estimateGasPrice(deadline: C.Instant? = nil) async throws -> AptosResponse<GasEstimate> {
        try await self.fetch(GasEstimate.self, Request(path: "/estimate_gas_price"), deadline: deadline)
    }

    // MARK: Accounts

    /// An account's sequence number and authentication key (`GET /accounts/{address}`).
    ///
    /// A never-used address may answer 200 with sequence number 0 (see ``Account/isUnused(at:)``) or 404
    /// `account_not_found` (thrown as ``AptosAPIError``).
    public func account(
        _ address: AptosAddress,
        ledgerVersion: UInt64? = nil,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<Account> {
        try await self.fetch(
            Account.self,
            Request(path: "/accounts/\(address)", query: Self.at(ledgerVersion)),
            deadline: deadline
        )
    }

    /// Every resource of an account, following the `X-Aptos-Cursor` header from page to page.
    ///
    /// - Parameters:
    ///   - address: The account.
    ///   - ledgerVersion: Read at this version; default the latest (the first page's version is then used for
    ///     the following pages, so the list is consistent).
    ///   - pageSize: Resources per page (1…9,999). Default 1,000.
    /// - Returns: The resources; the ledger headers are the last page's.
    public func accountResources(
        _ address: AptosAddress,
        ledgerVersion: UInt64? = nil,
        pageSize: Int = 1000,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[AccountResource]> {
        try await self.followCursor(
            AccountResource.self,
            path: "/accounts/\(address)/resources",
            ledgerVersion: ledgerVersion,
            pageSize: pageSize,
            deadline: deadline
        )
    }

    /// One resource of an account by its struct tag (`0x1::account::Account`), percent-encoded in the path.
    public func accountResource(
        _ address: AptosAddress,
        type: String,
        ledgerVersion: UInt64? = nil,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<AccountResource> {
        try await self.fetch(
            AccountResource.self,
            Request(path: "/accounts/\(address)/resource/\(Self.encodeSegment(type))", query: Self.at(ledgerVersion)),
            deadline: deadline
        )
    }

    /// Every module an account published, following the `X-Aptos-Cursor` header.
    public func accountModules(
        _ address: AptosAddress,
        ledgerVersion: UInt64? = nil,
        pageSize: Int = 1000,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[AccountModule]> {
        try await self.followCursor(
            AccountModule.self,
            path: "/accounts/\(address)/modules",
            ledgerVersion: ledgerVersion,
            pageSize: pageSize,
            deadline: deadline
        )
    }

    /// Transactions an account sent, from sequence number `start` (`GET /accounts/{address}/transactions`).
    public func accountTransactions(
        _ address: AptosAddress,
        start: UInt64? = nil,
        limit: Int = 25,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[Transaction]> {
        try Self.checkLimit(limit)
        var query = [("limit", String(limit))]
        if let start { query.insert(("start", String(start)), at: 0) }
        return try await self.fetch(
            [Transaction].self,
            Request(path: "/accounts/\(address)/transactions", query: query),
            deadline: deadline
        )
    }

    // MARK: Transactions

    /// Up to `limit` committed transactions from version `start` (`GET /transactions`), in version order.
    ///
    /// - Parameters:
    ///   - start: The first version.
    ///   - limit: 1…100.
    /// - Throws: ``AptosClientError`` (`invalidArgument`) for a limit outside 1…100, before sending;
    ///   ``AptosAPIError`` with ``AptosAPIError/isPruned`` and ``AptosAPIError/oldestLedgerVersion`` when `start`
    ///   is below the node's oldest version.
    public func transactions(
        start: UInt64,
        limit: Int = 100,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[Transaction]> {
        try Self.checkLimit(limit)
        return try await self.fetch(
            [Transaction].self,
            Request(path: "/transactions", query: [("start", String(start)), ("limit", String(limit))]),
            deadline: deadline
        )
    }

    /// The transaction with `hash` (`GET /transactions/by_hash/{hash}`); it may still be pending.
    public func transaction(byHash hash: String, deadline: C.Instant? = nil) async throws -> AptosResponse<Transaction>
    {
        try await self.fetch(
            Transaction.self,
            Request(path: "/transactions/by_hash/\(Self.encodeSegment(hash))"),
            deadline: deadline
        )
    }

    /// The transaction at `version` (`GET /transactions/by_version/{version}`).
    public func transaction(
        byVersion version: UInt64,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<Transaction> {
        try await self.fetch(Transaction.self, Request(path: "/transactions/by_version/\(version)"), deadline: deadline)
    }

    // MARK: Blocks

    /// The block at `height`, with its transactions if asked (`GET /blocks/by_height/{height}`).
    public func block(
        height: UInt64,
        withTransactions: Bool = false,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<Block> {
        try await self.fetch(
            Block.self,
            Request(path: "/blocks/by_height/\(height)", query: [("with_transactions", String(withTransactions))]),
            deadline: deadline
        )
    }

    /// The block that holds `version`, with its transactions if asked (`GET /blocks/by_version/{version}`).
    public func block(
        containingVersion version: UInt64,
        withTransactions: Bool = false,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<Block> {
        try await self.fetch(
            Block.self,
            Request(path: "/blocks/by_version/\(version)", query: [("with_transactions", String(withTransactions))]),
            deadline: deadline
        )
    }

    // MARK: Events

    /// Events of an account's event stream by creation number (`GET /accounts/{address}/events/{creation_number}`).
    public func events(
        _ address: AptosAddress,
        creationNumber: UInt64,
        start: UInt64? = nil,
        limit: Int = 25,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[Event]> {
        try await self.events(
            path: "/accounts/\(address)/events/\(creationNumber)",
            start: start,
            limit: limit,
            deadline: deadline
        )
    }

    /// Events by event handle and field (`GET /accounts/{address}/events/{handle}/{field}`).
    public func events(
        _ address: AptosAddress,
        handle: String,
        field: String,
        start: UInt64? = nil,
        limit: Int = 25,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[Event]> {
        try await self.events(
            path: "/accounts/\(address)/events/\(Self.encodeSegment(handle))/\(Self.encodeSegment(field))",
            start: start,
            limit: limit,
            deadline: deadline
        )
    }

    private func events(
        path: String,
        start: UInt64?,
        limit: Int,
        deadline: C.Instant?
    ) async throws -> AptosResponse<[Event]> {
        try Self.checkLimit(limit)
        var query = [("limit", String(limit))]
        if let start { query.insert(("start", String(start)), at: 0) }
        return try await self.fetch([Event].self, Request(path: path, query: query), deadline: deadline)
    }

    // MARK: View

    /// Calls a view function (`POST /view`) and returns its values.
    public func view(
        _ request: ViewRequest,
        ledgerVersion: UInt64? = nil,
        deadline: C.Instant? = nil
    ) async throws -> AptosResponse<[JSONValue]> {
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch {
            throw AptosClientError(.invalidArgument, "cannot encode the view request: \(error)")
        }
        return try await self.fetch(
            [JSONValue].self,
            Request(method: .post, path: "/view", query: Self.at(ledgerVersion), body: body),
            deadline: deadline
        )
    }

    // MARK: Helpers

    private func followCursor<T: Decodable & Sendable>(
        _ type: T.Type,
        path: String,
        ledgerVersion: UInt64?,
        pageSize: Int,
        deadline: C.Instant?
    ) async throws -> AptosResponse<[T]> {
        guard (1...9999).contains(pageSize) else {
            throw AptosClientError(.invalidArgument, "page size \(pageSize) is out of range: use 1 to 9999")
        }
        var items: [T] = []
        var cursor: String?
        var version = ledgerVersion
        for _ in 0..<Self.maximumCursorPages {
            var query = [("limit", String(pageSize))]
            if let version { query.append(("ledger_version", String(version))) }
            if let cursor { query.append(("start", cursor)) }
            let page = try await self.fetch([T].self, Request(path: path, query: query), deadline: deadline)
            items += page.value
            version = version ?? page.ledger.ledgerVersion
            guard let next = page.ledger.cursor, next != cursor else { return page.map { _ in items } }
            cursor = next
        }
        throw AptosClientError(
            .unexpectedResponse,
            "the node kept sending cursors after \(Self.maximumCursorPages) pages of \(path)"
        )
    }

    private static func at(_ ledgerVersion: UInt64?) -> [(String, String)] {
        ledgerVersion.map { [("ledger_version", String($0))] } ?? []
    }

    private static func checkLimit(_ limit: Int) throws {
        guard (1...Self.maximumPageSize).contains(limit) else {
            throw AptosClientError(
                .invalidArgument,
                "limit \(limit) is out of range: a page holds 1 to \(Self.maximumPageSize) items"
            )
        }
    }

    /// Percent-encodes a path segment (`0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>`): everything but
    /// letters, digits and `-._~`.
    package static func encodeSegment(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
