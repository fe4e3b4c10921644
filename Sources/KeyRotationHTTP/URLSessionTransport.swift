import Foundation
import KeyRotation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The production ``HTTPTransport``: `URLSession` under a ``TransportPolicy``.
///
/// Every request is checked by ``TransportPolicy/validate(_:)`` before anything is sent. Then the transport
/// bounds the wait for the response head (``TransportPolicy/connectTimeout``) and the whole exchange
/// (``TransportPolicy/totalTimeout``), stops a body as soon as it passes ``TransportPolicy/maximumResponseSize``
/// (or refuses it at once when `Content-Length` already says so), and never follows a redirect: a 3xx fails
/// with ``TransportError/Code/redirectRefused``. Error messages name the host, never the path or the query.
///
/// Compressed bodies are decompressed only by Foundation itself (on Linux it asks for and decodes `gzip`);
/// the size cap applies to the decompressed bytes. Cancelling the caller's task cancels the transfer.
///
/// One `URLSession` per transport; call ``shutdown()`` when done (deinit does it too).
public final class URLSessionTransport: HTTPTransport {
    /// The policy every request obeys.
    public let policy: TransportPolicy

    private let session: URLSession
    private let delegate: SessionDelegate

    /// Creates a transport with its own `URLSession` (ephemeral: no cookies, no cache).
    ///
    /// - Parameter policy: The safety rules; default `TransportPolicy()` (its defaults: loopback hosts only).
    public init(policy: TransportPolicy = TransportPolicy()) {
        self.policy = policy
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // Foundation's own timeouts are a backstop only: the transport enforces both limits itself.
        configuration.timeoutIntervalForRequest = policy.totalTimeout.seconds + 1
        configuration.timeoutIntervalForResource = policy.totalTimeout.seconds + 1
        let delegate = SessionDelegate()
        self.delegate = delegate
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit {
        self.session.invalidateAndCancel()
    }

    /// Cancels every transfer in flight and releases the session; later calls to ``send(_:)`` fail with
    /// ``TransportError/Code/cancelled``.
    public func shutdown() {
        if self.delegate.markShutdown() {
            self.session.invalidateAndCancel()
        }
    }

    /// Sends `request` under the policy and returns the complete response.
    ///
    /// - Parameter request: The request; a `User-Agent` is added when it has none.
    /// - Returns: The response, with a status outside 300–399 (304 excepted).
    /// - Throws: ``TransportError``: a policy refusal (nothing sent), a timeout, a connection failure or reset,
    ///   a body over the cap, a refused redirect, or ``TransportError/Code/cancelled``.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try self.policy.validate(request.url)
        let host = TransportPolicy.host(of: request.url) ?? "unknown host"
        if Task.isCancelled {
            throw TransportError(.cancelled, "the request to \(host) was cancelled before it was sent")
        }
        if self.delegate.isShutdown {
            throw TransportError(.cancelled, "the transport was shut down: create a new one to send to \(host)")
        }
        let task = self.session.dataTask(with: self.urlRequest(for: request))
        let id = task.taskIdentifier
        let policy = self.policy
        let delegate = self.delegate
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                let timer = Self.enforceDeadlines(id: id, task: task, host: host, policy: policy, delegate: delegate)
                delegate.register(
                    id,
                    SessionDelegate.Exchange(
                        continuation: continuation,
                        host: host,
                        maximumResponseSize: policy.maximumResponseSize,
                        timer: timer
                    )
                )
                if Task.isCancelled {
                    if delegate.fail(id, TransportError(.cancelled, "the request to \(host) was cancelled")) {
                        task.cancel()
                    }
                    return
                }
                task.resume()
            }
        } onCancel: {
            if delegate.fail(id, TransportError(.cancelled, "the request to \(host) was cancelled")) {
                task.cancel()
            }
        }
    }

    private func urlRequest(for request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(
            url: request.url,
            cachePolicy: .reloadIgnoringLocalCacheData,
            timeoutInterval: self.policy.totalTimeout.seconds + 1
        )
        urlRequest.httpMethod = request.method.rawValue
        urlRequest.httpShouldHandleCookies = false
        for field in request.headers {
            urlRequest.addValue(field.value, forHTTPHeaderField: field.name)
        }
        if request.headers["User-Agent"] == nil {
            urlRequest.setValue(self.policy.userAgent, forHTTPHeaderField: "User-Agent")
        }
        urlRequest.httpBody = request.body
        return urlRequest
    }

    /// Fails the exchange with `connectTimeout` when no response head came in time, then with `timeout` when the
    /// whole exchange outlives the total timeout. Ends early (cancelled) when the exchange finishes.
    ///
    /// The deadlines run on Dispatch, not on the Swift concurrency pool, so a pool kept busy by the application
    /// (or by blocking work) can't delay a timeout.
    private static func enforceDeadlines(
        id: Int,
        task: URLSessionTask,
        host: String,
        policy: TransportPolicy,
        delegate: SessionDelegate
    ) -> DeadlineTimer {
        let timer = DeadlineTimer()
        let connect: @Sendable () -> Void = {
            guard !timer.isCancelled, !delegate.hasResponse(id) else { return }
            let error = TransportError(
                .connectTimeout,
                "no response head from \(host) within \(Self.describe(policy.connectTimeout)) (connectTimeout bounds the "
                    + "connection and the wait for the first byte; the server may have received the request): check "
                    + "the network or the host, or raise connectTimeout for a slow server"
            )
            if delegate.fail(id, error) { task.cancel() }
        }
        let total: @Sendable () -> Void = {
            guard !timer.isCancelled else { return }
            let error = TransportError(
                .timeout,
                "the exchange with \(host) took longer than \(Self.describe(policy.totalTimeout)) (total timeout): "
                    + "retry later or raise totalTimeout"
            )
            if delegate.fail(id, error) { task.cancel() }
        }
        let now = DispatchTime.now()
        let queue = DispatchQueue.global()
        queue.asyncAfter(
            deadline: now + min(policy.connectTimeout, policy.totalTimeout).dispatchInterval,
            execute: connect
        )
        queue.asyncAfter(deadline: now + policy.totalTimeout.dispatchInterval, execute: total)
        return timer
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
        return "\(Int((seconds * 1000).rounded())) ms"
    }
}

