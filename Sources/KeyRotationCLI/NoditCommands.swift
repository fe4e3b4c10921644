import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import Nodit

extension CommandGroup {
    /// `keyrotation nodit …`: Nodit's Web3 Data API.
    static let nodit = CommandGroup(
        name: "nodit",
        summary: "Nodit Web3 Data API: tokens, balance changes and transactions of an account",
        commands: [NoditTokensCommand(), NoditBalanceChangesCommand(), NoditTransactionsCommand()],
        discussion: """
            Keys come from NODIT_API_KEYS (or NODIT_API_KEY, NODIT_API_KEY_1…N). NODIT_WEB3_BASE_URL overrides \
            the Data API's base (https://web3.nodit.io/v1/aptos/<network>; plain http only for loopback hosts). \
            Lists page by cursor: pass the printed cursor back with --cursor, or use --all. Keys have no limits by \
            default; give your plan's with --key-rate, in compute units, and what one request costs with \
            NODIT_REQUEST_COST (default 1), e.g. NODIT_REQUEST_COST=10 keyrotation nodit tokens 0x1 \
            --key-rate 300/s,1000000/day.
            """
    )
}

extension OptionSpec {
    /// `--limit N` for Data API pages.
    static let noditPageSize = OptionSpec.integer(
        "limit",
        help: "Items per page, 1 to 100 (default 20)",
        range: 1...100
    )
    /// `--cursor C`.
    static let noditCursor = OptionSpec.text("cursor", placeholder: "C", help: "Continue after this cursor")
    /// `--all`.
    static let noditAll = OptionSpec.flag(
        "all",
        help: "Follow cursors to the last page (at most 100 pages; the cursor to continue from is printed if more)"
    )
}

/// The Data API client a Nodit command uses, and the shared command flow.
struct NoditCommandContext {
    let client: NoditWeb3Client<ContinuousClock>

    init(_ invocation: Invocation) throws {
        let network = try AptosArguments.network(invocation)
        // Checked before anything else, base URL override or not: the Data API has no devnet.
        guard network.noditWeb3BaseURL != nil else {
            throw UsageError("Nodit's Web3 Data API does not serve \(network): use mainnet or testnet")
        }
        let baseURL = try AptosArguments.baseURL(invocation, variable: "NODIT_WEB3_BASE_URL")
        let cost = try invocation.requestCost(for: .nodit)
        let rotator = try invocation.makeRotator(for: .nodit)
        guard let url = baseURL ?? network.noditWeb3BaseURL else {
            throw UsageError("Nodit's Web3 Data API does not serve \(network): use mainnet or testnet")
        }
        self.client = NoditWeb3Client(
            client: RotatingClient(
                profile: AptosEndpoint<ContinuousClock>.noditProfile(baseURL: url).costing(cost),
                rotator: rotator
            )
        )
    }

    /// Parses ADDR, builds the client, reads one page (or all with `--all`) and prints it.
    static func list<Item: Sendable, Row: Encodable & Sendable>(
        _ invocation: Invocation,
        row: @escaping @Sendable (Item) -> Row,
        line: @escaping @Sendable (Row) -> String,
        page:
            @escaping @Sendable (NoditWeb3Client<ContinuousClock>, AptosAddress, Int, String?) async throws ->
            NoditPage<Item>
    ) async -> ExitCode {
        await invocation.perform {
            let address = try AptosArguments.address(invocation.arguments.argument("ADDR").first)
            let pageSize = invocation.arguments.integer("limit") ?? 20
            let cursor = invocation.arguments.value("cursor")
            if cursor?.isEmpty == true {
                throw UsageError("option --cursor: give the cursor an earlier page printed (more: --cursor C)")
            }
            let context = try NoditCommandContext(invocation)
            return try await AptosCommandContext.run(invocation) {
                let items: [Item]
                var next: String?
                if invocation.arguments.flag("all") {
                    let pages: NoditPage<Item>
                    do {
                        pages = try await context.client.pages {
                            try await page(context.client, address, pageSize, $0 ?? cursor)
                        }
                    } catch let partial as NoditPagingError<Item> {
                        // The pages read are paid for: print them, say where to continue, then fail with the cause.
                        try Self.show(partial.items.map(row), cursor: partial.cursor, invocation, line: line)
                        throw partial.underlying
                    }
                    items = pages.items
                    next = pages.cursor  // set when the page bound stopped the list early
                } else {
                    let one = try await page(context.client, address, pageSize, cursor)
                    items = one.items
                    next = one.cursor
                }
                try Self.show(items.map(row), cursor: next, invocation, line: line)
                return .success
            }
        }
    }

