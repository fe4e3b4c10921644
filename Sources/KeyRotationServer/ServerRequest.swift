public import Foundation

/// A request the server parsed: request line, header fields in order, and the body.
public struct ServerRequest: Hashable, Sendable {
    /// The method as sent, upper case (`GET`).
    public var method: String
    /// The request target in origin form: path and query (`/vt/files/abc?x=1`).
    public var target: String
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    public var minorVersion: Int
    /// Header fields in arrival order (names as sent).
    public var headers: [(name: String, value: String)]
    /// The body (empty without `Content-Length`).
    public var body: Data

    /// Creates a request.
    public init(
        method: String,
        target: String,
        minorVersion: Int = 1,
        headers: [(name: String, value: String)] = [],
        body: Data = Data()
    ) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// The path without the query.
    public var path: Substring { self.target.prefix { $0 != "?" } }

    /// The query after `?`, without it (empty when there is none).
    public var query: Substring {
        guard let mark = self.target.firstIndex(of: "?") else { return "" }
        return self.target[self.target.index(after: mark)...]
    }

    /// The first value of the field called `name` (case-insensitive).
    public subscript(name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only
    /// with `Connection: keep-alive`.
    public var keepsAlive: Bool {
        let tokens = (self["Connection"] ?? "").lowercased().split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if self.minorVersion == 0 { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.body == rhs.body
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.method)
        hasher.combine(self.target)
        hasher.combine(self.body)
    }
}
