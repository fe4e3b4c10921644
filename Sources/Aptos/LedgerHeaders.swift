public import KeyRotation
public import KeyRotationHTTP

/// The `X-Aptos-*` headers a node sends with every response, errors included.
///
/// Names match in any case (Nodit writes `X-APTOS-…`); a missing or malformed value is `nil`, never an error.
public struct LedgerHeaders: Hashable, Sendable {
    /// `X-Aptos-Chain-Id`: 1 on mainnet, 2 on testnet.
    public var chainID: Int?
    /// `X-Aptos-Ledger-Version`: the latest committed version.
    public var ledgerVersion: UInt64?
    /// `X-Aptos-Ledger-Oldest-Version`: the oldest version the node still holds.
    public var oldestLedgerVersion: UInt64?
    /// `X-Aptos-Ledger-TimestampUsec`: the ledger's time, in microseconds since the Unix epoch.
    public var ledgerTimestampMicroseconds: UInt64?
    /// `X-Aptos-Epoch`.
    public var epoch: UInt64?
    /// `X-Aptos-Block-Height`: the latest block.
    public var blockHeight: UInt64?
    /// `X-Aptos-Oldest-Block-Height`: the oldest block the node still holds.
    public var oldestBlockHeight: UInt64?
    /// `X-Aptos-Cursor`: the `start` of the next page of a state list; `nil` on the last page.
    public var cursor: String?
    /// `X-Aptos-Gas-Used`: gas a `/view` call used.
    public var gasUsed: UInt64?

    /// Creates headers from their values; every field defaults to `nil`.
    public init(
        chainID: Int? = nil,
        ledgerVersion: UInt64? = nil,
        oldestLedgerVersion: UInt64? = nil,
        ledgerTimestampMicroseconds: UInt64? = nil,
        epoch: UInt64? = nil,
        blockHeight: UInt64? = nil,
        oldestBlockHeight: UInt64? = nil,
        cursor: String? = nil,
        gasUsed: UInt64? = nil
    ) {
        self.chainID = chainID
        self.ledgerVersion = ledgerVersion
        self.oldestLedgerVersion = oldestLedgerVersion
        self.ledgerTimestampMicroseconds = ledgerTimestampMicroseconds
        self.epoch = epoch
        self.blockHeight = blockHeight
        self.oldestBlockHeight = oldestBlockHeight
        self.cursor = cursor
        self.gasUsed = gasUsed
    }

    /// Reads the `X-Aptos-*` fields of `headers`.
    public init(_ headers: HTTPHeaders) {
        func number(_ name: String) -> UInt64? {
            guard let value = headers[name] else { return nil }
            return UInt64(value.trimmingASCIIWhitespace())
        }
        self.chainID = headers["X-Aptos-Chain-Id"].flatMap { Int($0.trimmingASCIIWhitespace()) }
        self.ledgerVersion = number("X-Aptos-Ledger-Version")
        self.oldestLedgerVersion = number("X-Aptos-Ledger-Oldest-Version")
        self.ledgerTimestampMicroseconds = number("X-Aptos-Ledger-TimestampUsec")
        self.epoch = number("X-Aptos-Epoch")
        self.blockHeight = number("X-Aptos-Block-Height")
        self.oldestBlockHeight = number("X-Aptos-Oldest-Block-Height")
        let cursor = headers["X-Aptos-Cursor"]?.trimmingASCIIWhitespace()
        self.cursor = cursor?.isEmpty == false ? cursor : nil
        self.gasUsed = number("X-Aptos-Gas-Used")
    }

    /// Reads the `X-Aptos-*` fields of a response.
    public init(_ response: HTTPResponse) {
        self.init(response.headers)
    }

    /// The ledger's time as a ``Timestamp``, if the header was there and in range.
    public var ledgerTimestamp: Timestamp? {
        guard let micros = self.ledgerTimestampMicroseconds else { return nil }
        let (nanos, overflow) = Int64(clamping: micros).multipliedReportingOverflow(by: 1000)
        return overflow ? nil : Timestamp(nanosecondsSinceEpoch: nanos)
    }

    /// Whether no `X-Aptos-*` header was present (a gateway's answer, not a node's).
    public var isEmpty: Bool { self == LedgerHeaders() }
}

extension String {
    package func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = self.lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
