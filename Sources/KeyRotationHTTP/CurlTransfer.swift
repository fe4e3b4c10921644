#if canImport(CCurl)
    import CCurl
    import Foundation
    import Synchronization

    /// One request on one curl easy handle: its options, its callbacks and the response they collect.
    ///
    /// `@unchecked Sendable` is safe: the response fields (`status`, `headers`, `body`, `failure`, `sendCount`,
    /// `isHeadComplete`) are written only by curl's callbacks and read only by ``CurlDriver``, both on the driver
    /// thread; what other threads touch (the continuation and the cancelled flag) sits in `slot`, a `Mutex`.
    final class CurlTransfer: @unchecked Sendable {
        struct Slot {
            var continuation: CheckedContinuation<HTTPResponse, any Error>?
            var isCancelled = false
        }

        let easy: UnsafeMutableRawPointer
        let host: String
        let policy: TransportPolicy
        let headDeadline: ContinuousClock.Instant?
        /// A `HEAD` request: its `Content-Length` describes a body that never comes.
        let isHead: Bool
        let slot = Mutex(Slot())
        /// The count of handles its transport holds in the driver: one more while this transfer is in it.
        let holders: CurlHandleCount?
        private var headerList: UnsafeMutablePointer<curl_slist>?

        var status = 0
        var headers = HTTPHeaders()
        var body = Data()
        var isHeadComplete = false
        /// A failure the callbacks decided (cap passed, redirect, resend refused); wins over curl's own code.
        var failure: TransportError?
        /// How many times curl was about to send the request (the pre-request callback): 2 means a resend.
        var sendCount = 0

        init?(request: HTTPRequest, host: String, policy: TransportPolicy, holders: CurlHandleCount? = nil) {
            guard let easy = curl_easy_init() else { return nil }
            self.easy = easy
            self.holders = holders
            self.host = host
            self.policy = policy
            self.headDeadline = policy.responseHeadTimeout.map { ContinuousClock.now.advanced(by: $0) }
            self.isHead = request.method == .head
            self.configure(request)
        }

        deinit {
            curl_easy_cleanup(self.easy)
            curl_slist_free_all(self.headerList)
        }

        private func configure(_ request: HTTPRequest) {
            let easy = self.easy
            let policy = self.policy
            _ = kr_curl_easy_setopt_string(easy, CURLOPT_URL, request.url.absoluteString)
            _ = kr_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
            _ = kr_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
            _ = kr_curl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
            _ = kr_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(policy.connectTimeout))
            _ = kr_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(policy.totalTimeout))
            let plainAllowed = policy.allowsInsecureLoopback && TransportPolicy.isLoopback(host: self.host)
            _ = kr_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, plainAllowed ? "http,https" : "https")
            if policy.decodesCompressedResponses {
                _ = kr_curl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")  // every coding curl decodes
            }
            switch request.method {
            case .get: break
            case .head: _ = kr_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
            case .post: _ = kr_curl_easy_setopt_long(easy, CURLOPT_POST, 1)
            default: _ = kr_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
            if let body = request.body {
                _ = kr_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                body.withUnsafeBytes { bytes in  // curl copies the bytes: they need not outlive this call
                    let start = UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                    _ = kr_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, start)
                }
            } else if request.method == .post {
                _ = kr_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0)
            }
            var list: UnsafeMutablePointer<curl_slist>?
            for field in request.headers { list = curl_slist_append(list, "\(field.name): \(field.value)") }
            if request.headers["User-Agent"] == nil {
                list = curl_slist_append(list, "User-Agent: \(policy.userAgent)")
            }
            list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
            self.headerList = list
            _ = kr_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
            let me = Unmanaged.passUnretained(self).toOpaque()
            _ = kr_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWrite)
            _ = kr_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
            _ = kr_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeader)
            _ = kr_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
            _ = kr_curl_easy_setopt_prereq_callback(easy, curlPrerequest)
            _ = kr_curl_easy_setopt_pointer(easy, CURLOPT_PREREQDATA, me)
        }

        private static func milliseconds(_ duration: Duration) -> Int {
            let (seconds, attoseconds) = duration.components
            return max(1, Int(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000))
        }

        /// One header line (status line, field, or the blank line ending the head). `false` aborts the transfer.
        func receiveHeader(_ line: String) -> Bool {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasPrefix("HTTP/") {
                let parts = trimmed.split(separator: " ", maxSplits: 2)
                self.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                self.headers = HTTPHeaders()
                return true
            }
            if !trimmed.isEmpty {
                guard let colon = trimmed.firstIndex(of: ":") else { return true }
                let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
                let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                self.headers.add(name: name, value: value)
                return true
            }
            guard self.status >= 200 else { return true }  // the end of a 1xx head: the real one follows
            self.isHeadComplete = true
            if (300..<400).contains(self.status) && self.status != 304 {
                self.failure = TransportError(
                    .redirectRefused,
                    "\(self.host) answered with redirect \(self.status), which the SDK never follows: "
                        + "point the base URL at the final host"
                )
                return false
            }
            let length = self.headers["Content-Length"].flatMap(Int.init) ?? 0
            if !self.isHead, self.headers["Content-Encoding"] == nil, length > self.policy.maximumResponseSize {
                self.failure = self.tooLarge
                return false
            }
            return true
        }

        /// Body bytes, decoded. `false` aborts the transfer: the cap is passed.
        func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard self.body.count + bytes.count <= self.policy.maximumResponseSize else {
                self.failure = self.tooLarge
                return false
            }
            self.body.append(contentsOf: bytes)
            return true
        }

        /// curl is about to send the request. `false` refuses a second send: curl's silent retry of a request whose
        /// reused connection died before any answer (the server may have counted the first one).
        func willSend() -> Bool {
            self.sendCount += 1
            guard self.sendCount == 1 else {
                self.failure = TransportError(
                    .connectionReset,
                    "the kept-alive connection to \(self.host) closed before any answer; the request was not sent "
                        + "again (the server may have received it): retry"
                )
                return false
            }
            return true
        }

        private var tooLarge: TransportError {
            TransportError(
                .responseTooLarge,
                "the response from \(self.host) is larger than \(self.policy.maximumResponseSize) bytes "
                    + "(maximumResponseSize): raise the cap or ask for less"
            )
        }
    }

    /// How many handles of one transport the driver holds.
    final class CurlHandleCount: Sendable {
        let value = Mutex(0)
    }

    private func transfer(_ pointer: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(pointer!).takeUnretainedValue()
    }

    private let curlWrite: kr_curl_data_callback = { buffer, size, count, userdata in
        let total = size * count
        guard let buffer else { return total }
        return transfer(userdata).receiveBody(UnsafeRawBufferPointer(start: buffer, count: total)) ? total : 0
    }

    private let curlHeader: kr_curl_data_callback = { buffer, size, count, userdata in
        let total = size * count
        guard let buffer else { return total }
        let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: total), as: UTF8.self)
        return transfer(userdata).receiveHeader(line) ? total : 0
    }

    private let curlPrerequest: curl_prereq_callback = { userdata, _, _, _, _ in
        transfer(userdata).willSend() ? Int32(CURL_PREREQFUNC_OK) : Int32(CURL_PREREQFUNC_ABORT)
    }
#endif
