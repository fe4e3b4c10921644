public import Foundation

/// An HTTP method.
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method's name, upper case.
    public let rawValue: String
    /// Creates a method from its name.
    public init(_ rawValue: String) { self.rawValue = rawValue.uppercased() }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let delete = HTTPMethod("DELETE")
    public static let options = HTTPMethod("OPTIONS")

    /// Whether repeating the request has the same effect as sending it once (RFC 9110 §9.2.2).
    public var isIdempotent: Bool { ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(self.rawValue) }

    public var description: String { self.rawValue }
}

/// Header fields: ordered, names matched case-insensitively.
public struct HTTPHeaders: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field. A struct, not a tuple: an array of tuples is created and destroyed through the runtime's
    /// generic tuple metadata, an array of a struct with its own specialised code.
    private struct Field: Sendable {
        var name: String
        var value: String
    }

    private var fields: [Field] = []

    /// Creates empty headers.
    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self.add(name: name, value: value) }
    }

    /// Appends a field.
    public mutating func add(name: String, value: String) { self.fields.append(Field(name: name, value: value)) }

    /// Replaces every field called `name` with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        // Most often there is none to replace (a key applied to a request without one): append, copying once.
        if self.fields.contains(where: { Self.sameName($0.name, name) }) { self.remove(name: name) }
        self.add(name: name, value: value)
    }

    /// Removes every field called `name`.
    public mutating func remove(name: String) {
        self.fields.removeAll { Self.sameName($0.name, name) }
    }

    /// The first value of the field called `name`.
    public subscript(name: String) -> String? {
        self.fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value of the field called `name`.
    public func values(for name: String) -> [String] {
        self.fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Field names are ASCII tokens (RFC 9110 §5.1): compare their bytes case-insensitively, without Foundation's
    /// Unicode-aware (and, on Linux, slow) comparison.
    @inline(__always)
    static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        // Case folding keeps an ASCII name's length, so names of different lengths differ (an O(1) check that
        // rejects most fields at once).
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let a?, let b?):
                if a == b { continue }
                let lowerA = a >= 65 && a <= 90 ? a | 0x20 : a
                let lowerB = b >= 65 && b <= 90 ? b | 0x20 : b
                if lowerA != lowerB { return false }
            default: return false
            }
        }
    }

    /// Whether any field's name starts with one of `prefixes` (lower-case ASCII), case-insensitively: one pass
    /// that tells a reader whether the lookups it would make can find anything.
    func containsName(withPrefixIn prefixes: [StaticString]) -> Bool {
        self.fields.contains { field in
            let matches = { (bytes: UnsafeBufferPointer<UInt8>) in prefixes.contains { Self.hasPrefix(bytes, $0) } }
            return field.name.utf8.withContiguousStorageIfAvailable(matches)
                ?? Array(field.name.utf8).withUnsafeBufferPointer(matches)
        }
    }

    /// Whether `name` starts with `prefix` (lower-case ASCII), ASCII letters compared case-insensitively.
    @inline(__always)
    private static func hasPrefix(_ name: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard name.count >= count else { return false }
        let expected = prefix.utf8Start
        for index in 0..<count {
            let byte = name[index]
            if (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) != expected[index] { return false }
        }
        return true
    }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> {
        self.fields.lazy.map { (name: $0.name, value: $0.value) }.makeIterator()
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { Self.sameName($0.name, $1.name) && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in self.fields {
            hasher.combine(field.name.lowercased())
            hasher.combine(field.value)
        }
    }
}

/// A request as the SDK sends it.
public struct HTTPRequest: Hashable, Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The full URL.
    public var url: URL
    /// Header fields.
    public var headers: HTTPHeaders
    /// The body, if any.
    public var body: Data?
    /// Whether a non-idempotent request (a POST) may still be retried, because repeating it is harmless
    /// (a query sent as POST, such as Aptos' `/view` or Nodit's Web3 Data API). Default `false`.
    public var isSafeToRetry: Bool

    /// Creates a request.
    public init(
        method: HTTPMethod = .get,
        url: URL,
        headers: HTTPHeaders = [:],
        body: Data? = nil,
        isSafeToRetry: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isSafeToRetry = isSafeToRetry
    }

    /// Whether the request may be sent again on another key.
    public var isRetryable: Bool { self.method.isIdempotent || self.isSafeToRetry }
}

/// A response: status, headers and the whole body.
public struct HTTPResponse: Hashable, Sendable {
    /// The status code.
    public var status: Int
    /// Header fields.
    public var headers: HTTPHeaders
    /// The body.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text (lossy), at most `limit` characters, for error messages.
    public func bodyText(limit: Int = 300) -> String {
        let text = String(decoding: self.body.prefix(limit * 4), as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

/// Sends one request and returns the response: the seam where tests and the benchmark put a simulation.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the complete response, or throws ``TransportError``.
    ///
    /// A transport never follows redirects: a 3xx is returned (or refused) as it came.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
