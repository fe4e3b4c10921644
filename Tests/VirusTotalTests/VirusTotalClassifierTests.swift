import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Testing
import VirusTotal

@Suite struct VirusTotalClassifierTests {
    /// Every `vt_error_*` fixture with the status VirusTotal sends it with (fixtures/README.md).
    static let errorFixtures: [(name: String, status: Int, kind: ResponseClass, code: String)] = [
        ("vt_error_auth_required", 401, .badRequest, "AuthenticationRequiredError"),
        ("vt_error_wrongcreds", 401, .invalidKey, "WrongCredentialsError"),
        ("vt_error_forbidden", 403, .forbidden, "ForbiddenError"),
        ("vt_error_notfound", 404, .notFound, "NotFoundError"),
        ("vt_error_notfound_url", 404, .notFound, "NotFoundError"),
        ("vt_error_quota", 429, .quotaExhausted(resetAt: nil), "QuotaExceededError"),
        ("vt_error_toomanyrequests", 429, .rateLimited(retryAfter: nil), "TooManyRequestsError"),
        ("vt_error_transient", 503, .transient, "TransientError"),
    ]

    @Test("error fixtures classify by their code", arguments: Self.errorFixtures)
    func classifiesErrorFixture(name: String, status: Int, kind: ResponseClass, code: String) throws {
        let body = try Fixture.data(name)
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: status, body: body))
        #expect(classification.kind == kind)
        #expect(classification.providerCode == code)
        #expect(classification.message?.isEmpty == false)
    }

    @Test func notFoundKeepsTheProviderMessage() throws {
        let response = HTTPResponse(status: 404, body: try Fixture.data("vt_error_notfound_url"))
        #expect(VirusTotalClassifier.classify(response).message == #"URL "thisurlidmakesnosenseatall" not found"#)
    }

    @Test func reportFixturesAreSuccess() throws {
        for name in ["vt_file", "vt_domain", "vt_ip", "vt_url", "vt_user_overall_quotas"] {
            let classification = VirusTotalClassifier.classify(HTTPResponse(status: 200, body: try Fixture.data(name)))
            #expect(classification == Classification(.success))
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() throws {
        let body = try Fixture.data("vt_error_toomanyrequests")
        let response = HTTPResponse(status: 429, headers: ["retry-after": "30"], body: body)
        #expect(VirusTotalClassifier.classify(response).kind == .rateLimited(retryAfter: .seconds(30)))
        // A quota error keeps resetAt nil even with the header: the rotator infers the window.
        let quota = HTTPResponse(status: 429, headers: ["Retry-After": "30"], body: try Fixture.data("vt_error_quota"))
        #expect(VirusTotalClassifier.classify(quota).kind == .quotaExhausted(resetAt: nil))
    }

    @Test(
        "the code decides, not the message",
        arguments: [
            ("UserNotActiveError", 401, ResponseClass.invalidKey),
            ("DeadlineExceededError", 504, .transient),
            ("BadRequestError", 400, .badRequest),
            ("InvalidArgumentError", 400, .badRequest),
            ("NotAvailableYet", 400, .badRequest),
            ("UnselectiveContentQueryError", 400, .badRequest),
            ("UnsupportedContentQueryError", 400, .badRequest),
            ("AlreadyExistsError", 409, .badRequest),
            ("FailedDependencyError", 424, .badRequest),
            ("NotFoundError", 500, .notFound),
        ]
    )
    func codeDecides(code: String, status: Int, kind: ResponseClass) {
        let body = Data(#"{"error":{"code":"\#(code)","message":"Wrong API key, quota exceeded, not found"}}"#.utf8)
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: status, body: body))
        #expect(classification.kind == kind)
        #expect(classification.providerCode == code)
    }

    @Test func unknownCodeFallsBackToTheStatusAndKeepsTheCode() {
        let body = Data(#"{"error":{"code":"BrandNewError","message":"something new"}}"#.utf8)
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: 503, body: body))
        #expect(classification == Classification(.transient, providerCode: "BrandNewError", message: "something new"))
    }

    @Test(
        "without a body the status decides",
        arguments: [
            (200, ResponseClass.success),
            (404, .notFound),
            (401, .invalidKey),
            (403, .forbidden),
            (429, .rateLimited(retryAfter: nil)),
            (500, .transient),
            (502, .transient),
            (503, .transient),
            (504, .transient),
            (408, .transient),
            (400, .badRequest),
            (409, .badRequest),
            (418, .badRequest),
            (424, .badRequest),
            (204, .badRequest),
            (302, .badRequest),
            (0, .badRequest),
        ]
    )
    func statusAlone(status: Int, kind: ResponseClass) {
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: status))
        #expect(classification == Classification(kind))
    }

    @Test func htmlBodyClassifiesByStatus() {
        let html = Data("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".utf8)
        #expect(VirusTotalClassifier.classify(HTTPResponse(status: 502, body: html)) == Classification(.transient))
        #expect(
            VirusTotalClassifier.classify(HTTPResponse(status: 429, body: html)).kind == .rateLimited(retryAfter: nil)
        )
    }

    @Test(
        "malformed JSON classifies by status",
        arguments: [
            #"{"error":{"code":"NotFoundError""#,
            #"{"error":"NotFoundError"}"#,
            #"{"error":{"code":404,"message":["x"]}}"#,
            #"{"error":{"code":""}}"#,
            #"{"errors":[{"code":"NotFoundError"}]}"#,
            "{}",
            "null",
            "\u{FEFF}{",
            String(repeating: "{\"a\":", count: 10_000),
            String(repeating: "{", count: 60_000),
        ]
    )
    func malformedJSON(body: String) {
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: 403, body: Data(body.utf8)))
        #expect(classification.kind == .forbidden)
        #expect(classification.providerCode == nil)
    }

    @Test func invalidUTF8BodyDoesNotTrap() {
        let bytes = Data([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x00, 0x80])
        #expect(VirusTotalClassifier.classify(HTTPResponse(status: 500, body: bytes)) == Classification(.transient))
    }

    @Test func twoMegabyteBodiesAreNotParsed() {
        let message = String(repeating: "x", count: 2 * 1024 * 1024)
        let json = Data(#"{"error":{"code":"NotFoundError","message":"\#(message)"}}"#.utf8)
        #expect(json.count > 2 * 1024 * 1024)
        #expect(VirusTotalClassifier.classify(HTTPResponse(status: 503, body: json)) == Classification(.transient))
        let junk = Data(repeating: 0x5b, count: 2 * 1024 * 1024)
        #expect(VirusTotalClassifier.classify(HTTPResponse(status: 404, body: junk)) == Classification(.notFound))
    }

    @Test func longMessagesAreCut() {
        let message = String(repeating: "m", count: 5000)
        let json = Data(#"{"error":{"code":"ForbiddenError","message":"\#(message)"}}"#.utf8)
        let classification = VirusTotalClassifier.classify(HTTPResponse(status: 403, body: json))
        #expect(classification.kind == .forbidden)
        #expect(classification.message?.count == VirusTotalClassifier.maximumMessageLength + 1)
    }

    @Test(
        "Retry-After is honoured only as plausible delta-seconds",
        arguments: [
            ("30", Duration?.some(.seconds(30))),
            (" 0 ", .some(.zero)),
            ("86400", .some(.seconds(86_400))),
            ("86401", nil),
            ("-1", nil),
            ("1.5", nil),
            ("abc", nil),
            ("Wed, 21 Oct 2015 07:28:00 GMT", nil),
            ("99999999999999999999", nil),
            ("", nil),
        ]
    )
    func retryAfter(header: String, expected: Duration?) {
        #expect(VirusTotalClassifier.retryAfter(in: ["Retry-After": header]) == expected)
    }
}
