import Foundation
import KeyRotation
import KeyRotationHTTP

/// The state of the simulated chain at one instant, for headers and bodies.
struct SimulatedLedgerSnapshot: Sendable {
    var chainID: Int
    var headVersion: UInt64
    var oldestVersion: UInt64
    var versionsPerBlock: UInt64
    var epoch: UInt64
    /// Microseconds since the epoch of version `anchorVersion`; other versions are spaced `microsPerVersion`.
    var anchorVersion: UInt64
    var anchorMicroseconds: Int64
    var microsecondsPerVersion: Int64

    func timestampMicroseconds(of version: UInt64) -> Int64 {
        let offset = Int64(bitPattern: version &- self.anchorVersion)
        return max(0, self.anchorMicroseconds &+ offset &* self.microsecondsPerVersion)
    }

    func blockHeight(of version: UInt64) -> UInt64 { version / self.versionsPerBlock }
}

/// Every fixture, read once per process (a global `let` is initialised lazily and thread-safely).
private let simulatedProviderFixtures: [String: Data] = {
    var fixtures: [String: Data] = [:]
    for name in (try? Fixture.names(prefix: "")) ?? [] {
        fixtures[name] = try? Fixture.data(name)
    }
    return fixtures
}()

/// Builds the flavour's answers: pure functions of the request, the ledger and the fixtures, free of state.
struct SimulatedResponder: Sendable {
    let flavour: SimulatedFlavour
    let unknownResources: Set<String>
    let fixtures: [String: Data]

    init(flavour: SimulatedFlavour, unknownResources: Set<String>) {
        self.flavour = flavour
        self.unknownResources = unknownResources
        let prefixes = flavour.wrapped == .virusTotal ? ["vt_"] : ["aptos_", "nodit_"]
        self.fixtures = simulatedProviderFixtures.filter { name, _ in prefixes.contains { name.hasPrefix($0) } }
    }

    // MARK: Error answers shared by every route

    /// No key where the flavour requires one.
    func missingKey() -> HTTPResponse {
        switch self.flavour.wrapped {
        case .virusTotal: self.fixture("vt_error_auth_required", status: 401)
        case .aptos: Self.text(401, "API key not found")
        case .nodit: self.fixture("nodit_error_no_auth", status: 401)
        }
    }

    /// A key the provider refuses.
    func invalidKey() -> HTTPResponse {
        switch self.flavour.wrapped {
        case .virusTotal: self.fixture("vt_error_wrongcreds", status: 401)
        case .aptos: Self.text(401, "API key not found")
        case .nodit: self.fixture("nodit_error_auth_failed", status: 401)
        }
    }

    /// A 429, with `Retry-After` in whole seconds when `retryAfterSeconds` is given.
    func rateLimited(isQuota: Bool, retryAfterSeconds: Int64?) -> HTTPResponse {
        var response: HTTPResponse
        switch self.flavour.wrapped {
        case .virusTotal:
            response = self.fixture("vt_error_quota", status: 429)
        case .aptos:
            response = Self.text(
                429,
                "Per anonymous IP rate limit exceeded. Limit: 50000 compute units per 300 seconds window."
            )
        case .nodit:
            response = self.fixture(
                isQuota ? "nodit_error_quota_exceeded" : "nodit_error_too_many_requests",
                status: 429
            )
        }
        if let retryAfterSeconds {
            response.headers.replaceOrAdd(name: "Retry-After", value: String(retryAfterSeconds))
        }
        return response
    }

    /// An injected server failure.
    func failure(status: Int) -> HTTPResponse {
        switch self.flavour.wrapped {
        case .virusTotal:
            if status == 503 { return self.fixture("vt_error_transient", status: status) }
            return Self.json(status, ["error": ["code": "TransientError", "message": "Simulated failure"]])
        case .aptos:
            return Self.aptosError(status, "internal_error", "Simulated internal error")
        case .nodit:
            return Self.json(
                status,
                ["code": status == 503 ? "UNAVAILABLE" : "INTERNAL_SERVER_ERROR", "message": "Simulated failure"]
            )
        }
    }

