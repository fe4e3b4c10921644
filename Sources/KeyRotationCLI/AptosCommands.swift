import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import Nodit

extension CommandGroup {
    /// `keyrotation aptos …`: the Aptos node API over Aptos Labs and Nodit.
    static let aptos = CommandGroup(
        name: "aptos",
        summary: "Aptos node API: ledger, accounts, transactions, a resumable transaction stream",
        commands: [
            AptosLedgerCommand(), AptosAccountCommand(), AptosResourcesCommand(), AptosTransactionsCommand(),
            AptosStreamCommand(),
        ],
        discussion: """
            Requests go to Aptos Labs (APTOS_API_KEYS, optional: without keys the per-IP limits apply) and/or \
            Nodit (NODIT_API_KEYS). --via auto (default) prefers Nodit when Nodit keys are set and fails over to \
            Aptos Labs when Nodit's keys are limited or it fails. APTOS_BASE_URL and NODIT_BASE_URL override the \
            base URLs (https; plain http only for loopback hosts). Keys have no limits by default (the pools pace \
            themselves after a 429); --key-rate gives each key's limits, in both pools, e.g. \
            keyrotation aptos ledger --key-rate 5/s or --key-rate 50000/300s. With limits in compute units, \
            APTOS_REQUEST_COST and NODIT_REQUEST_COST say what one request costs (default 1).
            """
    )
}

// MARK: Shared options and parsing

extension OptionSpec {
    /// `--network mainnet|testnet|devnet`.
    static let aptosNetwork = OptionSpec.choice(
        "network",
        AptosNetwork.all.map(\.name),
        help: "The network (default mainnet)"
    )
    /// `--via aptos|nodit|auto`.
    static let aptosVia = OptionSpec.choice(
        "via",
        ["aptos", "nodit", "auto"],
        help: "Which node API: Aptos Labs, Nodit, or Nodit first when its keys are set (default auto)"
    )
    /// `--archival`.
    static let aptosArchival = OptionSpec.flag(
        "archival",
        help: "When the node has pruned the data and names an archival endpoint on its own site, ask there once"
    )
}

/// Parsing of the values Aptos commands take: all checked before anything is sent.
enum AptosArguments {
    /// The address argument, normalised to its long form.
    static func address(_ text: String?) throws(UsageError) -> AptosAddress {
        guard let text else { throw UsageError("missing argument ADDR (0x followed by 1 to 64 hex digits)") }
        do { return try AptosAddress(parsing: text) } catch {
            throw UsageError((error as? AptosUsageError)?.message ?? "\(error)")
        }
    }

    /// A ledger version option (`--start`, `--from`, `--to`): a decimal u64.
    static func version(_ text: String?, option: String) throws(UsageError) -> UInt64? {
        guard let text else { return nil }
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let version = UInt64(text) else {
            throw UsageError("option --\(option): '\(text)' is not a ledger version (a whole number from 0)")
        }
        return version
    }

    /// `--network`, default mainnet.
    static func network(_ invocation: Invocation) throws(UsageError) -> AptosNetwork {
        guard let name = invocation.arguments.value("network") else { return .mainnet }
        do { return try AptosNetwork(parsing: name) } catch {
            throw UsageError((error as? AptosUsageError)?.message ?? "\(error)")
        }
    }

    /// A base URL from the environment: https, or http to a loopback host.
    static func baseURL(_ invocation: Invocation, variable: String) throws(UsageError) -> URL? {
        guard let text = invocation.environment[variable] else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
            scheme == "https" || (scheme == "http" && TransportPolicy.isLoopback(host: host))
        else {
            throw UsageError("\(variable) must be an https URL (plain http only for loopback hosts), got '\(text)'")
        }
        return url
    }
}

/// The client an Aptos command talks through, built from the options and the environment.
struct AptosCommandContext {
    let network: AptosNetwork
    let client: AptosClient<ContinuousClock>

