#if canImport(CCurl)
    import CCurl
    import Foundation

    /// Maps a finished curl transfer to a response or a ``TransportError`` whose message names only the host.
    enum CurlOutcome {
        static func result(of transfer: CurlTransfer, code: CURLcode) -> Result<HTTPResponse, TransportError> {
            if let failure = transfer.failure { return .failure(failure) }
            if code == CURLE_OK {
                return .success(HTTPResponse(status: transfer.status, headers: transfer.headers, body: transfer.body))
            }
            let sent = transfer.sendCount > 0
            return .failure(self.error(code, host: transfer.host, policy: transfer.policy, sent: sent))
        }

        static func error(_ code: CURLcode, host: String, policy: TransportPolicy, sent: Bool) -> TransportError {
            let reason = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_OPERATION_TIMEDOUT where !sent:
                return TransportError(
                    .connectTimeout,
                    "could not connect to \(host) within \(policy.connectTimeout) (connectTimeout; nothing was sent): "
                        + "check the network or the host, or raise connectTimeout",
                    requestMayHaveBeenSent: false
                )
            case CURLE_OPERATION_TIMEDOUT:
                return TransportError(
                    .timeout,
                    "the exchange with \(host) took longer than \(policy.totalTimeout) (totalTimeout): retry later "
                        + "or raise totalTimeout"
                )
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                return TransportError(
                    .connectionFailed,
                    "could not connect to \(host) (\(reason)): check the host and the network",
                    requestMayHaveBeenSent: sent
                )
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
                CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
                return TransportError(
                    .connectionFailed,
                    "the TLS handshake with \(host) failed (\(reason)): check the host's certificate",
                    requestMayHaveBeenSent: sent
                )
            case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2_STREAM:
                return TransportError(
                    .connectionReset,
                    "the connection to \(host) broke before the response was complete (\(reason)): retry",
                    requestMayHaveBeenSent: sent
                )
            case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING, CURLE_HTTP2:
                return TransportError(
                    .connectionFailed,
                    "\(host) sent a reply that is not valid HTTP (\(reason)): retry, or check the host",
                    requestMayHaveBeenSent: sent
                )
            default:
                return TransportError(
                    .connectionFailed,
                    "the exchange with \(host) failed (curl error \(code.rawValue): \(reason)): retry",
                    requestMayHaveBeenSent: sent
                )
            }
        }
    }
#endif