    /// A redirect the SDK must not follow.
    func redirect(to location: String) -> HTTPResponse {
        HTTPResponse(status: 302, headers: ["Location": location, "Content-Length": "0"])
    }

    /// A 200 whose JSON is cut short.
    func malformed() -> HTTPResponse {
        HTTPResponse(status: 200, headers: Self.jsonHeaders, body: Data(#"{"data": {"id": "trunc"#.utf8))
    }

    /// A 200 of `bytes` bytes (a JSON string of spaces).
    func oversized(bytes: Int) -> HTTPResponse {
        var body = Data(repeating: UInt8(ascii: " "), count: max(bytes, 2))
        body[body.startIndex] = UInt8(ascii: "\"")
        body[body.index(before: body.endIndex)] = UInt8(ascii: "\"")
        return HTTPResponse(status: 200, headers: Self.jsonHeaders, body: body)
    }

    /// Adds the node API's ledger headers (`X-Aptos-*`; Nodit spells them `X-APTOS-*`).
    func addLedgerHeaders(to response: inout HTTPResponse, ledger: SimulatedLedgerSnapshot) {
        let prefix = self.flavour.wrapped == .nodit ? "X-APTOS-" : "X-Aptos-"
        let fields: [(String, String)] = [
            ("Chain-Id", String(ledger.chainID)),
            ("Ledger-Version", String(ledger.headVersion)),
            ("Ledger-Oldest-Version", String(ledger.oldestVersion)),
            ("Ledger-TimestampUsec", String(ledger.timestampMicroseconds(of: ledger.headVersion))),
            ("Epoch", String(ledger.epoch)),
            ("Block-Height", String(ledger.blockHeight(of: ledger.headVersion))),
            ("Oldest-Block-Height", String(ledger.blockHeight(of: ledger.oldestVersion))),
        ]
        for (name, value) in fields { response.headers.replaceOrAdd(name: prefix + name, value: value) }
    }

    /// Whether `path` (key removed) is on the node API, whose answers carry the ledger headers.
    func isNodePath(_ path: String) -> Bool {
        switch self.flavour.wrapped {
        case .virusTotal: false
        case .aptos: true
        case .nodit: !path.hasPrefix("/v1/aptos/") && path != "/v1/graphql"
        }
    }

    // MARK: Served answers

    /// The normal answer to a request that passed authentication, faults and limits.
    func serve(_ request: HTTPRequest, path: String, ledger: SimulatedLedgerSnapshot) -> HTTPResponse {
        switch self.flavour.wrapped {
        case .virusTotal:
            return self.serveVirusTotal(path: path)
        case .aptos:
            return self.serveNode(request, path: path, ledger: ledger)
        case .nodit:
            if path.hasPrefix("/v1/aptos/") { return self.serveWeb3(request, path: path) }
            if path == "/v1/graphql" {
                guard request.method == .post else { return Self.noditError(405, "METHOD_NOT_ALLOWED") }
                return self.fixture("nodit_indexer_graphql_balances", status: 200)
            }
            return self.serveNode(request, path: path, ledger: ledger)
        }
    }

    private func isUnknown(_ candidates: String...) -> Bool {
        candidates.contains { self.unknownResources.contains($0) }
    }

    private func serveVirusTotal(path fullPath: String) -> HTTPResponse {
        var path = fullPath
        if let range = path.range(of: "/api/v3") { path = String(path[range.upperBound...]) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count >= 2 else { return self.vtNotFound(kind: "Resource", id: path) }
        let id = segments[1]
        let kinds: [String: (fixture: String, name: String)] = [
            "files": ("vt_file", "File"),
            "domains": ("vt_domain", "Domain"),
            "ip_addresses": ("vt_ip", "IP address"),
            "urls": ("vt_url", "URL"),
        ]
        if segments[0] == "users", segments.count == 3, segments[2] == "overall_quotas" {
            return self.fixture("vt_user_overall_quotas", status: 200)
        }
        guard segments.count == 2, let kind = kinds[segments[0]] else {
            return self.vtNotFound(kind: "Resource", id: path)
        }
        if self.isUnknown(id, path) { return self.vtNotFound(kind: kind.name, id: id) }
        var response = self.fixture(kind.fixture, status: 200)
        if segments[0] == "domains" || segments[0] == "ip_addresses" {
            let original = segments[0] == "domains" ? "example.com" : "8.8.8.8"
            let text = String(decoding: response.body, as: UTF8.self)
                .replacingOccurrences(of: "\"id\": \"\(original)\"", with: "\"id\": \"\(Self.jsonEscaped(id))\"")
                .replacingOccurrences(
                    of: "/\(segments[0])/\(original)\"",
                    with: "/\(segments[0])/\(Self.jsonEscaped(id))\""
                )
            response.body = Data(text.utf8)
        }
        return response
    }

    private func vtNotFound(kind: String, id: String) -> HTTPResponse {
        Self.json(404, ["error": ["code": "NotFoundError", "message": "\(kind) \"\(id)\" not found"]])
    }

    private func serveNode(
        _ request: HTTPRequest,
        path fullPath: String,
        ledger: SimulatedLedgerSnapshot
    ) -> HTTPResponse {
        guard fullPath == "/v1" || fullPath.hasPrefix("/v1/") else {
            return Self.aptosError(404, "web_framework_error", "Not Found: \(fullPath)")
        }
        let path = String(fullPath.dropFirst(3))
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let query = Self.query(of: request.url)
        let notFound = Self.aptosError(404, "web_framework_error", "Not Found: \(fullPath)")
        if self.unknownResources.contains(path) || self.unknownResources.contains(fullPath) {
            return self.aptosNotFound(segments: segments, path: path)
        }
        switch (request.method, segments.first) {
        case (.get, nil):
            return self.ledgerInfo(ledger)
        case (.get, "-") where segments == ["-", "healthy"]:
            return Self.json(200, ["message": "aptos-node:ok"])
        case (.get, "transactions"):
            if segments.count == 1 { return self.transactions(query: query, ledger: ledger) }
            guard segments.count == 3 else { return notFound }
            switch segments[1] {
            case "by_version":
                guard let version = UInt64(segments[2]) else {
                    return Self.aptosError(400, "invalid_input", "Invalid version: \(segments[2])")
                }
                if version < ledger.oldestVersion { return Self.pruned(version) }
                if version > ledger.headVersion {
                    return Self.aptosError(
                        404,
                        "transaction_not_found",
                        "Transaction not found by Ledger version(\(version))"
                    )
                }
                return Self.json(200, raw: Self.transactionJSON(version: version, ledger: ledger))
            case "by_hash", "wait_by_hash":
                if self.isUnknown(segments[2]) { return self.fixture("aptos_error_transaction_not_found", status: 404) }
                return self.fixture("aptos_transaction_user", status: 200)
            default:
                return notFound
            }
        case (.get, "accounts"):
            guard segments.count >= 2 else { return notFound }
            let address = segments[1]
            if self.isUnknown(address) { return self.aptosNotFound(segments: segments, path: path) }
            switch segments.count {
            case 2: return self.fixture("aptos_account", status: 200)
            case 3 where segments[2] == "resources": return self.fixture("aptos_account_resources", status: 200)
            case 3 where segments[2] == "transactions": return self.fixture("aptos_transactions", status: 200)
            case 4 where segments[2] == "resource":
                let tag = segments[3].removingPercentEncoding ?? segments[3]
                if self.isUnknown(segments[3], tag) {
                    return self.fixture("aptos_error_resource_not_found", status: 404)
                }
                return self.fixture("aptos_account_resource", status: 200)
            case 4...5 where segments[2] == "events": return self.fixture("aptos_events", status: 200)
            default: return notFound
            }
        case (.get, "blocks"):
            guard segments.count == 3, ["by_height", "by_version"].contains(segments[1]) else { return notFound }
            if self.isUnknown(segments[2]) {
                return Self.aptosError(404, "block_not_found", "Block not found by \(segments[1])(\(segments[2]))")
            }
            let withTransactions = query["with_transactions"] == "true"
            return self.fixture(withTransactions ? "aptos_block" : "aptos_block_no_txns", status: 200)
        case (.get, "estimate_gas_price") where segments.count == 1:
            return self.fixture("aptos_estimate_gas_price", status: 200)
        case (.post, "view") where segments.count == 1:
            return self.fixture("aptos_view", status: 200)
        default:
            return notFound
        }
    }

    private func aptosNotFound(segments: [String], path: String) -> HTTPResponse {
        switch segments.first {
        case "accounts" where segments.count >= 4 && segments[2] == "resource":
            return self.fixture("aptos_error_resource_not_found", status: 404)
        case "accounts":
            return self.fixture("aptos_error_account_not_found", status: 404)
        case "transactions":
            return self.fixture("aptos_error_transaction_not_found", status: 404)
        case "blocks":
            return Self.aptosError(404, "block_not_found", "Block not found: \(path)")
        default:
            return Self.aptosError(404, "resource_not_found", "Not found: \(path)")
        }
    }

    private func ledgerInfo(_ ledger: SimulatedLedgerSnapshot) -> HTTPResponse {
        var object: [String: Any] = [:]
        if let data = self.fixtures["aptos_ledger_info"],
            let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            object = parsed
        }
        object["chain_id"] = ledger.chainID
        object["epoch"] = String(ledger.epoch)
        object["ledger_version"] = String(ledger.headVersion)
        object["oldest_ledger_version"] = String(ledger.oldestVersion)
        object["ledger_timestamp"] = String(ledger.timestampMicroseconds(of: ledger.headVersion))
        object["block_height"] = String(ledger.blockHeight(of: ledger.headVersion))
        object["oldest_block_height"] = String(ledger.blockHeight(of: ledger.oldestVersion))
        object["node_role"] = object["node_role"] ?? "full_node"
        return Self.json(200, object)
    }

    private func transactions(query: [String: String], ledger: SimulatedLedgerSnapshot) -> HTTPResponse {
        var limit: UInt64 = 25
        if let text = query["limit"] {
            guard let parsed = UInt64(text) else {
                return Self.aptosError(400, "invalid_input", "Invalid limit: \(text)")
            }
            if parsed == 0 { return self.fixture("aptos_error_invalid_input", status: 400) }
            limit = min(parsed, 100)
        }
        let start: UInt64
        if let text = query["start"] {
            guard let parsed = UInt64(text) else {
                return Self.aptosError(400, "invalid_input", "Invalid start: \(text)")
            }
            start = parsed
        } else {
            start = max(ledger.oldestVersion, ledger.headVersion >= limit - 1 ? ledger.headVersion - (limit - 1) : 0)
        }
        if start < ledger.oldestVersion { return Self.pruned(start) }
        if start > ledger.headVersion {
            return Self.aptosError(
                400,
                "invalid_input",
                "Given start version \(start) is higher than the current ledger version \(ledger.headVersion)"
            )
        }
        let end = min(ledger.headVersion, start + limit - 1)
        var body = "["
        for version in start...end {
            if version != start { body += "," }
            body += Self.transactionJSON(version: version, ledger: ledger)
        }
        body += "]"
        return Self.json(200, raw: body)
    }

    private static func pruned(_ version: UInt64) -> HTTPResponse {
        Self.aptosError(410, "version_pruned", "Ledger version(\(version)) has been pruned")
    }

    /// A synthetic transaction: block metadata at the first version of each block, user transactions otherwise.
    static func transactionJSON(version: UInt64, ledger: SimulatedLedgerSnapshot) -> String {
        var random = SplitMix64(seed: version)
        func hex(_ words: Int) -> String {
            "0x" + (0..<words).map { _ in Self.hex64(random.next()) }.joined()
        }
        let hash = hex(4)
        let timestamp = ledger.timestampMicroseconds(of: version)
        let common = """
            "version":"\(version)","hash":"\(hash)","state_change_hash":"\(hex(4))",\
            "event_root_hash":"\(hex(4))","state_checkpoint_hash":null,\
            "accumulator_root_hash":"\(hex(4))","success":true,"vm_status":"Executed successfully",\
            "changes":[],"events":[],"timestamp":"\(timestamp)"
            """
        if version % ledger.versionsPerBlock == 0 {
            let height = ledger.blockHeight(of: version)
            return """
                {\(common),"gas_used":"0","id":"\(hex(4))","epoch":"\(ledger.epoch)","round":"\(height % 100_000)",\
                "previous_block_votes_bitvec":[],"proposer":"\(hex(4))","failed_proposer_indices":[],\
                "type":"block_metadata_transaction"}
                """
        }
        let gasUsed = 5 + random.next() % 200
        let sender = hex(4)
        let sequenceNumber = random.next() % 10_000
        let expiration = timestamp / 1_000_000 + 600
        return """
            {\(common),"gas_used":"\(gasUsed)","sender":"\(sender)","sequence_number":"\(sequenceNumber)",\
            "max_gas_amount":"200000","gas_unit_price":"100","expiration_timestamp_secs":"\(expiration)",\
            "payload":{"function":"0x1::aptos_account::transfer","type_arguments":[],\
            "arguments":["\(hex(4))","\(1 + random.next() % 1_000_000_000)"],"type":"entry_function_payload"},\
            "signature":{"public_key":"\(hex(4))","signature":"\(hex(8))","type":"ed25519_signature"},\
            "type":"user_transaction"}
            """
    }

    private func serveWeb3(_ request: HTTPRequest, path: String) -> HTTPResponse {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // ["v1", "aptos", network, group, operation]
        guard segments.count == 5, ["mainnet", "testnet"].contains(segments[2]) else {
            return self.fixture("nodit_error_wrong_endpoint", status: 404)
        }
        guard request.method == .post else { return Self.noditError(405, "METHOD_NOT_ALLOWED") }
        let operations: [String: String] = [
            "blockchain/getTransactionsByAccount": "nodit_web3_transactions_by_account",
            "blockchain/getBlockByHashOrNumber": "nodit_web3_block_by_hash_or_number",
            "token/getTokenBalanceChangesByAccount": "nodit_web3_token_balance_changes_by_account",
            "token/getTokensOwnedByAccount": "nodit_web3_tokens_owned_by_account",
        ]
        guard let name = operations[segments[3] + "/" + segments[4]] else {
            return self.fixture("nodit_error_wrong_endpoint", status: 404)
        }
        guard let body = request.body, (try? JSONSerialization.jsonObject(with: body)) is [String: Any] else {
            return self.fixture("nodit_error_invalid_parameter", status: 400)
        }
        return self.fixture(name, status: 200)
    }

    // MARK: Building blocks

    private static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]

    private func fixture(_ name: String, status: Int) -> HTTPResponse {
        guard let data = self.fixtures[name] else {
            return Self.text(500, "SimulatedProvider: fixture \(name).json is missing from Tests/Fixtures")
        }
        return HTTPResponse(status: status, headers: Self.jsonHeaders, body: data)
    }

    private static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Data(text.utf8))
    }

    private static func json(_ status: Int, _ object: Any) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: status, headers: Self.jsonHeaders, body: data)
    }

    private static func json(_ status: Int, raw: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: Self.jsonHeaders, body: Data(raw.utf8))
    }

    private static func aptosError(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        Self.json(status, ["message": message, "error_code": code, "vm_error_code": NSNull()])
    }

    private static func noditError(_ status: Int, _ code: String) -> HTTPResponse {
        Self.json(status, ["code": code, "message": code.lowercased().replacingOccurrences(of: "_", with: " ")])
    }

    private static func query(of url: URL) -> [String: String] {
        var result: [String: String] = [:]
        for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [] {
            result[item.name] = item.value ?? ""
        }
        return result
    }

    private static func jsonEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    private static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