    /// Builds the endpoints for `--via` and `--network`.
    ///
    /// - Throws: ``UsageError`` (exit 2) for a bad base URL or a network Nodit does not serve;
    ///   ``CLIError`` (exit 3) for `--via nodit` without Nodit keys.
    init(_ invocation: Invocation) throws {
        let network = try AptosArguments.network(invocation)
        let via = invocation.arguments.value("via") ?? "auto"
        let aptosURL = try AptosArguments.baseURL(invocation, variable: CLIProvider.aptos.baseURLVariable)
        let noditURL = try AptosArguments.baseURL(invocation, variable: CLIProvider.nodit.baseURLVariable)
        let store = try invocation.stateStore()
        let noditCost = try invocation.requestCost(for: .nodit)
        let noditKeys =
            KeySource.variables(invocation.environment.variables, prefix: CLIProvider.nodit.keyPrefix)
                .secrets().isEmpty ? nil : try invocation.keys(for: .nodit)
        let aptosKeys =
            KeySource.variables(invocation.environment.variables, prefix: CLIProvider.aptos.keyPrefix)
                .secrets().isEmpty ? nil : try invocation.keys(for: .aptos)

        func nodit(required: Bool) throws -> AptosEndpoint<ContinuousClock>? {
            guard let keys = noditKeys else {
                if required {
                    throw CLIError.noUsableKey(
                        "no Nodit API key: set \(CLIProvider.nodit.keyVariables) (for example NODIT_API_KEYS=key1,key2)"
                    )
                }
                return nil
            }
            let rotator = invocation.makeRotator(keys: keys, provider: .nodit, store: store)
            guard var endpoint = AptosEndpoint.nodit(network: network, baseURL: noditURL, rotator: rotator) else {
                if required {
                    throw UsageError("Nodit does not serve \(network): use --via aptos, or set NODIT_BASE_URL")
                }
                return nil
            }
            endpoint.profile = endpoint.profile.costing(noditCost)
            return endpoint
        }
        var aptos = AptosEndpoint<ContinuousClock>.aptosLabs(
            network: network,
            baseURL: aptosURL,
            rotator: aptosKeys.map { invocation.makeRotator(keys: $0, provider: .aptos, store: store) }
        )
        aptos.profile = aptos.profile.costing(try invocation.requestCost(for: .aptos))
        let endpoints: [AptosEndpoint<ContinuousClock>]
        switch via {
        case "nodit": endpoints = [try nodit(required: true)!]
        case "aptos": endpoints = [aptos]
        default: endpoints = (try nodit(required: false)).map { [$0, aptos] } ?? [aptos]
        }
        self.network = network
        var configuration = AptosClient<ContinuousClock>.Configuration()
        configuration.followsArchivalEndpoint = invocation.arguments.flag("archival")
        self.client = AptosClient(endpoints: endpoints, configuration: configuration)
    }

    /// Runs `body`, turning the SDK's errors into the command line's: no usable key → exit 3, a bad argument →
    /// exit 2, results that can't be written → exit 4, anything else → exit 1. Every message is cleared of the Aptos
    /// and Nodit keys first (an upstream may echo a key in the text it answers with).
    static func run(_ invocation: Invocation, _ body: () async throws -> ExitCode) async throws -> ExitCode {
        let secrets = [CLIProvider.aptos, CLIProvider.nodit].flatMap { provider in
            KeySource.variables(invocation.environment.variables, prefix: provider.keyPrefix).secrets()
        }
        func redacted(_ text: String) -> String {
            secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
        }
        do {
            return try await body()
        } catch let error as OutputWriteError {
            throw error  // about stdout, not the upstream: exit 4
        } catch let error as RotatingClientError where error.code == .noUsableKey {
            throw CLIError.noUsableKey(redacted(Self.noUsableKeyMessage(error)))
        } catch let error as AptosClientError where error.code == .invalidArgument {
            throw UsageError(redacted(error.message))
        } catch let error as CLIError {
            throw CLIError(error.exitCode, redacted(error.message))
        } catch let error as KeyRotatorError {
            throw error.code == .noKeys || error.code == .allKeysInvalid
                ? CLIError.noUsableKey(redacted(error.message)) : CLIError.failed(redacted(error.message))
        } catch {
            throw CLIError.failed(redacted("\(error)"))
        }
    }
}