    /// Prints `rows`, and the cursor to continue from when there is one (in the JSON, or as `more: --cursor C` on
    /// stderr).
    private static func show<Row: Encodable & Sendable>(
        _ rows: [Row],
        cursor: String?,
        _ invocation: Invocation,
        line: (Row) -> String
    ) throws {
        if invocation.global.json {
            try JSONOutput.write(ListOutput(items: rows, cursor: cursor), to: invocation.stdout)
        } else {
            for row in rows { try invocation.stdout.line(line(row)) }
            if let cursor { invocation.stderr.message("more: --cursor \(cursor)") }
        }
    }

    private struct ListOutput<Row: Encodable>: Encodable {
        var items: [Row]
        var cursor: String?
    }
}

private let addressArgument = ArgumentSpec("ADDR", help: "The account: 0x and 1 to 64 hex digits")

/// `keyrotation nodit tokens ADDR`.
struct NoditTokensCommand: CLICommand {
    let name = "tokens"
    let summary = "Tokens (coins and fungible assets) an account holds"
    var options: [OptionSpec] { [.noditPageSize, .noditCursor, .noditAll, .aptosNetwork] }
    var arguments: [ArgumentSpec] { [addressArgument] }
    var examples: [String] {
        ["keyrotation nodit tokens 0x1 --json", "keyrotation nodit tokens 0x1 --all --key-rate 10/s,100000/day"]
    }

    struct Row: Encodable, Sendable {
        var assetType: String
        var symbol: String?
        var value: String
        var amount: String
        var decimals: Int?
        enum CodingKeys: String, CodingKey { case assetType = "asset_type", symbol, value, amount, decimals }
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await NoditCommandContext.list(
            invocation,
            row: { (holding: TokenHolding) in
                Row(
                    assetType: holding.assetType,
                    symbol: holding.metadata?.symbol,
                    value: holding.value,
                    amount: holding.formattedValue,
                    decimals: holding.metadata?.decimals
                )
            },
            line: { "\($0.amount) \($0.symbol ?? "?")  \($0.assetType)" },
            page: { client, address, size, cursor in
                try await client.tokensOwned(by: address, pageSize: size, cursor: cursor)
            }
        )
    }
}

/// `keyrotation nodit balance-changes ADDR`.
struct NoditBalanceChangesCommand: CLICommand {
    let name = "balance-changes"
    let summary = "An account's token balance changes"
    var options: [OptionSpec] { [.noditPageSize, .noditCursor, .noditAll, .aptosNetwork] }
    var arguments: [ArgumentSpec] { [addressArgument] }
    var examples: [String] { ["keyrotation nodit balance-changes 0x1 --limit 50"] }

    struct Row: Encodable, Sendable {
        var version: UInt64
        var assetType: String
        var change: String
        var transferType: String?
        var timestamp: UInt64?
        enum CodingKeys: String, CodingKey {
            case version, assetType = "asset_type", change, transferType = "transfer_type", timestamp
        }
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await NoditCommandContext.list(
            invocation,
            row: { (change: TokenBalanceChange) in
                Row(
                    version: change.transactionVersion,
                    assetType: change.assetType,
                    change: change.changeValue,
                    transferType: change.transferType,
                    timestamp: change.blockTimestampMicroseconds
                )
            },
            line: { "\($0.version)  \($0.change)  \($0.transferType ?? "-")  \($0.assetType)" },
            page: { client, address, size, cursor in
                try await client.tokenBalanceChanges(of: address, pageSize: size, cursor: cursor)
            }
        )
    }
}

/// `keyrotation nodit transactions ADDR`.
struct NoditTransactionsCommand: CLICommand {
    let name = "transactions"
    let summary = "Transactions of an account"
    var options: [OptionSpec] { [.noditPageSize, .noditCursor, .noditAll, .aptosNetwork] }
    var arguments: [ArgumentSpec] { [addressArgument] }
    var examples: [String] { ["keyrotation nodit transactions 0x1 --all --json"] }

    struct Row: Encodable, Sendable {
        var version: UInt64
        var hash: String
        var success: Bool
        var sender: String?
        var timestamp: UInt64?
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await NoditCommandContext.list(
            invocation,
            row: { (transaction: NoditTransaction) in
                Row(
                    version: transaction.transactionVersion,
                    hash: transaction.transactionHash,
                    success: transaction.success,
                    sender: transaction.sender?.longForm,
                    timestamp: transaction.blockTimestampMicroseconds
                )
            },
            line: { "\($0.version)  \($0.success ? "ok" : "failed")  \($0.hash)  \($0.sender ?? "-")" },
            page: { client, address, size, cursor in
                try await client.transactions(of: address, pageSize: size, cursor: cursor)
            }
        )
    }
}
