import Foundation

/// Where a Redis server listens and how to log in: parsed from `redis://[[user]:password@]host[:port][/db]`.
///
/// The password is a secret: ``description`` shows `***` in its place, and errors never repeat the URL.
public struct RedisEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address (IPv6 in brackets in the URL, without them here).
    public var host: String
    /// The TCP port (default 6379).
    public var port: Int
    /// The ACL user name for `AUTH user password`, if any.
    public var username: String?
    /// The password for `AUTH`, if any.
    public var password: String?
    /// The logical database selected with `SELECT` (default 0).
    public var database: Int

    /// An endpoint from its parts.
    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// - Throws: ``RedisError`` with ``RedisError/Code/unsupportedScheme`` for `rediss://` (TLS is not
    ///   supported: reach a TLS server through a local tunnel and a `redis://` loopback URL) and
    ///   ``RedisError/Code/invalidURL`` for anything else that does not fit; the message never repeats the URL.
    public init(url: String) throws(RedisError) {
        let text = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let schemeEnd = text.range(of: "://") else {
            throw RedisError(.invalidURL, "the Redis URL has no scheme: write redis://[:password@]host:port/db")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" {
            throw RedisError(
                .unsupportedScheme,
                "rediss:// (Redis over TLS) is not supported by this client: reach the server through a TLS tunnel "
                    + "(stunnel, spiped) on a loopback port and use redis://127.0.0.1:PORT/DB"
            )
        }
        guard scheme == "redis" else {
            throw RedisError(.unsupportedScheme, "the Redis URL's scheme is '\(scheme)': only redis:// is supported")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw RedisError(.invalidURL, "the Redis URL's database is not a number ≥ 0: write /0, /1, …")
                }
                database = number
            }
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = String(credentials[..<colon]).percentDecoded()
                username = user.isEmpty ? nil : user
                password = String(credentials[credentials.index(after: colon)...]).percentDecoded()
            } else if !credentials.isEmpty {
                password = String(credentials).percentDecoded()  // redis://password@host, as redis-cli reads it
            }
        }
        var host: Substring
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "the Redis URL's IPv6 host has no closing ']'")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") {
                rest = rest.dropFirst()
            } else if !rest.isEmpty {
                throw RedisError(.invalidURL, "the Redis URL has text after its IPv6 host")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            rest = rest[rest.index(after: colon)...]
        } else {
            host = rest
            rest = ""
        }
        if !rest.isEmpty {
            guard let number = Int(rest), (1...65535).contains(number) else {
                throw RedisError(.invalidURL, "the Redis URL's port is not a number from 1 to 65535")
            }
            port = number
        }
        guard !host.isEmpty else { throw RedisError(.invalidURL, "the Redis URL has no host: write redis://host:port") }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var credentials = ""
        if self.username != nil || self.password != nil {
            credentials = "\(self.username ?? ""):\(self.password == nil ? "" : "***")@"
        }
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(credentials)\(host):\(self.port)/\(self.database)"
    }

    /// `host:port`, for messages.
    var address: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}

extension StringProtocol {
    /// `%40` → `@`: passwords with reserved characters are percent-encoded in URLs.
    fileprivate func percentDecoded() -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
