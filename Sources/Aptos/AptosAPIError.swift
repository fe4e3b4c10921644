public import Foundation
public import KeyRotationHTTP

/// An error the Aptos node API answered with: its `error_code` kept as sent, the message and the context a caller
/// needs (status, ledger headers, and for pruned data the oldest version still held and the archival endpoint).
public struct AptosAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The node's `error_code`, kept as sent; known codes are static members.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The code as the node sent it.
        public let rawValue: String

        /// Creates a code from its text.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `account_not_found`.
        public static let accountNotFound = Self(rawValue: "account_not_found")
        /// `resource_not_found`.
        public static let resourceNotFound = Self(rawValue: "resource_not_found")
        /// `module_not_found`.
        public static let moduleNotFound = Self(rawValue: "module_not_found")
        /// `transaction_not_found`.
        public static let transactionNotFound = Self(rawValue: "transaction_not_found")
        /// `block_not_found`.
        public static let blockNotFound = Self(rawValue: "block_not_found")
        /// `version_not_found`.
        public static let versionNotFound = Self(rawValue: "version_not_found")
        /// `table_item_not_found`.
        public static let tableItemNotFound = Self(rawValue: "table_item_not_found")
        /// `version_pruned`: the ledger version is below the node's oldest.
        public static let versionPruned = Self(rawValue: "version_pruned")
        /// `block_pruned`: the block is below the node's oldest.
        public static let blockPruned = Self(rawValue: "block_pruned")
        /// `invalid_input`: a parameter is wrong.
        public static let invalidInput = Self(rawValue: "invalid_input")
        /// `internal_error`.
        public static let internalError = Self(rawValue: "internal_error")
        /// `mempool_is_full`: retry later.
        public static let mempoolIsFull = Self(rawValue: "mempool_is_full")
        /// `rate_limited`.
        public static let rateLimited = Self(rawValue: "rate_limited")
        /// `api_disabled`: the node does not serve this endpoint.
        public static let apiDisabled = Self(rawValue: "api_disabled")

        /// Whether the code is one of the `*_not_found` codes.
        public var isNotFound: Bool { self.rawValue.hasSuffix("_not_found") }

        public var description: String { self.rawValue }
    }

    /// The node's `error_code`.
    public var code: Code
    /// The node's message.
    public var message: String
    /// The HTTP status it came with.
    public var status: Int
    /// The Move VM's error code, if any.
    public var vmErrorCode: Int?
    /// The node's hint, if any (newer pruning errors).
    public var hint: String?
    /// For pruned data: the oldest ledger version the node holds, from the body or else from
    /// `X-Aptos-Ledger-Oldest-Version`.
    public var oldestLedgerVersion: UInt64?
    /// For pruned data on newer nodes: where full history can be read.
    public var archivalEndpoint: URL?
    /// The `X-Aptos-*` headers of the response.
    public var ledger: LedgerHeaders
    /// Whether the answer came from the archival endpoint a pruned answer named
    /// (``AptosClient/Configuration/followsArchivalEndpoint``): full history was asked for, and this is its answer.
    public var isFromArchivalEndpoint = false

    /// Creates an error from a decoded body and the response's headers.
    public init(status: Int, body: AptosError, headers: HTTPHeaders = [:]) {
        let ledger = LedgerHeaders(headers)
        self.code = Code(rawValue: body.errorCode)
        self.message = body.message
        self.status = status
        self.vmErrorCode = body.vmErrorCode
        self.hint = body.hint
        self.oldestLedgerVersion = body.oldestLedgerVersion ?? ledger.oldestLedgerVersion
        self.archivalEndpoint = body.archivalEndpoint.flatMap { text in
            URL(string: text).flatMap { $0.scheme == "https" || $0.scheme == "http" ? $0 : nil }
        }
        self.ledger = ledger
        self.isPrunedBody = body.isPruned
    }

    /// The error a response carries, or `nil` when its body is not an AptosError (a gateway's plain-text 429 or
    /// 401, or a success).
    public init?(response: HTTPResponse) {
        guard !(200..<300).contains(response.status), let body = AptosError(body: response.body) else { return nil }
        self.init(status: response.status, body: body, headers: response.headers)
    }

    private var isPrunedBody: Bool

    /// Whether the node no longer holds the data (`*_pruned`, a 410, or an `internal_error` saying "is pruned").
    public var isPruned: Bool { self.isPrunedBody || self.status == 410 }

    /// Whether the answer means "no such thing" (`*_not_found`).
    public var isNotFound: Bool { self.code.isNotFound }

    public var description: String {
        var text = "Aptos node error \(self.code) (HTTP \(self.status)): \(self.message)"
        if let vmErrorCode { text += " [vm_error_code \(vmErrorCode)]" }
        if self.isPruned {
            if let oldestLedgerVersion { text += "; the oldest version this node holds is \(oldestLedgerVersion)" }
            if self.isFromArchivalEndpoint {
                text += "; this was the archival endpoint's answer (asked after the node said it pruned the data)"
            } else if let archivalEndpoint {
                text += "; full history: \(archivalEndpoint.absoluteString)"
            }
        }
        return text
    }
}
