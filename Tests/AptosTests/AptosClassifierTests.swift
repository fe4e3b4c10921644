import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

private func response(_ status: Int, fixture: String, headers: HTTPHeaders = [:]) throws -> HTTPResponse {
    HTTPResponse(status: status, headers: headers, body: try Fixture.data(fixture))
}

@Test(
    "Each error fixture, at the status it is sent with, gets its class",
    arguments: [
        (404, "aptos_error_account_not_found", ResponseClass.notFound),
        (404, "aptos_error_resource_not_found", .notFound),
        (404, "aptos_error_transaction_not_found", .notFound),
        (400, "aptos_error_invalid_input", .badRequest),
        (410, "aptos_error_version_pruned", .pruned),
        (410, "aptos_error_block_pruned", .pruned),
        (410, "aptos_error_pruned_archival", .pruned),
        (400, "aptos_error_internal_pruned_read", .pruned),
    ]
)
func errorFixtureClass(status: Int, fixture: String, expected: ResponseClass) throws {
    let classification = AptosClassifier.classify(try response(status, fixture: fixture))
    #expect(classification.kind == expected)
    let body = try #require(AptosError(body: try Fixture.data(fixture)))
    #expect(classification.providerCode == body.errorCode)
    #expect(classification.message == body.message)
}

private let statusCases: [(Int, String, ResponseClass)] = [
    (200, "[]", ResponseClass.success),
    (202, #"{"hash":"0x1"}"#, .success),
    (401, "", .invalidKey),
    (401, "API key not found", .invalidKey),
    (403, "Forbidden", .forbidden),
    (404, "Not Found", .badRequest),
    (408, "", .transient),
    (410, "", .pruned),
    (
        429, "Per anonymous IP rate limit exceeded. Limit: 50000 compute units per 300 seconds window.",
        .rateLimited(retryAfter: nil)
    ),
    (500, #"{"message":"boom","error_code":"internal_error","vm_error_code":null}"#, .transient),
    (502, "<html>Bad Gateway</html>", .transient),
    (503, "", .transient),
    (507, #"{"message":"mempool is full","error_code":"mempool_is_full"}"#, .transient),
    (400, #"{"message":"mempool is full","error_code":"mempool_is_full"}"#, .transient),
    (500, #"{"message":"Transaction at version 3 is pruned","error_code":"internal_error"}"#, .pruned),
    (400, #"{"message":"x","error_code":"internal_error"}"#, .badRequest),
    (400, #"{"message":"bad","error_code":"vm_error","vm_error_code":4016}"#, .badRequest),
    (404, #"{"message":"no route","error_code":"web_framework_error"}"#, .badRequest),
    (413, "", .badRequest),
    (301, "", .badRequest),
]

@Test("Statuses and bodies without a fixture", arguments: statusCases)
func statusClass(status: Int, body: String, expected: ResponseClass) {
    let classification = AptosClassifier.classify(HTTPResponse(status: status, body: Data(body.utf8)))
    #expect(classification.kind == expected)
}

@Test func plainTextRateLimitKeepsTheMessageAndNoCode() {
    let text = "Per anonymous IP rate limit exceeded. Limit: 50000 compute units per 300 seconds window."
    let classification = AptosClassifier.classify(HTTPResponse(status: 429, body: Data(text.utf8)))
    #expect(classification.kind == .rateLimited(retryAfter: nil))
    #expect(classification.providerCode == nil)
    #expect(classification.message == text)
}

@Test func rateLimitHonoursRetryAfterSeconds() {
    let response = HTTPResponse(status: 429, headers: ["retry-after": "30"], body: Data("slow down".utf8))
    #expect(AptosClassifier.classify(response).kind == .rateLimited(retryAfter: .seconds(30)))
    let malformed = HTTPResponse(status: 429, headers: ["Retry-After": "soon"])
    #expect(AptosClassifier.classify(malformed).kind == .rateLimited(retryAfter: nil))
}

@Test func rateLimitHonoursRetryAfterDateWhenNowIsKnown() {
    let now = Timestamp(nanosecondsSinceEpoch: 1_445_412_480 * 1_000_000_000)  // Wed, 21 Oct 2015 07:28:00 GMT
    let response = HTTPResponse(status: 429, headers: ["Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"])
    #expect(AptosClassifier.classify(response, now: now).kind == .rateLimited(retryAfter: .seconds(30)))
    #expect(AptosClassifier.classify(response).kind == .rateLimited(retryAfter: nil))
}

@Test func apiErrorCarriesPrunedContext() throws {
    let headers: HTTPHeaders = ["X-Aptos-Ledger-Oldest-Version": "3133900526", "X-Aptos-Ledger-Version": "4000000000"]
    let old = try #require(
        AptosAPIError(response: try response(410, fixture: "aptos_error_version_pruned", headers: headers))
    )
    #expect(old.code == .versionPruned)
    #expect(old.isPruned)
    #expect(old.oldestLedgerVersion == 3_133_900_526)
    #expect(old.archivalEndpoint == nil)
    #expect(old.ledger.ledgerVersion == 4_000_000_000)

    let archival = try #require(
        AptosAPIError(response: try response(410, fixture: "aptos_error_pruned_archival", headers: headers))
    )
    #expect(archival.code == .blockPruned)
    #expect(archival.oldestLedgerVersion == 10_255_283_755)  // the body wins over the header
    #expect(archival.archivalEndpoint?.absoluteString == "https://archive.testnet.staging.aptoslabs.com/v1")
    #expect(archival.hint != nil)
    #expect(archival.description.contains("archive.testnet.staging.aptoslabs.com"))

    let internalRead = try #require(
        AptosAPIError(response: try response(400, fixture: "aptos_error_internal_pruned_read"))
    )
    #expect(internalRead.code == .internalError)
    #expect(internalRead.isPruned)
}

@Test func apiErrorKeepsUnknownCodesAndNotFound() throws {
    let notFound = try #require(AptosAPIError(response: try response(404, fixture: "aptos_error_account_not_found")))
    #expect(notFound.code == .accountNotFound)
    #expect(notFound.isNotFound)
    #expect(!notFound.isPruned)
    #expect(notFound.status == 404)
    let body = #"{"message":"new","error_code":"brand_new_code","vm_error_code":7}"#
    let unknown = try #require(AptosAPIError(response: HTTPResponse(status: 400, body: Data(body.utf8))))
    #expect(unknown.code.rawValue == "brand_new_code")
    #expect(unknown.vmErrorCode == 7)
}

@Test func apiErrorIsNilForPlainTextAndSuccess() {
    #expect(AptosAPIError(response: HTTPResponse(status: 429, body: Data("Per anonymous IP".utf8))) == nil)
    #expect(AptosAPIError(response: HTTPResponse(status: 401)) == nil)
    let body = #"{"message":"x","error_code":"invalid_input"}"#
    #expect(AptosAPIError(response: HTTPResponse(status: 200, body: Data(body.utf8))) == nil)
}
