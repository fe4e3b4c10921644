public import Foundation

/// The error body of the Aptos node API: `{"message", "error_code", "vm_error_code"}`.
///
/// Newer nodes add `hint`, `oldest_ledger_version` and `archival_endpoint` to pruning errors. This is the wire
/// model; the SDK throws ``AptosAPIError``.
public struct AptosError: Decodable, Hashable, Sendable {
    /// The machine-readable code (`account_not_found`, `version_pruned`, `invalid_input`, …), kept as sent.
    public var errorCode: String
    /// The node's message.
    public var message: String
    /// The Move VM's error code, when the error came from the VM.
    public var vmErrorCode: Int?
    /// A hint for a person (newer pruning errors).
    public var hint: String?
    /// The oldest ledger version the node holds (newer pruning errors).
    public var oldestLedgerVersion: UInt64?
    /// Where full history can be read (newer pruning errors), as sent.
    public var archivalEndpoint: String?

    /// Creates an error body.
    public init(
        errorCode: String,
        message: String,
        vmErrorCode: Int? = nil,
        hint: String? = nil,
        oldestLedgerVersion: UInt64? = nil,
        archivalEndpoint: String? = nil
    ) {
        self.errorCode = errorCode
        self.message = message
        self.vmErrorCode = vmErrorCode
        self.hint = hint
        self.oldestLedgerVersion = oldestLedgerVersion
        self.archivalEndpoint = archivalEndpoint
    }

    private enum CodingKeys: String, CodingKey {
        case errorCode = "error_code", message, vmErrorCode = "vm_error_code", hint
        case oldestLedgerVersion = "oldest_ledger_version", archivalEndpoint = "archival_endpoint"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.errorCode = try container.decode(String.self, forKey: .errorCode)
        self.message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        self.vmErrorCode = try? container.decodeIntIfPresent(forKey: .vmErrorCode)
        self.hint = try? container.decodeIfPresent(String.self, forKey: .hint)
        self.oldestLedgerVersion = try? container.decodeUInt64IfPresent(forKey: .oldestLedgerVersion)
        self.archivalEndpoint = try? container.decodeIfPresent(String.self, forKey: .archivalEndpoint)
    }

    /// Decodes `body` if it is an AptosError (a JSON object with a string `error_code`), else `nil`.
    public init?(body: Data) {
        guard body.first(where: { !Self.isJSONWhitespace($0) }) == UInt8(ascii: "{"),
            let error = try? JSONDecoder().decode(Self.self, from: body)
        else { return nil }
        self = error
    }

    /// Whether the error says the data was pruned: a `*_pruned` code, or an `internal_error` whose message says
    /// "is pruned" (what some nodes, Nodit's among them, answer for reads below the pruning horizon).
    public var isPruned: Bool {
        self.errorCode.hasSuffix("_pruned")
            || (self.errorCode == "internal_error" && self.message.localizedCaseInsensitiveContains("is pruned"))
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
