import Foundation
public import KeyRotation

/// One attempt of a request sent through a ``RotatingClient``, for logs and metrics: which key (its id, never the
/// key), what came back, how long it took. Bridge it to swift-log, metrics or a file with ``RequestLog``.
public struct RequestAttempt: Sendable, CustomStringConvertible {
    /// The provider profile's name (`VirusTotal`, `Nodit`).
    public var provider: String
    /// The request's method.
    public var method: HTTPMethod
    /// The request's path, without the query, with the key redacted should a provider carry it in the path.
    public var path: String
    /// The key that sent it (`nil` for a keyless request).
    public var keyID: KeyID?
    /// Which attempt of the request this was, from 1.
    public var attempt: Int
    /// The HTTP status, when a response came back.
    public var status: Int?
    /// What the response meant, when one came back.
    public var classification: Classification?
    /// Why no response came back (timeout, reset, refused redirect…), when none did.
    public var transportError: TransportError.Code?
    /// The time from sending to the answer (or the failure).
    public var latency: Duration

    /// Creates an attempt record.
    public init(
        provider: String,
        method: HTTPMethod,
        path: String,
        keyID: KeyID?,
        attempt: Int,
        status: Int?,
        classification: Classification?,
        transportError: TransportError.Code?,
        latency: Duration
    ) {
        self.provider = provider
        self.method = method
        self.path = path
        self.keyID = keyID
        self.attempt = attempt
        self.status = status
        self.classification = classification
        self.transportError = transportError
        self.latency = latency
    }

    /// `VirusTotal GET /files/… key vt-2 attempt 1: 429 rateLimited(retryAfter: nil) in 120 ms`.
    public var description: String {
        let key = self.keyID.map { " key \($0)" } ?? " (no key)"
        let what: String
        if let status = self.status {
            let kind = self.classification.map { " \($0.kind)" } ?? ""
            let code = self.classification?.providerCode.map { " \($0)" } ?? ""
            what = "\(status)\(kind)\(code)"
        } else {
            what = "no response (\(self.transportError.map { "\($0)" } ?? "failed"))"
        }
        let milliseconds = Double(self.latency.components.seconds) * 1000
            + Double(self.latency.components.attoseconds) / 1e15
        return "\(self.provider) \(self.method) \(self.path)\(key) attempt \(self.attempt): \(what) in "
            + String(format: "%.0f ms", milliseconds)
    }
}

/// Where ``RotatingClient`` reports each attempt: a task-local observer, so one call site sees every request its
/// work makes, through every client and child task, without threading a logger through each API.
///
/// ```swift
/// await RequestLog.$observer.withValue(RequestLog.Observer { attempt in logger.debug("\(attempt)") }) {
///     _ = await client.enrich(iocs).results
/// }
/// ```
public enum RequestLog: Sendable {
    /// What sees each attempt: a closure in a struct, because Swift 6.3's optimizer miscompiles binding a task-local
    /// of function type (a release build crashes in `withValue`).
    public struct Observer: Sendable {
        /// Called with each attempt.
        public let notify: @Sendable (RequestAttempt) -> Void

        /// An observer calling `notify` with each attempt.
        public init(_ notify: @escaping @Sendable (RequestAttempt) -> Void) {
            self.notify = notify
        }

        /// Calls ``notify`` with `attempt`.
        @inline(__always)
        public func callAsFunction(_ attempt: RequestAttempt) { self.notify(attempt) }
    }

    /// The observer of the current task, if any. Called on the requesting task, after each attempt; keep it quick.
    @TaskLocal public static var observer: Observer?
}
