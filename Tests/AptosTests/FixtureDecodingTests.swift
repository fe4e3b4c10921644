import Aptos
import Foundation
import KeyRotationTesting
import Testing

private func decode<T: Decodable>(_ type: T.Type, fixture name: String, keepingRaw: Bool = false) throws -> T {
    let decoder = JSONDecoder()
    if keepingRaw { decoder.userInfo[Transaction.keepsRawJSON] = true }
    return try decoder.decode(T.self, from: Fixture.data(name))
}

/// The fixtures each test below decodes; every `aptos_*` fixture must be listed.
private let coveredFixtures: Set<String> = [
    "aptos_ledger_info", "aptos_account", "aptos_account_stateless", "aptos_account_resources",
    "aptos_account_resource", "aptos_transactions", "aptos_transaction_user", "aptos_block", "aptos_block_no_txns",
    "aptos_events", "aptos_estimate_gas_price", "aptos_view", "aptos_error_account_not_found",
    "aptos_error_resource_not_found", "aptos_error_transaction_not_found", "aptos_error_invalid_input",
    "aptos_error_version_pruned", "aptos_error_block_pruned", "aptos_error_pruned_archival",
    "aptos_error_internal_pruned_read",
]

@Test func everyAptosFixtureIsCovered() throws {
    #expect(Set(try Fixture.names(prefix: "aptos_")) == coveredFixtures)
}

@Test func ledgerInfoDecodes() throws {
    let info = try decode(LedgerInfo.self, fixture: "aptos_ledger_info")
    #expect(info.chainID == 1)
    #expect(info.epoch == 13473)
    #expect(info.ledgerVersion == 3_665_938_240)
    #expect(info.oldestLedgerVersion == 0)
    #expect(info.ledgerTimestampMicroseconds == 1_762_134_259_012_345)
    #expect(info.blockHeight == 477_445_098)
    #expect(info.oldestBlockHeight == 0)
    #expect(info.nodeRole == "full_node")
    #expect(info.gitHash == "ebfec6c8296848d00b69cc7bfa284d820a3c3566")
}

@Test func accountDecodes() throws {
    let account = try decode(Account.self, fixture: "aptos_account")
    #expect(account.sequenceNumber == 341)
    #expect(account.authenticationKey == "0x5f9f8c58245aa43b289da4662079a38eab09f4d2f838918337995ad6951fa452")
    let owner = try AptosAddress(parsing: account.authenticationKey)
    #expect(!account.isUnused(at: owner))
}

@Test func statelessAccountIsUnused() throws {
    let account = try decode(Account.self, fixture: "aptos_account_stateless")
    #expect(account.sequenceNumber == 0)
    let address = try AptosAddress(parsing: "0x541E28FB12AA661A30358F2BEBCD44460187EC918CB9CEE075C2DB86EE6AED93")
    #expect(account.isUnused(at: address))
    #expect(!account.isUnused(at: .framework))
}

@Test func accountResourcesDecode() throws {
    let resources = try decode([AccountResource].self, fixture: "aptos_account_resources")
    #expect(resources.map(\.type) == ["0x1::account::Account", "0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>"])
    #expect(resources[1].data["coin"]?["value"]?.uint64Value == 1_767_711_144)
    #expect(resources[1].data["frozen"] == .bool(false))
}

@Test func accountResourceDecodes() throws {
    let resource = try decode(AccountResource.self, fixture: "aptos_account_resource")
    #expect(resource.type == "0x1::account::Account")
    #expect(resource.data["sequence_number"]?.uint64Value == 2_581_041)
    #expect(resource.data["rotation_capability_offer"]?["for"]?["vec"] == .array([]))
}

@Test func transactionsPageDecodes() throws {
    let transactions = try decode([Transaction].self, fixture: "aptos_transactions")
    #expect(transactions.count == 2)
    let metadata = transactions[0]
    guard case .blockMetadata(let fields) = metadata.kind else {
        Issue.record("expected block metadata, got \(metadata.kind)")
        return
    }
    #expect(metadata.type == "block_metadata_transaction")
    #expect(metadata.version == 3_665_938_236)
    #expect(fields.epoch == 13473)
    #expect(fields.round == 11165)
    #expect(fields.proposer.longForm == "0x0d7b10a9ddee853b3585dd1efd4902ab3ad4f482b94425a3780cc39e79e6d398")
    #expect(metadata.changeCount == 2)
    #expect(metadata.events.count == 1)
    #expect(metadata.events[0].guid.accountAddress == .framework)
    #expect(metadata.events[0].version == nil)
    #expect(metadata.userFields == nil)
    let user = try #require(transactions[1].userFields)
    #expect(transactions[1].version == 3_665_938_237)
    #expect(user.sequenceNumber == 340)
    #expect(transactions.allSatisfy { $0.raw == .null })  // raw JSON is opt-in
}

