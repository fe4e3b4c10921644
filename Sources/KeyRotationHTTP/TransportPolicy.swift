public import Foundation

/// The safety rules every request obeys: timeouts, a response-size cap, https only, and an allow-list of hosts.
///
/// Every field has a default, so `TransportPolicy()` is valid: it allows loopback hosts only (plain `http`
/// included), which suits tests; a provider profile fills ``allowedHosts`` with the provider's hosts.
/// ``validate(_:)`` applies the URL rules before anything is sent.
public struct TransportPolicy: Hashable, Sendable {
    /// The SDK's version, as sent in the `User-Agent`.
    public static let sdkVersion = "0.1.0"

    /// The default `User-Agent`: names the SDK and its version, and says `gzip`, which VirusTotal wants
    /// there before it compresses a response.
    public static let defaultUserAgent = "KeyRotation/\(Self.sdkVersion) (gzip)"

    /// The longest wait for the connection. Default 5 s.
    ///
    /// `CurlTransport` (the default on Linux) bounds the connection itself (TCP and TLS); the request was then
    /// never sent. Foundation reports no connect event, so `URLSessionTransport` bounds the time until the
    /// response head arrives. A request that passes it fails with ``TransportError/Code/connectTimeout``.
    public var connectTimeout: Duration = .seconds(5)

    /// The longest wait for the response head after the request started, or `nil` (the default): only
    /// ``totalTimeout`` bounds it.
    ///
    /// Enforced by `CurlTransport` (fails with ``TransportError/Code/timeout``); `URLSessionTransport` bounds the
    /// head by ``connectTimeout`` instead.
    public var responseHeadTimeout: Duration? = nil

    /// Whether the transport asks for compressed bodies and decodes them (`Accept-Encoding`). Default `true`.
    ///
    /// `CurlTransport` decodes as the body streams in and counts the decoded bytes against
    /// ``maximumResponseSize``, so a compression bomb stops at the cap. `URLSessionTransport` on Linux always
    /// decodes `gzip`, whatever this says.
    public var decodesCompressedResponses: Bool = true

    /// The longest the whole exchange may take, from sending until the last byte of the body. Default 30 s.
    ///
    /// Enforced by the transport itself (Foundation's request timeout only bounds idle time).
    public var totalTimeout: Duration = .seconds(30)

    /// The largest body accepted, in bytes, after any decompression. Default 1 MiB (1,048,576).
    ///
    /// Enforced while the body streams in: the transfer stops as soon as the cap is passed.
    public var maximumResponseSize: Int = 1_048_576

    /// The hosts requests may go to, lower case (values are lower-cased when set). Default empty.
    ///
    /// Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) are always allowed, so an empty set means
    /// "loopback only". A provider profile fills it with the provider's hosts.
    public var allowedHosts: Set<String> = [] {
        didSet { self.allowedHosts = Self.normalized(self.allowedHosts) }
    }

    /// Domains every host under which is allowed too, lower case: `aptoslabs.com` allows
    /// `archive.testnet.aptoslabs.com` (for a provider that names its own hosts in responses). Default empty.
    public var allowedDomains: Set<String> = [] {
        didSet { self.allowedDomains = Self.normalized(self.allowedDomains) }
    }

    /// Whether plain `http` is accepted for loopback hosts (tests, local simulators). Default `true`.
    ///
    /// Plain `http` to any other host is always refused.
    public var allowsInsecureLoopback: Bool = true

    /// The `User-Agent` sent when the request sets none. Default ``defaultUserAgent``.
    public var userAgent: String = Self.defaultUserAgent

    /// Creates a policy; every argument has the default its field documents.
    public init(
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(30),
        maximumResponseSize: Int = 1_048_576,
        allowedHosts: Set<String> = [],
        allowsInsecureLoopback: Bool = true,
        userAgent: String = Self.defaultUserAgent
    ) {
        precondition(connectTimeout > .zero, "connectTimeout must be positive")
        precondition(totalTimeout > .zero, "totalTimeout must be positive")
        precondition(maximumResponseSize >= 0, "maximumResponseSize must not be negative")
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maximumResponseSize = maximumResponseSize
        self.allowedHosts = Self.normalized(allowedHosts)
        self.allowsInsecureLoopback = allowsInsecureLoopback
        self.userAgent = userAgent
    }

    /// Checks that `url` may be requested under this policy; nothing is sent.
    ///
    /// Messages name the host, never the path or the query (a key may sit in a path segment).
    ///
    /// - Parameter url: The URL about to be requested.
    /// - Throws: ``TransportError`` with ``TransportError/Code/invalidURL`` (no host, user info, or a scheme
    ///   other than `http`/`https`), ``TransportError/Code/insecureScheme`` (plain `http` to a host that is not
    ///   loopback, or to loopback when ``allowsInsecureLoopback`` is `false`), or
    ///   ``TransportError/Code/hostNotAllowed`` (a host outside ``allowedHosts`` and ``allowedDomains`` that is
    ///   not loopback).
    public func validate(_ url: URL) throws(TransportError) {
        do {
            try self.check(url)
        } catch {
            var refusal = error
            refusal.requestMayHaveBeenSent = false  // refused before anything was sent
            throw refusal
        }
    }

    private func check(_ url: URL) throws(TransportError) {
        let scheme = url.scheme?.lowercased() ?? ""
        guard let host = Self.host(of: url), !host.isEmpty else {
            throw TransportError(.invalidURL, "the URL has no host: give an absolute http(s) URL")
        }
        guard scheme == "https" || scheme == "http" else {
            let shown = scheme.isEmpty ? "none" : "'\(scheme)'"
            throw TransportError(
                .invalidURL,
                "the URL to \(host) has scheme \(shown): only https (and http to loopback) is sent"
            )
        }
        if url.user != nil || url.password != nil {
            throw TransportError(
                .invalidURL,
                "the URL to \(host) carries user info: remove it, pass credentials in headers"
            )
        }
        let isLoopback = Self.isLoopback(host: host)
        if scheme == "http" {
            if !isLoopback {
                throw TransportError(.insecureScheme, "refusing plain http to \(host): use https")
            }
            if !self.allowsInsecureLoopback {
                throw TransportError(
                    .insecureScheme,
                    "refusing plain http to loopback host \(host): use https, or set allowsInsecureLoopback"
                )
            }
        }
        if !isLoopback && !self.allowedHosts.contains(host)
            && !self.allowedDomains.contains(where: { host == $0 || host.hasSuffix("." + $0) })
        {
            let allowed =
                self.allowedHosts.isEmpty ? "none but loopback" : self.allowedHosts.sorted().joined(separator: ", ")
            throw TransportError(
                .hostNotAllowed,
                "host \(host) is not allowed (allowed: \(allowed)): use the provider's host or add it to allowedHosts"
            )
        }
    }

    /// Whether `host` is a loopback host: `localhost`, an IPv4 address in `127.0.0.0/8`, or `::1`.
    ///
    /// - Parameter host: A host name or address, with or without IPv6 brackets.
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = Int(part), value <= 255
            else { return false }
            octets.append(value)
        }
        return octets[0] == 127
    }

    /// The URL's host, lower case, without IPv6 brackets or a trailing dot; `nil` when it has none.
    package static func host(of url: URL) -> String? {
        guard var host = url.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    private static func normalized(_ hosts: Set<String>) -> Set<String> {
        let normal = Set(
            hosts.map { host in
                var host = host.lowercased().trimmingCharacters(in: .whitespaces)
                if host.hasSuffix(".") { host.removeLast() }
                return host
            }
        )
        return normal
    }
}