extension AptosCommandContext {
    /// A pool without a usable key, told the command line's way: what the provider said, and the variables that
    /// hold the keys to check or replace. No "a key is free at" time: a rejected key does not come back by waiting.
    static func noUsableKeyMessage(_ error: RotatingClientError) -> String {
        let named = CLIProvider.all.filter { $0.displayName == error.provider }
        let providers = named.isEmpty ? [CLIProvider.nodit, .aptos] : named
        var details: [String] = []
        if let keyID = error.keyID { details.append("key \(keyID)") }
        if let status = error.lastStatus { details.append("last status \(status)") }
        if let code = error.providerCode { details.append("provider code \(code)") }
        if let said = error.providerMessage { details.append("provider said: \(said)") }
        let detail = details.isEmpty ? "" : " (\(details.joined(separator: "; ")))"
        let variables = providers.map(\.keyVariables).joined(separator: " or ")
        return "\(error.provider): no usable key: \(error.message)\(detail); the keys come from \(variables)"
    }
}

// MARK: Output models

/// One transaction, as the command line shows it.
struct TransactionSummary: Encodable, Sendable {
    var version: UInt64?
    var hash: String
    var type: String
    var success: Bool?
    var vmStatus: String?
    var gasUsed: UInt64?
    var timestamp: UInt64?
    var sender: String?
    var sequenceNumber: UInt64?
    var function: String?

    enum CodingKeys: String, CodingKey {
        case version, hash, type, success, vmStatus = "vm_status", gasUsed = "gas_used", timestamp, sender
        case sequenceNumber = "sequence_number", function
    }

    init(_ transaction: Transaction) {
        self.version = transaction.version
        self.hash = transaction.hash
        self.type = transaction.type
        self.success = transaction.success
        self.vmStatus = transaction.vmStatus
        self.gasUsed = transaction.gasUsed
        self.timestamp = transaction.timestampMicroseconds
        self.sender = transaction.userFields?.sender.longForm
        self.sequenceNumber = transaction.userFields?.sequenceNumber
        self.function = transaction.userFields?.entryFunction
    }

    /// `version  type  ok|failed  hash  [sender function]`.
    var line: String {
        var parts = [
            self.version.map(String.init) ?? "pending", self.type,
            self.success.map { $0 ? "ok" : "failed" } ?? "-", self.hash,
        ]
        if let sender { parts.append(sender) }
        if let function { parts.append(function) }
        return parts.joined(separator: "  ")
    }
}

/// The ledger, as the command line shows it.
struct LedgerSummary: Encodable, Sendable {
    var network: String
    var endpoint: String
    var chainID: Int
    var epoch: UInt64
    var ledgerVersion: UInt64
    var oldestLedgerVersion: UInt64
    var blockHeight: UInt64
    var oldestBlockHeight: UInt64
    var ledgerTimestamp: UInt64

    enum CodingKeys: String, CodingKey {
        case network, endpoint, chainID = "chain_id", epoch, ledgerVersion = "ledger_version"
        case oldestLedgerVersion = "oldest_ledger_version", blockHeight = "block_height"
        case oldestBlockHeight = "oldest_block_height", ledgerTimestamp = "ledger_timestamp"
    }
}

// MARK: Commands

