#if canImport(CCurl)
    import CCurl
    import Foundation
    import Synchronization

    /// The one thread of the process that runs curl's multi interface: every `CurlTransport` request goes through it.
    ///
    /// Other threads only post to the inbox and wake the loop (`curl_multi_wakeup` is thread-safe); handles are
    /// added, removed and freed on the driver thread alone, and continuations are resumed outside every lock.
    /// One multi handle keeps one connection cache (reuse, HTTP/2 multiplexing), bounded by ``maximumConnections``.
    ///
    /// `@unchecked Sendable` is safe: `multi` is used only on the driver thread (apart from `curl_multi_wakeup`,
    /// which libcurl documents as callable from any thread), `active` is touched only on the driver thread, and
    /// the inbox is a `Mutex`.
    final class CurlDriver: @unchecked Sendable {
        static let shared = CurlDriver()

        /// Connections kept open and in use at most, over every host.
        static let maximumConnections = 64

        private struct Inbox {
            var added: [CurlTransfer] = []
            var cancelled: [CurlTransfer] = []
        }

        private let multi: UnsafeMutableRawPointer
        private let inbox = Mutex(Inbox())
        private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

        private init() {
            curl_global_init(Int(CURL_GLOBAL_ALL))
            self.multi = curl_multi_init()
            _ = kr_curl_multi_setopt_long(self.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, Self.maximumConnections)
            _ = kr_curl_multi_setopt_long(self.multi, CURLMOPT_MAXCONNECTS, Self.maximumConnections)
            _ = kr_curl_multi_setopt_long(self.multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
            let thread = Thread { [self] in self.run() }
            thread.name = "KeyRotation.curl"
            thread.start()
        }

        /// Starts `transfer` on the driver thread.
        func start(_ transfer: CurlTransfer) {
            self.inbox.withLock { $0.added.append(transfer) }
            curl_multi_wakeup(self.multi)
        }

        /// Aborts `transfer` at once on the driver thread (its caller gets ``TransportError/Code/cancelled``).
        func cancel(_ transfer: CurlTransfer) {
            self.inbox.withLock { $0.cancelled.append(transfer) }
            curl_multi_wakeup(self.multi)
        }

        private func run() {
            while true {
                let inbox = self.inbox.withLock { inbox in
                    defer { inbox = Inbox() }
                    return inbox
                }
                for transfer in inbox.added {
                    transfer.holders?.value.withLock { $0 += 1 }
                    self.active[transfer.easy] = transfer
                    curl_multi_add_handle(self.multi, transfer.easy)
                }
                for transfer in inbox.cancelled where self.active[transfer.easy] === transfer {
                    let error = TransportError(
                        .cancelled,
                        "the request to \(transfer.host) was cancelled",
                        requestMayHaveBeenSent: transfer.sendCount > 0
                    )
                    self.finish(transfer, .failure(error))
                }
                var running: Int32 = 0
                curl_multi_perform(self.multi, &running)
                self.collectFinished()
                self.enforceHeadDeadlines()
                curl_multi_poll(self.multi, nil, 0, self.pollTimeout(), nil)
            }
        }

        private func collectFinished() {
            var queued: Int32 = 0
            while let message = curl_multi_info_read(self.multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                    let transfer = self.active[easy]
                else { continue }
                self.finish(transfer, CurlOutcome.result(of: transfer, code: message.pointee.data.result))
            }
        }

        private func enforceHeadDeadlines() {
            let now = ContinuousClock.now
            for transfer in self.active.values where !transfer.isHeadComplete {
                guard let deadline = transfer.headDeadline, deadline <= now,
                    let limit = transfer.policy.responseHeadTimeout
                else { continue }
                let error = TransportError(
                    .timeout,
                    "no response head from \(transfer.host) within \(limit) (responseHeadTimeout; the server may "
                        + "have received the request): retry later, or raise responseHeadTimeout for a slow server",
                    requestMayHaveBeenSent: transfer.sendCount > 0
                )
                self.finish(transfer, .failure(error))
            }
        }

        /// Until the earliest head deadline, at most 1 s (curl shortens it to its own timers).
        private func pollTimeout() -> Int32 {
            let now = ContinuousClock.now
            var timeout = Duration.seconds(1)
            for transfer in self.active.values where !transfer.isHeadComplete {
                if let deadline = transfer.headDeadline { timeout = min(timeout, max(.zero, deadline - now)) }
            }
            let (seconds, attoseconds) = timeout.components
            return Int32(seconds * 1_000 + attoseconds / 1_000_000_000_000_000) + 1
        }

        /// Removes the handle from the multi handle (the transfer frees it when released), then resumes the caller.
        private func finish(_ transfer: CurlTransfer, _ outcome: Result<HTTPResponse, TransportError>) {
            curl_multi_remove_handle(self.multi, transfer.easy)
            self.active[transfer.easy] = nil
            transfer.holders?.value.withLock { $0 -= 1 }
            let continuation = transfer.slot.withLock { slot in
                defer { slot.continuation = nil }
                return slot.continuation
            }
            continuation?.resume(with: outcome.mapError { $0 as any Error })
        }
    }
#endif