@Test func userTransactionDecodes() throws {
    let transaction = try decode(Transaction.self, fixture: "aptos_transaction_user", keepingRaw: true)
    guard case .user(let user) = transaction.kind else {
        Issue.record("expected a user transaction, got \(transaction.kind)")
        return
    }
    #expect(transaction.version == 3_665_938_237)
    #expect(transaction.hash == "0x011a1662cc1cd84b893c37d413d57d96f89dd8eb601ad629ed6dd6fcb537a395")
    #expect(transaction.success == true)
    #expect(transaction.vmStatus == "Executed successfully")
    #expect(transaction.gasUsed == 11)
    #expect(transaction.timestampMicroseconds != nil)
    #expect(transaction.changeCount == 2)
    #expect(transaction.isCommitted)
    #expect(user.sender.longForm == "0x5f9f8c58245aa43b289da4662079a38eab09f4d2f838918337995ad6951fa452")
    #expect(user.sequenceNumber == 340)
    #expect(user.maxGasAmount == 100_000)
    #expect(user.gasUnitPrice == 100)
    #expect(user.expirationTimestampSeconds == 1_762_134_858)
    #expect(user.entryFunction?.hasSuffix("::TeviStar::star_transfer") == true)
    #expect(!transaction.events.isEmpty)
    #expect(transaction.raw["signature"]?["type"]?.stringValue == "fee_payer_signature")
}

@Test func blockWithTransactionsDecodes() throws {
    let block = try decode(Block.self, fixture: "aptos_block")
    #expect(block.blockHeight == 477_445_097)
    #expect(block.firstVersion == 3_665_938_236)
    #expect(block.lastVersion == 3_665_938_238)
    #expect(block.versions.count == 3)
    let transactions = try #require(block.transactions)
    #expect(
        transactions.map(\.type) == ["block_metadata_transaction", "user_transaction", "block_epilogue_transaction"]
    )
    #expect(transactions.last?.kind == .blockEpilogue)
    #expect(transactions.compactMap(\.version) == [3_665_938_236, 3_665_938_237, 3_665_938_238])
}

@Test func blockWithoutTransactionsDecodes() throws {
    let block = try decode(Block.self, fixture: "aptos_block_no_txns")
    #expect(block.transactions == nil)
    #expect(block.blockTimestampMicroseconds == 1_762_134_258_889_133)
}

@Test func eventsDecode() throws {
    let events = try decode([Event].self, fixture: "aptos_events")
    #expect(events.count == 2)
    #expect(events[0].version == 3_665_938_236)
    #expect(events[1].sequenceNumber == 477_445_098)
    #expect(events[0].guid.creationNumber == 3)
    #expect(events[0].type == "0x1::block::NewBlockEvent")
    #expect(events[0].data["height"]?.uint64Value == 477_445_097)
}

@Test func gasEstimateDecodes() throws {
    let estimate = try decode(GasEstimate.self, fixture: "aptos_estimate_gas_price")
    #expect(estimate.deprioritizedGasEstimate == 100)
    #expect(estimate.gasEstimate == 100)
    #expect(estimate.prioritizedGasEstimate == 150)
}

@Test func viewResultDecodes() throws {
    let result = try decode([JSONValue].self, fixture: "aptos_view")
    #expect(result == [.string("4000000000")])
    #expect(result.first?.uint64Value == 4_000_000_000)
}

@Test(
    arguments: [
        ("aptos_error_account_not_found", "account_not_found"),
        ("aptos_error_resource_not_found", "resource_not_found"),
        ("aptos_error_transaction_not_found", "transaction_not_found"),
        ("aptos_error_invalid_input", "invalid_input"),
        ("aptos_error_version_pruned", "version_pruned"),
        ("aptos_error_block_pruned", "block_pruned"),
        ("aptos_error_pruned_archival", "block_pruned"),
        ("aptos_error_internal_pruned_read", "internal_error"),
    ]
)
func errorBodyDecodes(fixture: String, code: String) throws {
    let error = try #require(AptosError(body: try Fixture.data(fixture)))
    #expect(error.errorCode == code)
    #expect(!error.message.isEmpty)
    #expect(error.vmErrorCode == nil)
}