/// `keyrotation aptos ledger`.
struct AptosLedgerCommand: CLICommand {
    let name = "ledger"
    let summary = "Show the ledger: chain id, versions, block height, epoch"
    var options: [OptionSpec] { [.aptosNetwork, .aptosVia, .aptosArchival] }
    var examples: [String] {
        [
            "keyrotation aptos ledger", "keyrotation aptos ledger --network testnet --json",
            "keyrotation aptos ledger --key-rate 5/s",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let context = try AptosCommandContext(invocation)
            return try await AptosCommandContext.run(invocation) {
                let response = try await context.client.ledgerInfo()
                let info = response.value
                let summary = LedgerSummary(
                    network: context.network.name,
                    endpoint: response.endpoint,
                    chainID: info.chainID,
                    epoch: info.epoch,
                    ledgerVersion: info.ledgerVersion,
                    oldestLedgerVersion: info.oldestLedgerVersion,
                    blockHeight: info.blockHeight,
                    oldestBlockHeight: info.oldestBlockHeight,
                    ledgerTimestamp: info.ledgerTimestampMicroseconds
                )
                try invocation.print(summary) {
                    [
                        "network         \(summary.network) (chain \(summary.chainID), via \(summary.endpoint))",
                        "ledger version  \(summary.ledgerVersion) (oldest \(summary.oldestLedgerVersion))",
                        "block height    \(summary.blockHeight) (oldest \(summary.oldestBlockHeight))",
                        "epoch           \(summary.epoch)",
                        "ledger time     \(summary.ledgerTimestamp) µs",
                    ]
                }
                return .success
            }
        }
    }
}

/// `keyrotation aptos account ADDR`.
struct AptosAccountCommand: CLICommand {
    let name = "account"
    let summary = "Show an account's sequence number and authentication key"
    var options: [OptionSpec] { [.aptosNetwork, .aptosVia, .aptosArchival] }
    var arguments: [ArgumentSpec] { [ArgumentSpec("ADDR", help: "The address: 0x and 1 to 64 hex digits")] }
    var discussion: String? {
        """
        An address that has no account on chain yet is shown as unused, with sequence number 0 and the address \
        as its authentication key, whether the node answers 404 account_not_found or a stateless 200 (exit 0 \
        both ways).
        """
    }
    var examples: [String] { ["keyrotation aptos account 0x1"] }

    private struct Output: Encodable {
        var address: String
        var sequenceNumber: UInt64
        var authenticationKey: String
        var unused: Bool
        enum CodingKeys: String, CodingKey {
            case address, sequenceNumber = "sequence_number", authenticationKey = "authentication_key", unused
        }
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let address = try AptosArguments.address(invocation.arguments.argument("ADDR").first)
            let context = try AptosCommandContext(invocation)
            return try await AptosCommandContext.run(invocation) {
                let account: Account
                do {
                    account = try await context.client.account(address).value
                } catch let error as AptosAPIError where error.code == .accountNotFound {
                    // The other way a node says "never used" (a stateless account answers 200 with these values).
                    account = Account(sequenceNumber: 0, authenticationKey: address.longForm)
                }
                let output = Output(
                    address: address.longForm,
                    sequenceNumber: account.sequenceNumber,
                    authenticationKey: account.authenticationKey,
                    unused: account.isUnused(at: address)
                )
                try invocation.print(output) {
                    [
                        "address             \(output.address)",
                        "sequence number     \(output.sequenceNumber)",
                        "authentication key  \(output.authenticationKey)",
                        "unused              \(output.unused ? "yes (no account on chain yet)" : "no")",
                    ]
                }
                return .success
            }
        }
    }
}

/// `keyrotation aptos resources ADDR`.
struct AptosResourcesCommand: CLICommand {
    let name = "resources"
    let summary = "List an account's resources (every page)"
    var options: [OptionSpec] { [.aptosNetwork, .aptosVia, .aptosArchival] }
    var arguments: [ArgumentSpec] { [ArgumentSpec("ADDR", help: "The address: 0x and 1 to 64 hex digits")] }
    var examples: [String] { ["keyrotation aptos resources 0x1 --json"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let address = try AptosArguments.address(invocation.arguments.argument("ADDR").first)
            let context = try AptosCommandContext(invocation)
            return try await AptosCommandContext.run(invocation) {
                let resources: [AccountResource]
                do {
                    resources = try await context.client.accountResources(address).value
                } catch let error as AptosAPIError where error.code == .accountNotFound {
                    // As `aptos account` says: an address with no account on chain yet is unused, and holds nothing.
                    invocation.stderr.message("\(address) has no account on chain yet (unused): no resources")
                    resources = []
                }
                try invocation.print(resources) { resources.map(\.type) }
                return .success
            }
        }
    }
}

