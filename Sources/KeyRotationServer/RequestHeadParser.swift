import Foundation

/// Parses an HTTP/1.1 request head strictly (RFC 9112): a value type without I/O, fed the bytes a connection has
/// read so far.
///
/// Refused: a request line past the limit (414), a header section past the limit or too many fields (431), bare LF
/// line ends, whitespace before a field's colon, folded lines, control characters, targets that are not origin-form,
/// a missing or repeated `Host` on HTTP/1.1, conflicting `Content-Length`s or one with `Transfer-Encoding` (400);
/// `Transfer-Encoding: chunked` (411: send `Content-Length`), other codings (501), versions other than 1.0 and 1.1
/// (505), a body past the limit (413), an expectation other than `100-continue` (417).
public struct RequestHeadParser: Sendable {
    /// What the bytes so far hold.
    public enum Result: Hashable, Sendable {
        /// No complete head yet, and nothing wrong so far.
        case incomplete
        /// A head that ends `consumed` bytes into the buffer (its empty line included).
        case head(RequestHead, consumed: Int)
        /// A request that must be refused.
        case refused(RequestRefusal)
    }

    /// The limits checked.
    public var limits: ServerLimits

    /// Creates a parser with `limits`.
    public init(limits: ServerLimits = ServerLimits()) {
        self.limits = limits
    }

    /// Parses the head at the start of `bytes`.
    public func parse(_ bytes: ArraySlice<UInt8>) -> Result {
        var start = bytes.startIndex
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while bytes.count - (start - bytes.startIndex) >= 2, bytes[start] == Self.cr, bytes[start + 1] == Self.lf {
            start += 2
        }
        var lines: [Range<Int>] = []
        var lineStart = start
        var index = start
        while index < bytes.endIndex {
            if bytes[index] == Self.lf {
                guard index > bytes.startIndex, bytes[index - 1] == Self.cr else {
                    return .refused(RequestRefusal(400, "a line ends in a bare LF: end lines with CRLF"))
                }
                let line = lineStart..<(index - 1)
                if line.isEmpty {
                    return self.head(bytes, lines: lines, consumed: index + 1 - bytes.startIndex)
                }
                lines.append(line)
                lineStart = index + 1
                if lines.count > self.limits.maximumHeaderCount + 1 {
                    return .refused(RequestRefusal(431, "more than \(self.limits.maximumHeaderCount) header fields"))
                }
            }
            index += 1
            if lines.isEmpty, index - start > self.limits.maximumRequestLine {
                let limit = self.limits.maximumRequestLine
                return .refused(RequestRefusal(414, "the request line is longer than \(limit) bytes"))
            }
            if let first = lines.first, index - first.upperBound > self.limits.maximumHeaderBytes {
                let limit = self.limits.maximumHeaderBytes
                return .refused(RequestRefusal(431, "the header section is larger than \(limit) bytes"))
            }
        }
        return .incomplete
    }

    private func head(_ bytes: ArraySlice<UInt8>, lines: [Range<Int>], consumed: Int) -> Result {
        guard let requestLine = lines.first else { return .incomplete }
        do throws(RequestRefusal) {
            var head = try Self.requestLine(bytes[requestLine])
            for line in lines.dropFirst() { head.headers.append(try Self.field(bytes[line])) }
            try self.checkFraming(&head)
            return .head(head, consumed: consumed)
        } catch {
            return .refused(error)
        }
    }

    /// `METHOD SP origin-form SP HTTP/1.x`.
    static func requestLine(_ line: ArraySlice<UInt8>) throws(RequestRefusal) -> RequestHead {
        let parts = line.split(separator: Self.space, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw RequestRefusal(400, "the request line is not 'METHOD /path HTTP/1.1'")
        }
        let method = parts[0]
        guard !method.isEmpty, method.allSatisfy(Self.isTokenByte) else {
            throw RequestRefusal(400, "the method is not a token")
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw RequestRefusal(400, "the request target must be a path starting with '/' (origin form)")
        }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), version[6] == UInt8(ascii: "."),
            (0x30...0x39).contains(version[5]), (0x30...0x39).contains(version[7])
        else {
            throw RequestRefusal(400, "the protocol is not 'HTTP/1.1'")
        }
        guard version[5] == UInt8(ascii: "1"), version[7] <= UInt8(ascii: "1") else {
            throw RequestRefusal(505, "only HTTP/1.0 and HTTP/1.1 are served")
        }
        return RequestHead(
            method: String(decoding: method, as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            minorVersion: Int(version[7] - 0x30),
            headers: [],
            contentLength: 0,
            expectsContinue: false
        )
    }

    /// `name: OWS value OWS`.
    static func field(_ line: ArraySlice<UInt8>) throws(RequestRefusal) -> RequestHead.Field {
        guard let first = line.first, first != Self.space, first != Self.tab else {
            throw RequestRefusal(400, "folded header lines (starting with whitespace) are not accepted")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw RequestRefusal(400, "a header line has no ':'")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            throw RequestRefusal(400, "a header name is not a token (no whitespace before ':')")
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == Self.space || byte == Self.tab { value = value.dropFirst() }
        while let byte = value.last, byte == Self.space || byte == Self.tab { value = value.dropLast() }
        guard value.allSatisfy({ $0 == Self.tab || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw RequestRefusal(400, "a header value holds a control character")
        }
        return RequestHead.Field(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        )
    }

    /// Host, Content-Length, Transfer-Encoding and Expect.
    private func checkFraming(_ head: inout RequestHead) throws(RequestRefusal) {
        func values(_ name: String) -> [String] {
            head.headers.filter { $0.name.lowercased() == name }.map(\.value)
        }
        let hosts = values("host")
        if head.minorVersion == 1, hosts.count != 1 {
            throw RequestRefusal(400, "an HTTP/1.1 request needs exactly one Host header")
        }
        let codings = values("transfer-encoding")
        let lengths = values("content-length").flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: [" ", "\t"])
        }
        if !codings.isEmpty {
            if !lengths.isEmpty { throw RequestRefusal(400, "Content-Length and Transfer-Encoding together") }
            if codings.joined(separator: ",").lowercased().contains("chunked") {
                throw RequestRefusal(411, "chunked request bodies are not accepted: send Content-Length")
            }
            throw RequestRefusal(501, "Transfer-Encoding is not supported: send Content-Length")
        }
        if let length = lengths.first {
            guard lengths.allSatisfy({ $0 == length }), !length.isEmpty, length.utf8.count <= 18,
                length.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let count = Int(length)
            else {
                throw RequestRefusal(400, "Content-Length is not one whole number")
            }
            guard count <= self.limits.maximumBodyBytes else {
                throw RequestRefusal(413, "the body is larger than \(self.limits.maximumBodyBytes) bytes")
            }
            head.contentLength = count
        }
        if let expectation = values("expect").first {
            guard expectation.lowercased() == "100-continue" else {
                throw RequestRefusal(417, "only 'Expect: 100-continue' is understood")
            }
            head.expectsContinue = head.minorVersion == 1
        }
    }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
}