@Test func prunedArchivalErrorKeepsItsContext() throws {
    let error = try #require(AptosError(body: try Fixture.data("aptos_error_pruned_archival")))
    #expect(error.oldestLedgerVersion == 10_255_283_755)
    #expect(error.archivalEndpoint == "https://archive.testnet.staging.aptoslabs.com/v1")
    #expect(error.hint?.contains("archival endpoint") == true)
    #expect(error.isPruned)
}

@Test func unknownTransactionKindDoesNotFailAPage() throws {
    let json = """
        [{"type": "future_transaction", "version": "7", "hash": "0xab", "success": true, "gas_used": 5,
          "changes": [{}, {}, {}], "mystery": {"a": [1, 2.5, null]}},
         {"type": "state_checkpoint_transaction", "version": "8", "hash": "0xcd", "success": true,
          "vm_status": "Executed successfully", "gas_used": "0", "timestamp": "1", "changes": []}]
        """
    let decoder = JSONDecoder()
    decoder.userInfo[Transaction.keepsRawJSON] = true
    let transactions = try decoder.decode([Transaction].self, from: Data(json.utf8))
    #expect(transactions[0].kind == .unknown(type: "future_transaction"))
    #expect(transactions[0].version == 7)
    #expect(transactions[0].gasUsed == 5)
    #expect(transactions[0].changeCount == 3)
    #expect(transactions[0].raw["mystery"]?["a"] == .array([.integer(1), .number(2.5), .null]))
    #expect(transactions[1].kind == .stateCheckpoint)
    #expect(transactions[1].events.isEmpty)
}

@Test func pendingTransactionHasNoVersion() throws {
    let json = """
        {"type": "pending_transaction", "hash": "0xab", "sender": "0x1", "sequence_number": "3",
         "max_gas_amount": "2000", "gas_unit_price": "100", "expiration_timestamp_secs": "99",
         "payload": {"type": "entry_function_payload", "function": "0x1::aptos_account::transfer"}}
        """
    let transaction = try JSONDecoder().decode(Transaction.self, from: Data(json.utf8))
    guard case .pending(let fields) = transaction.kind else {
        Issue.record("expected a pending transaction, got \(transaction.kind)")
        return
    }
    #expect(!transaction.isCommitted)
    #expect(fields.sender == .framework)
    #expect(fields.entryFunction == "0x1::aptos_account::transfer")
}

@Test func u64AcceptsNumbersAndRejectsGarbage() throws {
    let numbers = #"{"sequence_number": 12, "authentication_key": "0x1"}"#
    #expect(try JSONDecoder().decode(Account.self, from: Data(numbers.utf8)).sequenceNumber == 12)
    let garbage = #"{"sequence_number": "twelve", "authentication_key": "0x1"}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Account.self, from: Data(garbage.utf8)) }
    let negative = #"{"sequence_number": "-1", "authentication_key": "0x1"}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Account.self, from: Data(negative.utf8)) }
    let maximum = #"{"sequence_number": "18446744073709551615", "authentication_key": "0x1"}"#
    #expect(try JSONDecoder().decode(Account.self, from: Data(maximum.utf8)).sequenceNumber == .max)
}

@Test func jsonValueRoundTrips() throws {
    let json = #"{"a":[true,false,null,1,-2,2.5,"x\"y",9007199254740993],"b":{}}"#
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    #expect(value.description == json)
    let encoded = try JSONEncoder().encode(value)
    #expect(try JSONDecoder().decode(JSONValue.self, from: encoded) == value)
    let large = try JSONDecoder().decode(JSONValue.self, from: Data("[18446744073709551615, 1e300]".utf8))
    #expect(large == .array([.number(18_446_744_073_709_551_616), .number(1e300)]))
}

@Test func viewRequestEncodesSnakeCase() throws {
    let request = ViewRequest(
        function: "0x1::coin::balance",
        typeArguments: ["0x1::aptos_coin::AptosCoin"],
        arguments: [.string("0x1")]
    )
    let value = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(request))
    #expect(value["type_arguments"] == .array([.string("0x1::aptos_coin::AptosCoin")]))
    #expect(value["function"] == .string("0x1::coin::balance"))
}