/// `keyrotation aptos transactions --start V --limit N`.
struct AptosTransactionsCommand: CLICommand {
    let name = "transactions"
    let summary = "List up to 100 transactions from a version"
    var options: [OptionSpec] {
        [
            .text("start", placeholder: "V", help: "The first version", required: true),
            .integer("limit", help: "How many, 1 to 100 (default 25)", range: 1...100),
            .aptosNetwork, .aptosVia, .aptosArchival,
        ]
    }
    var examples: [String] {
        [
            "keyrotation aptos transactions --start 1000 --limit 10 --json",
            "keyrotation aptos transactions --start 1000 --via nodit --key-rate 10/s,1000000/day",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            guard let start = try AptosArguments.version(invocation.arguments.value("start"), option: "start") else {
                throw UsageError("missing option --start V")
            }
            let limit = invocation.arguments.integer("limit") ?? 25
            let context = try AptosCommandContext(invocation)
            return try await AptosCommandContext.run(invocation) {
                let page = try await context.client.transactions(start: start, limit: limit).value
                let summaries = page.map(TransactionSummary.init)
                try invocation.print(summaries) { summaries.map(\.line) }
                return .success
            }
        }
    }
}

/// `keyrotation aptos stream --from V [--to V] [--checkpoint FILE]`.
struct AptosStreamCommand: CLICommand {
    let name = "stream"
    let summary = "Stream transactions in order from a version, resumable from a checkpoint file"
    var options: [OptionSpec] {
        [
            .text("from", placeholder: "V", help: "The first version", required: true),
            .text("to", placeholder: "V", help: "The last version, inclusive (default: follow the ledger head)"),
            .text("checkpoint", placeholder: "FILE", help: "SQLite file where progress is saved (default none)"),
            .aptosNetwork, .aptosVia, .aptosArchival,
        ]
    }
    var discussion: String? {
        """
        Pages of 100 are fetched ahead (4 at a time, across keys) and printed strictly in version order, one \
        line per transaction (one JSON object per line with --json); a page that fails on a passing fault (5xx, \
        resets, a body cut short) is asked for again, up to 3 times. With --checkpoint the next version is saved \
        in FILE (as aptos.<network>.transactions) after each line is written, and a rerun starts there; Ctrl-C \
        (SIGINT) and SIGTERM wait for the line in progress and its checkpoint, so a rerun neither repeats nor \
        skips a line (after SIGKILL or a crash it may repeat that one line). Without --checkpoint nothing is \
        saved and a rerun starts again at --from. Without --to the stream follows the head until it is stopped. --key-rate gives the \
        per-key limits of both pools (Aptos Labs and Nodit keys).
        """
    }
    var examples: [String] {
        [
            "keyrotation aptos stream --from 0 --to 100000 --checkpoint indexer.sqlite --json >> txns.jsonl",
            "keyrotation aptos stream --from 3000000000 --checkpoint tail.sqlite --via nodit --key-rate 10/s",
            "keyrotation aptos stream --from 1000 --to 1099",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let arguments = invocation.arguments
            guard let from = try AptosArguments.version(arguments.value("from"), option: "from") else {
                throw UsageError("missing option --from V")
            }
            let to = try AptosArguments.version(arguments.value("to"), option: "to")
            if let to, to < from { throw UsageError("option --to (\(to)) is below --from (\(from))") }
            let path = arguments.value("checkpoint")
            if path?.isEmpty == true { throw UsageError("option --checkpoint needs a file path") }
            let context = try AptosCommandContext(invocation)
            let checkpoint = try path.map { path in
                try StreamCheckpoint(path: path, name: "aptos.\(context.network.name).transactions")
            }
            var start = from
            if let checkpoint, let saved = try checkpoint.next(), saved > start { start = saved }
            if let to, start > to {
                invocation.printError("the checkpoint is past --to \(to): nothing left to stream")
                return .success
            }
            return try await AptosCommandContext.run(invocation) {
                let lines = JSONLines(sink: invocation.stdout)
                // The stream keeps no checkpoint: the command saves one after each line it has written.
                for try await transaction in context.client.transactionStream(from: start, through: to) {
                    let summary = TransactionSummary(transaction)
                    // A line and its checkpoint go together: SIGINT or SIGTERM waits for both, so a rerun neither
                    // repeats nor skips a line. A line that can't be written throws before its checkpoint is saved:
                    // a rerun writes it again.
                    try invocation.termination.atomically {
                        if invocation.global.json {
                            try lines.write(summary)
                        } else {
                            try invocation.stdout.line(summary.line)
                        }
                        if let checkpoint, let version = transaction.version {
                            try checkpoint.save(next: version == .max ? version : version + 1)
                        }
                    }
                }
                return .success
            }
        }
    }
}

