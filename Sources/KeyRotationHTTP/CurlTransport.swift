#if canImport(CCurl)
    import CCurl
    import Foundation
    import Synchronization

    /// The production ``HTTPTransport`` on Linux: libcurl's multi interface, every knob set by the SDK.
    ///
    /// Every request is checked by ``TransportPolicy/validate(_:)`` before a curl handle exists. Then curl enforces
    /// the policy: a real connect timeout (``TransportPolicy/connectTimeout``), an optional response-head timeout
    /// (``TransportPolicy/responseHeadTimeout``), the total timeout, no redirects (a 3xx other than 304 fails with
    /// ``TransportError/Code/redirectRefused``), `https` only (plus `http` to loopback). The size cap counts decoded
    /// bytes as they arrive and stops the transfer at the cap, so a compression bomb never inflates past it; bodies
    /// are decoded only when ``TransportPolicy/decodesCompressedResponses`` asks for it.
    ///
    /// A request is sent at most once per call: when a kept-alive connection dies before any answer, curl would
    /// resend the request on a fresh connection unseen; this transport refuses that resend and fails with
    /// ``TransportError/Code/connectionReset`` (``TransportError/requestMayHaveBeenSent`` `true`), which the
    /// ``RotatingClient`` classifies. Proxies come from the environment as curl reads them (`https_proxy`,
    /// `no_proxy`). HTTP/2 is used where the server offers it over TLS.
    ///
    /// All transports share one driver thread and one connection cache (at most 64 connections). Cancelling the
    /// caller's task aborts its transfer at once and frees the handle.
    public struct CurlTransport: HTTPTransport {
        /// The policy every request obeys.
        public let policy: TransportPolicy

        /// Handles of this transport's requests held by the driver now.
        private let holders = CurlHandleCount()

        /// Creates a transport.
        ///
        /// - Parameter policy: The safety rules; default `TransportPolicy()` (its defaults: loopback hosts only).
        public init(policy: TransportPolicy = TransportPolicy()) {
            self.policy = policy
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
            guard !Task.isCancelled else {
                throw TransportError(
                    .cancelled,
                    "the request to \(host) was cancelled before it was sent",
                    requestMayHaveBeenSent: false
                )
            }
            let driver = CurlDriver.shared  // first: it runs curl_global_init before any handle exists
            guard let transfer = CurlTransfer(request: request, host: host, policy: self.policy, holders: self.holders)
            else {
                throw TransportError(
                    .connectionFailed,
                    "libcurl could not create a handle for \(host): the process may be out of memory",
                    requestMayHaveBeenSent: false
                )
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation {
                    (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                    let isCancelled = transfer.slot.withLock { slot in
                        if !slot.isCancelled { slot.continuation = continuation }
                        return slot.isCancelled
                    }
                    if isCancelled {
                        continuation.resume(
                            throwing: TransportError(
                                .cancelled,
                                "the request to \(host) was cancelled before it was sent",
                                requestMayHaveBeenSent: false
                            )
                        )
                    } else {
                        driver.start(transfer)
                    }
                }
            } onCancel: {
                let isStarted = transfer.slot.withLock { slot in
                    slot.isCancelled = true
                    return slot.continuation != nil
                }
                if isStarted { driver.cancel(transfer) }
            }
        }
    }

    extension CurlTransport {
        /// How many of this transport's requests hold a curl handle in the driver now (tests: a cancelled request
        /// frees its handle).
        package var activeTransferCount: Int { self.holders.value.withLock { $0 } }
    }
#endif
