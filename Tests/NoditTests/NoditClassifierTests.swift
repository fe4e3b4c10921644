import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Nodit
import Testing

private let fixtureCases: [(Int, String, ResponseClass)] = [
    (401, "nodit_error_no_auth", .badRequest),
    (401, "nodit_error_auth_failed", .invalidKey),
    (403, "nodit_error_permission_denied", .forbidden),
    (404, "nodit_error_wrong_endpoint", .badRequest),
    (400, "nodit_error_invalid_parameter", .badRequest),
    (429, "nodit_error_too_many_requests", .rateLimited(retryAfter: nil)),
    (429, "nodit_error_quota_exceeded", .quotaExhausted(resetAt: nil)),
    (200, "nodit_indexer_graphql_balances", .success),
    (200, "nodit_indexer_graphql_error", .badRequest),
    (404, "aptos_error_account_not_found", .notFound),
    (410, "aptos_error_version_pruned", .pruned),
    (400, "aptos_error_internal_pruned_read", .pruned),
    (400, "aptos_error_invalid_input", .badRequest),
]

@Test("Each fixture, at the status it is sent with, gets its class", arguments: fixtureCases)
func fixtureClass(status: Int, fixture: String, expected: ResponseClass) throws {
    let response = HTTPResponse(status: status, body: try Fixture.data(fixture))
    #expect(NoditClassifier.classify(response).kind == expected)
}

private func body(_ code: String) -> Data {
    Data(#"{"code":"\#(code)","message":"m"}"#.utf8)
}

private let codeCases: [(Int, String, ResponseClass)] = [
    (404, "NOT_SUPPORTED_CHAIN", .badRequest),
    (404, "RESOURCE_NOT_FOUND", .notFound),
    (408, "TIMEOUT", .transient),
    (500, "INTERNAL_SERVER_ERROR", .transient),
    (500, "INTERRUPTED", .transient),
    (503, "UNAVAILABLE", .transient),
    (400, "MISSING_REQUIRED_PARAMETER", .badRequest),
    (400, "WRONG_RANGE_PARAMETER", .badRequest),
    (400, "DEPRECATED_OPERATION", .badRequest),
    (405, "METHOD_NOT_ALLOWED", .badRequest),
    (409, "RESOURCE_ALREADY_EXISTS", .badRequest),
    (409, "REJECTED", .badRequest),
    (413, "CONTENTS_TOO_LARGE", .badRequest),
    (414, "TOO_LONG_URI", .badRequest),
    (502, "SOMETHING_NEW", .transient),
    (418, "SOMETHING_NEW", .badRequest),
]

@Test("Nodit codes decide, whatever the status", arguments: codeCases)
func codeClass(status: Int, code: String, expected: ResponseClass) {
    let classification = NoditClassifier.classify(HTTPResponse(status: status, body: body(code)))
    #expect(classification.kind == expected)
    #expect(classification.providerCode == code)
    #expect(classification.message == "m")
}

@Test func tooManyRequestsHonoursRetryAfter() throws {
    let response = HTTPResponse(
        status: 429,
        headers: ["Retry-After": "2"],
        body: try Fixture.data("nodit_error_too_many_requests")
    )
    let classification = NoditClassifier.classify(response)
    #expect(classification.kind == .rateLimited(retryAfter: .seconds(2)))
    #expect(classification.providerCode == "TOO_MANY_REQUESTS")
}

@Test func quotaExhaustedResetsAtRetryAfter() throws {
    let now = Timestamp(nanosecondsSinceEpoch: 1_700_000_000 * 1_000_000_000)
    let response = HTTPResponse(
        status: 429,
        headers: ["retry-after": "3600"],
        body: try Fixture.data("nodit_error_quota_exceeded")
    )
    #expect(
        NoditClassifier.classify(response, now: now).kind == .quotaExhausted(resetAt: now.advanced(by: .seconds(3600)))
    )
    // Seconds without a clock give no instant: the rotator infers the reset from the key's window.
    #expect(NoditClassifier.classify(response).kind == .quotaExhausted(resetAt: nil))
    // A date needs no clock.
    let dated = HTTPResponse(
        status: 429,
        headers: ["Retry-After": "Thu, 01 Jan 1970 00:01:00 GMT"],
        body: try Fixture.data("nodit_error_quota_exceeded")
    )
    #expect(
        NoditClassifier.classify(dated).kind
            == .quotaExhausted(resetAt: Timestamp(nanosecondsSinceEpoch: 60_000_000_000))
    )
}

@Test func graphQLErrorKeepsItsCode() throws {
    let response = HTTPResponse(status: 200, body: try Fixture.data("nodit_indexer_graphql_error"))
    let classification = NoditClassifier.classify(response)
    #expect(classification.providerCode == "validation-failed")
    #expect(classification.message?.contains("no_such_field") == true)
}

@Test func dialectsAreToldApartByCodeVersusErrorCode() throws {
    let aptos = HTTPResponse(status: 404, body: try Fixture.data("aptos_error_account_not_found"))
    #expect(NoditClassifier.classify(aptos).providerCode == "account_not_found")
    #expect(NoditAPIError(response: aptos) == nil)
    #expect(AptosAPIError(response: aptos) != nil)
    let nodit = HTTPResponse(status: 401, body: try Fixture.data("nodit_error_auth_failed"))
    #expect(AptosAPIError(response: nodit) == nil)
}

@Test(
    "Bodies in neither dialect fall back to the status",
    arguments: [
        (429, "Too Many Requests", ResponseClass.rateLimited(retryAfter: nil)),
        (401, "", .invalidKey),
        (503, "<html></html>", .transient),
        (404, "", .badRequest),
        (200, #"{"data":{"errors_count":1}}"#, .success),
        (200, #"[{"errors":[]}]"#, .success),
    ]
)
func statusFallback(status: Int, text: String, expected: ResponseClass) {
    #expect(NoditClassifier.classify(HTTPResponse(status: status, body: Data(text.utf8))).kind == expected)
}

@Test func noditNetworkURLs() {
    #expect(AptosNetwork.mainnet.noditWeb3BaseURL?.absoluteString == "https://web3.nodit.io/v1/aptos/mainnet")
    #expect(AptosNetwork.testnet.noditWeb3BaseURL?.absoluteString == "https://web3.nodit.io/v1/aptos/testnet")
    #expect(AptosNetwork.devnet.noditWeb3BaseURL == nil)
    #expect(AptosNetwork.mainnet.noditIndexerGraphQLURL?.absoluteString == "https://aptos-mainnet.nodit.io/v1/graphql")
    #expect(AptosNetwork.testnet.noditIndexerGraphQLURL == nil)
}