/// The `--checkpoint` file of `aptos stream`, with its failures as the command line's errors: one that can't be
/// opened or read stops the stream before it starts (exit 2), one that can't be saved stops it (exit 1).
private struct StreamCheckpoint {
    let checkpoint: SQLiteTransactionCheckpoint
    let path: String

    /// Opens the checkpoint `name` in the SQLite file at `path` (created when missing).
    ///
    /// - Throws: ``CLIError`` (exit 2) saying what is wrong with the file and what to do.
    init(path: String, name: String) throws(CLIError) {
        do {
            self.checkpoint = try SQLiteTransactionCheckpoint(path: path, name: name)
        } catch {
            throw Self.unreadable(path, error)
        }
        self.path = path
    }

    /// The next version to stream, `nil` when none is saved yet.
    ///
    /// - Throws: ``CLIError`` (exit 2) when the file can't be read.
    func next() throws(CLIError) -> UInt64? {
        do { return try self.checkpoint.load() } catch {
            throw Self.unreadable(self.path, error)
        }
    }

    /// A checkpoint file that can't be opened or read: the run can't start (exit 2). The file holds nothing but
    /// the stream's position, so the advice is to delete it and stream again from --from.
    private static func unreadable(_ path: String, _ error: any Error) -> CLIError {
        let restart = "delete it (or move it aside) to stream again from --from, or give --checkpoint another file"
        switch (error as? KeyStateStoreError)?.code {
        case .corrupt?:
            return CLIError(
                .usage,
                "cannot read the checkpoint file \(path): it is not an SQLite database or it is damaged; \(restart)"
            )
        case .schemaTooNew?:
            return CLIError(
                .usage,
                "cannot read the checkpoint file \(path): a newer keyrotation wrote it; use that version, or "
                    + restart
            )
        case .unreadable?:
            return CLIError(
                .usage,
                "cannot open the checkpoint file \(path)\(Self.accessProblem(path)): check that its folder exists "
                    + "and that this user may read and write both, or give --checkpoint another file"
            )
        default:
            let reason = (error as? KeyStateStoreError)?.message ?? "\(error)"
            return CLIError(.usage, "cannot read the checkpoint file \(path): \(reason)")
        }
    }

    /// Why `path` can't be opened for writing, as ` (Not a directory)`; empty when the system sees no problem.
    private static func accessProblem(_ path: String) -> String {
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        if access(folder, W_OK | X_OK) != 0 || (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
            return " (\(SystemError.reason(errno)))"
        }
        return ""
    }

    func save(next version: UInt64) throws(CLIError) {
        do { try self.checkpoint.save(nextVersion: version) } catch {
            throw CLIError.failed("cannot save the checkpoint (next version \(version)) in \(self.path): \(error)")
        }
    }
}
