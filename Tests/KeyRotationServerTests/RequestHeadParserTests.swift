import KeyRotationServer
import Testing

@Suite struct RequestHeadParserTests {
    private func parse(_ text: String, limits: ServerLimits = ServerLimits()) -> RequestHeadParser.Result {
        RequestHeadParser(limits: limits).parse(Array(text.utf8)[...])
    }

    private func status(_ text: String, limits: ServerLimits = ServerLimits()) -> Int? {
        if case .refused(let refusal) = self.parse(text, limits: limits) { return refusal.status }
        return nil
    }

    @Test func parsesAHeadAndSaysWhereItEnds() throws {
        let text = "GET /vt/files/abc?x=1 HTTP/1.1\r\nHost: a\r\nX-One:  v \r\n\r\nNEXT"
        guard case .head(let head, let consumed) = self.parse(text) else {
            Issue.record("no head")
            return
        }
        #expect(head.method == "GET")
        #expect(head.target == "/vt/files/abc?x=1")
        #expect(head.headers.last == RequestHead.Field(name: "X-One", value: "v"))
        #expect(consumed == text.utf8.count - 4)
        #expect(head.contentLength == 0)
    }

    @Test func waitsForTheRestOfAHead() {
        #expect(self.parse("GET / HTTP/1.1\r\nHost: a\r\n") == .incomplete)
        #expect(self.parse("GE") == .incomplete)
    }

    @Test(
        "malformed heads are refused with 400",
        arguments: [
            "GET /\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET http://evil/ HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / FTP/1.1\r\nHost: a\r\n\r\n",
        ]
    )
    func malformedIsBadRequest(text: String) {
        #expect(self.status(text) == 400)
    }

    @Test func framingAndVersionRefusals() {
        #expect(self.status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") == 411)
        #expect(self.status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") == 501)
        #expect(self.status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505)
        #expect(self.status("GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n") == 417)
    }

    @Test func sizeLimits() {
        var limits = ServerLimits()
        limits.maximumRequestLine = 64
        limits.maximumHeaderBytes = 128
        limits.maximumHeaderCount = 3
        limits.maximumBodyBytes = 10
        #expect(self.status("GET /" + String(repeating: "a", count: 80), limits: limits) == 414)
        #expect(self.status("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 200), limits: limits) == 431)
        let many = (0..<5).map { "X\($0): y\r\n" }.joined()
        #expect(self.status("GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", limits: limits) == 431)
        #expect(self.status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits) == 413)
        guard
            case .head(let head, _) = self.parse(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
                limits: limits
            )
        else {
            Issue.record("a body at the limit is accepted")
            return
        }
        #expect(head.contentLength == 10)
    }

    @Test func http10NeedsNoHostAndExpectContinueIsSeen() {
        guard case .head(let old, _) = self.parse("GET / HTTP/1.0\r\n\r\n") else {
            Issue.record("HTTP/1.0 without Host")
            return
        }
        #expect(old.minorVersion == 0)
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        guard case .head(let head, _) = self.parse(text) else {
            Issue.record("no head")
            return
        }
        #expect(head.expectsContinue)
    }
}
