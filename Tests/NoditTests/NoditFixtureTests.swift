import Aptos
import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Nodit
import Testing

private func decode<T: Decodable>(_ type: T.Type, fixture name: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Fixture.data(name))
}

/// Every `nodit_*` fixture must be covered by a test in this suite.
private let coveredFixtures: Set<String> = [
    "nodit_error_no_auth", "nodit_error_auth_failed", "nodit_error_permission_denied", "nodit_error_wrong_endpoint",
    "nodit_error_invalid_parameter", "nodit_error_too_many_requests", "nodit_error_quota_exceeded",
    "nodit_web3_transactions_by_account", "nodit_web3_token_balance_changes_by_account",
    "nodit_web3_tokens_owned_by_account", "nodit_web3_block_by_hash_or_number", "nodit_indexer_graphql_balances",
    "nodit_indexer_graphql_error",
]

@Test func everyNoditFixtureIsCovered() throws {
    #expect(Set(try Fixture.names(prefix: "nodit_")) == coveredFixtures)
}

@Test func transactionsByAccountDecode() throws {
    let page = try decode(NoditPage<NoditTransaction>.self, fixture: "nodit_web3_transactions_by_account")
    #expect(page.rpp == 20)
    #expect(page.cursor == "eyJ0cmFuc2FjdGlvblZlcnNpb24iOjI4NTQyNTcwMzd9")
    #expect(page.page == nil)
    #expect(page.count == nil)
    let transaction = try #require(page.items.first)
    #expect(transaction.transactionVersion == 2_854_257_037)
    #expect(transaction.blockHeight == 160_155_267)
    #expect(transaction.blockTimestampMicroseconds == 1_749_003_732_416_395)
    #expect(transaction.sequenceNumber == 42)
    #expect(transaction.expirationTimestampSeconds == 1_749_003_762)
    #expect(transaction.gasUnitPrice == "100")
    #expect(transaction.gasUsed == "678")
    #expect(transaction.maxGasAmount == "2000")
    #expect(transaction.success)
    #expect(transaction.sender?.longForm == "0x948592877d14d0fde0a42e2fc15a56959f30ea35d0b87c7ee8e98e0cce756f1a")
    #expect(transaction.events.map(\.eventType) == ["0x1::fungible_asset::Withdraw", "0x1::fungible_asset::Deposit"])
    #expect(transaction.events[0].data["amount"]?.uint64Value == 1_000_000)
    #expect(transaction.balanceChangedTokens == ["0x1::aptos_coin::AptosCoin"])
    #expect(transaction.balanceChanges == nil)
}

@Test func tokenBalanceChangesDecode() throws {
    let page = try decode(NoditPage<TokenBalanceChange>.self, fixture: "nodit_web3_token_balance_changes_by_account")
    #expect(page.cursor != nil)
    #expect(page.items.map(\.changeValue) == ["-1000000", "-67800"])
    #expect(page.items.map(\.transferType) == ["withdraw", "gas"])
    #expect(page.items.allSatisfy { $0.tokenStandard == "v1" && $0.isDebit })
    #expect(page.items[0].transactionVersion == 2_854_257_037)
    #expect(page.items[1].eventIndex == 2)
}

@Test func tokensOwnedDecode() throws {
    let page = try decode(NoditPage<TokenHolding>.self, fixture: "nodit_web3_tokens_owned_by_account")
    #expect(page.page == 1)
    #expect(page.rpp == 10)
    #expect(page.count == 1)
    #expect(page.cursor == nil)
    let holding = try #require(page.items.first)
    #expect(holding.value == "1767711144")
    #expect(holding.assetType == "0x1::aptos_coin::AptosCoin")
    #expect(holding.metadata?.name == "Aptos Coin")
    #expect(holding.metadata?.symbol == "APT")
    #expect(holding.metadata?.decimals == 8)
    #expect(holding.metadata?.maximumSupply == nil)
    #expect(holding.formattedValue == "17.67711144")
}

@Test func blockDecodes() throws {
    let block = try decode(NoditBlock.self, fixture: "nodit_web3_block_by_hash_or_number")
    #expect(block.height == 160_155_267)
    #expect(block.timestampMicroseconds == 1_749_003_732_416_395)
    #expect(block.firstVersion == 2_854_257_037)
    #expect(block.lastVersion == 2_854_257_042)
    #expect(block.transactionsCount == 6)
    #expect(block.transactions?.count == 6)
}

@Test func graphQLDataDecodesAsJSON() throws {
    let value = try decode(JSONValue.self, fixture: "nodit_indexer_graphql_balances")
    let balance = value["data"]?["current_fungible_asset_balances"]?[0]
    #expect(balance?["amount"]?.uint64Value == 1_767_711_144)
    #expect(balance?["metadata"]?["decimals"] == .integer(8))
}

@Test(
    arguments: [
        ("nodit_error_no_auth", "NO_AUTHENTICATION_FOUND", 401),
        ("nodit_error_auth_failed", "AUTHENTICATION_FAILED", 401),
        ("nodit_error_permission_denied", "PERMISSION_DENIED", 403),
        ("nodit_error_wrong_endpoint", "WRONG_ENDPOINT", 404),
        ("nodit_error_invalid_parameter", "INVALID_PARAMETER", 400),
        ("nodit_error_too_many_requests", "TOO_MANY_REQUESTS", 429),
        ("nodit_error_quota_exceeded", "EXCEEDED_QUOTA_LIMIT", 429),
    ]
)
func errorFixtureDecodes(fixture: String, code: String, status: Int) throws {
    let response = HTTPResponse(status: status, body: try Fixture.data(fixture))
    let error = try #require(NoditAPIError(response: response))
    #expect(error.code.rawValue == code)
    #expect(error.status == status)
    #expect(!error.message.isEmpty)
    #expect(error.description.contains(code))
}

@Test func tolerantNumbersAndStrings() throws {
    let json = """
        {"items": [{"transactionHash": "0xab", "transactionVersion": "12", "blockHeight": "3",
          "blockTimestamp": "1749003732416395", "sequenceNumber": "4", "gasUsed": 678, "success": false}],
         "rpp": "20", "cursor": ""}
        """
    let page = try JSONDecoder().decode(NoditPage<NoditTransaction>.self, from: Data(json.utf8))
    #expect(page.rpp == 20)
    #expect(page.cursor == nil)
    let transaction = try #require(page.items.first)
    #expect(transaction.transactionVersion == 12)
    #expect(transaction.blockTimestampMicroseconds == 1_749_003_732_416_395)
    #expect(transaction.gasUsed == "678")
    #expect(transaction.sender == nil)
    #expect(transaction.events.isEmpty)
}

@Test(
    arguments: [
        ("1767711144", 8, "17.67711144"),
        ("100000000", 8, "1"),
        ("5", 8, "0.00000005"),
        ("0", 8, "0"),
        ("-1000000", 6, "-1"),
        ("123", 0, "123"),
    ]
)
func formattedValue(value: String, decimals: Int, expected: String) throws {
    let json = #"{"value": "\#(value)", "assetType": "x", "metadata": {"decimals": \#(decimals)}}"#
    let holding = try JSONDecoder().decode(TokenHolding.self, from: Data(json.utf8))
    #expect(holding.formattedValue == expected)
}