/// The session's delegate: per-task state keyed by task identifier, behind one `Mutex`.
///
/// Sendable without `@unchecked`: its only stored property is a `Mutex`. Continuations are resumed and tasks
/// cancelled after the lock is released.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    struct Exchange {
        var continuation: CheckedContinuation<HTTPResponse, any Error>
        var host: String
        var maximumResponseSize: Int
        var timer: DeadlineTimer
        var response: HTTPURLResponse?
        var body = Data()

        init(
            continuation: CheckedContinuation<HTTPResponse, any Error>,
            host: String,
            maximumResponseSize: Int,
            timer: DeadlineTimer
        ) {
            self.continuation = continuation
            self.host = host
            self.maximumResponseSize = maximumResponseSize
            self.timer = timer
        }
    }

    private struct State {
        var exchanges: [Int: Exchange] = [:]
        var isShutdown = false
    }

    private let state = Mutex(State())

    var isShutdown: Bool { self.state.withLock { $0.isShutdown } }

    /// Marks the delegate shut down; returns whether it was running.
    func markShutdown() -> Bool {
        self.state.withLock { state in
            defer { state.isShutdown = true }
            return !state.isShutdown
        }
    }

    func register(_ id: Int, _ exchange: Exchange) {
        self.state.withLock { $0.exchanges[id] = exchange }
    }

    func hasResponse(_ id: Int) -> Bool {
        self.state.withLock { $0.exchanges[id]?.response != nil }
    }

    /// Ends the exchange with `error`; returns `false` when it had already ended (the caller then leaves the
    /// task alone).
    @discardableResult
    func fail(_ id: Int, _ error: TransportError) -> Bool {
        guard let exchange = self.state.withLock({ $0.exchanges.removeValue(forKey: id) }) else { return false }
        exchange.timer.cancel()
        exchange.continuation.resume(throwing: error)
        return true
    }

    private func succeed(_ id: Int) {
        guard let exchange = self.state.withLock({ $0.exchanges.removeValue(forKey: id) }) else { return }
        exchange.timer.cancel()
        guard let response = exchange.response else {
            exchange.continuation.resume(
                throwing: TransportError(
                    .connectionFailed,
                    "\(exchange.host) closed the connection without a response: retry"
                )
            )
            return
        }
        var headers = HTTPHeaders()
        for (name, value) in response.allHeaderFields {
            headers.add(name: "\(name)", value: "\(value)")
        }
        exchange.continuation.resume(
            returning: HTTPResponse(status: response.statusCode, headers: headers, body: exchange.body)
        )
    }

    private func host(_ id: Int) -> String? {
        self.state.withLock { $0.exchanges[id]?.host }
    }

    private static func isRefusedRedirect(_ status: Int) -> Bool {
        (300..<400).contains(status) && status != 304
    }

    private static func redirectError(host: String, status: Int, location: URL?) -> TransportError {
        let target = location.flatMap { TransportPolicy.host(of: $0) }.map { "to \($0)" } ?? "without a usable location"
        return TransportError(
            .redirectRefused,
            "\(host) answered \(status), a redirect \(target); redirects are never followed: "
                + "point the base URL at the final host"
        )
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // End the exchange first, so a timer or a cancellation handler no longer cancels the task; then answer, and
        // only then cancel: on Linux, cancelling before the handler has run trips an assertion in
        // FoundationNetworking.
        let id = task.taskIdentifier
        let error = self.host(id).map {
            Self.redirectError(host: $0, status: response.statusCode, location: request.url)
        }
        let ended = error.map { self.fail(id, $0) } ?? false
        completionHandler(nil)
        if ended { task.cancel() }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let id = dataTask.taskIdentifier
        guard let http = response as? HTTPURLResponse else {
            let host = self.host(id) ?? "the server"
            self.fail(
                id,
                TransportError(.connectionFailed, "\(host) did not answer with HTTP: retry or check the host")
            )
            completionHandler(.cancel)
            return
        }
        enum Verdict { case allow, failed(TransportError), gone }
        let verdict = self.state.withLock { state -> Verdict in
            guard var exchange = state.exchanges[id] else { return .gone }
            if Self.isRefusedRedirect(http.statusCode) {
                let location = (http.value(forHTTPHeaderField: "Location")).flatMap {
                    URL(string: $0, relativeTo: http.url)?.absoluteURL
                }
                return .failed(Self.redirectError(host: exchange.host, status: http.statusCode, location: location))
            }
            if http.expectedContentLength > Int64(exchange.maximumResponseSize) {
                return .failed(
                    TransportError(
                        .responseTooLarge,
                        "\(exchange.host) announced a body of \(http.expectedContentLength) bytes, over the cap of "
                            + "\(exchange.maximumResponseSize) bytes; nothing was read: ask for less (a smaller page) "
                            + "or raise maximumResponseSize"
                    )
                )
            }
            exchange.response = http
            state.exchanges[id] = exchange
            return .allow
        }
        switch verdict {
        case .allow:
            completionHandler(.allow)
        case .failed(let error):
            self.fail(id, error)
            completionHandler(.cancel)
            dataTask.cancel()
        case .gone:
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let id = dataTask.taskIdentifier
        let overflow = self.state.withLock { state -> TransportError? in
            guard var exchange = state.exchanges[id] else { return nil }
            if exchange.body.count + data.count > exchange.maximumResponseSize {
                return TransportError(
                    .responseTooLarge,
                    "the body from \(exchange.host) passed the cap of \(exchange.maximumResponseSize) bytes; the rest "
                        + "was not read: ask for less (a smaller page) or raise maximumResponseSize"
                )
            }
            state.exchanges[id] = nil  // avoid a copy of the body while appending
            exchange.body.append(data)
            state.exchanges[id] = exchange
            return nil
        }
        if let overflow, self.fail(id, overflow) {
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let id = task.taskIdentifier
        guard let error else {
            self.succeed(id)
            return
        }
        guard let host = self.host(id) else { return }
        self.fail(id, Self.map(error, host: host))
    }

    /// Maps a Foundation error to a ``TransportError`` whose message names only the host.
    static func map(_ error: any Error, host: String) -> TransportError {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain {
            if nsError.code == Int(ECONNRESET) || nsError.code == Int(EPIPE) {
                return TransportError(.connectionReset, "\(host) reset the connection: retry")
            }
            if nsError.code == Int(ETIMEDOUT) {
                return TransportError(.timeout, "the exchange with \(host) timed out: retry later")
            }
            return TransportError(
                .connectionFailed,
                "could not exchange with \(host) (POSIX error \(nsError.code)): retry"
            )
        }
        guard nsError.domain == NSURLErrorDomain else {
            return TransportError(
                .connectionFailed,
                "the exchange with \(host) failed (\(nsError.domain) \(nsError.code)): retry"
            )
        }
        switch URLError.Code(rawValue: nsError.code) {
        case .timedOut:
            return TransportError(.timeout, "the exchange with \(host) timed out: retry later or raise totalTimeout")
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return TransportError(.connectionFailed, "could not connect to \(host): check the host and the network")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected:
            return TransportError(
                .connectionFailed,
                "the TLS handshake with \(host) failed: check the host's certificate"
            )
        case .networkConnectionLost:
            return TransportError(
                .connectionReset,
                "the connection to \(host) was lost before the response was complete: retry"
            )
        case .badServerResponse, .cannotParseResponse, .zeroByteResource, .unsupportedURL:
            // The URL passed validation, so an unsupported "protocol" is libcurl meeting a reply that is not HTTP.
            return TransportError(
                .connectionFailed,
                "\(host) sent a reply that is not valid HTTP: retry, or check the host"
            )
        case .cancelled:
            return TransportError(.cancelled, "the request to \(host) was cancelled")
        default:
            return TransportError(
                .connectionFailed,
                "the exchange with \(host) failed (URL error \(nsError.code)): retry"
            )
        }
    }
}

/// Whether the deadline checks of one exchange still matter (the exchange ended: they do nothing).
final class DeadlineTimer: Sendable {
    private let cancelled = Locked(false)

    var isCancelled: Bool { self.cancelled.value }

    func cancel() { self.cancelled.withLock { $0 = true } }
}

extension Duration {
    fileprivate var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(clamping: self.nanoseconds))
    }
}
