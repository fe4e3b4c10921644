import Foundation
import KeyRotation
import KeyRotationStore
import VirusTotal

extension CommandGroup {
    /// `keyrotation vt …`: VirusTotal lookups with a pool of keys.
    static let vt = CommandGroup(
        name: "vt",
        summary: "VirusTotal: look up and enrich IOCs with a pool of keys",
        commands: [
            VirusTotalLookupCommand(), VirusTotalEnrichCommand(), VirusTotalReportCommand(),
            VirusTotalRefreshCommand(), VirusTotalReportsCommand(), VirusTotalRunQueueCommand(),
            VirusTotalStatsCommand(),
        ],
        discussion: """
            Keys come from VT_API_KEYS (comma list), VT_API_KEY and VT_API_KEY_1…N; each key gets 4 lookups a \
            minute and 500 a day unless --key-rate says otherwise. Answers (reports and "not found") are stored \
            in KEYROTATION_STORE and served from there without spending quota while younger than the report TTL \
            (--ttl, else VT_REPORT_TTL, else 45m; 0 = forever). \
            VIRUSTOTAL_BASE_URL points the commands at another server (plain http only for 127.0.0.1/localhost).
            """
    )
}

/// `keyrotation vt lookup IOC... [--refresh] [--no-wait] [--json]`.
struct VirusTotalLookupCommand: CLICommand {
    let name = "lookup"
    let summary = "Look up IOCs: verdict, detections, link, and the key that served each"

    var options: [OptionSpec] {
        [
            .flag("refresh", help: "Ask VirusTotal even if a fresh answer is stored"),
            .flag("no-wait", help: "When every key is limited, queue the lookup (run later with vt run-queue)"),
            .reportTTL,
            .output,
        ]
    }

    var arguments: [ArgumentSpec] {
        [ArgumentSpec("IOC", help: "IP address, domain, URL, or MD5/SHA-1/SHA-256 hash", arity: .oneOrMore)]
    }

    var examples: [String] {
        [
            "keyrotation vt lookup example.com 8.8.8.8",
            "keyrotation vt lookup 44d88612fea8a8f36de82e1278abb02f --json",
            "keyrotation vt lookup https://example.com/login --refresh --no-wait",
            "keyrotation vt lookup example.com --ttl 2h",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient()
            let output = try invocation.openOutput()
            let options = LookupOptions(
                forceRefresh: invocation.arguments.flag("refresh"),
                maximumWait: invocation.arguments.flag("no-wait") ? .zero : nil,
                queuesWhenLimited: invocation.arguments.flag("no-wait")
            )
            var results: [LookupResult] = []
            for input in invocation.arguments.argument("IOC") {
                results.append(await client.lookup(input, options: options))
            }
            return try await invocation.writeLookups(results, to: output)
        }
    }
}

/// `keyrotation vt enrich FILE|- [--concurrency N] [--format table|json|csv] [--output FILE] [--progress]`.
struct VirusTotalEnrichCommand: CLICommand {
    let name = "enrich"
    let summary = "Look up every IOC of a file (one per line) with bounded parallelism"

    var options: [OptionSpec] {
        [
            .integer("concurrency", short: "c", help: "Lookups in flight at most (default 4)", range: 1...64),
            .choice("format", ["table", "json", "csv"], help: "Output format (default table; --json is json)"),
            .flag("refresh", help: "Ask VirusTotal even if a fresh answer is stored"),
            .flag("no-wait", help: "When every key is limited, queue lookups instead of waiting"),
            .reportTTL,
            .output,
            .progress,
        ]
    }

    var arguments: [ArgumentSpec] {
        [ArgumentSpec("FILE", help: "A file of IOCs, one per line (blank lines and # comments skipped); - is stdin")]
    }

    var discussion: String? {
        """
        Duplicates (also in another case) are looked up once; a transient failure is retried once. A line that \
        is not an IOC is reported as that line's error and does not stop the run. Progress goes to stderr when \
        it is a terminal (or with --progress); results go to stdout (or --output).
        """
    }

    var examples: [String] {
        [
            "keyrotation vt enrich iocs.txt",
            "cat iocs.txt | keyrotation vt enrich - --format csv --output results.csv",
            "keyrotation vt enrich iocs.txt --concurrency 8 --format json --progress",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            // The client first: a missing key or a bad setting is reported before stdin is read (or waited on).
            let client = try invocation.virusTotalClient()
            let output = try invocation.openOutput()
            let inputs = try VirusTotalInput.lines(from: invocation.arguments.argument("FILE").first ?? "-")
            let options = LookupOptions(
                forceRefresh: invocation.arguments.flag("refresh"),
                maximumWait: invocation.arguments.flag("no-wait") ? .zero : nil,
                queuesWhenLimited: invocation.arguments.flag("no-wait")
            )
            let run = client.enrich(
                inputs,
                concurrency: invocation.arguments.integer("concurrency") ?? 4,
                options: options
            )
            let progress = invocation.progress(label: "enriched", total: inputs.count)
            for await step in run.progress { progress.update(completed: step.completed) }
            progress.finish()
            let results = await run.results
            let format = invocation.arguments.value("format") ?? (invocation.global.json ? "json" : "table")
            return try await invocation.withOutput(output) { sink in
                try LookupRecord.write(results, format: format, to: sink)
                return VirusTotalExit.code(for: results, invocation: invocation)
            }
        }
    }
}

/// `keyrotation vt report IOC [--raw] [--json]`: from the store only.
struct VirusTotalReportCommand: CLICommand {
    let name = "report"
    let summary = "Show the stored report of an IOC (no network, however old)"

    var options: [OptionSpec] {
        [.flag("raw", help: "Print the JSON exactly as VirusTotal returned it"), .output]
    }

    var arguments: [ArgumentSpec] { [ArgumentSpec("IOC", help: "The indicator")] }
    var examples: [String] { ["keyrotation vt report example.com", "keyrotation vt report example.com --raw"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient(storeOnly: true)
            let result = client.storedReport(invocation.arguments.argument("IOC").first ?? "")
            return try await invocation.withOutput { sink in
                if invocation.arguments.flag("raw"), let raw = result.rawJSON {
                    try sink.line(String(decoding: raw, as: UTF8.self))
                } else if invocation.global.json {
                    try JSONOutput.write(LookupRecord(result), to: sink)
                } else {
                    try sink.write(LookupRecord.summaryText(result))
                }
                return VirusTotalExit.code(for: [result], invocation: invocation)
            }
        }
    }
}

/// `keyrotation vt refresh IOC... [--json]`: a lookup that skips the store.
struct VirusTotalRefreshCommand: CLICommand {
    let name = "refresh"
    let summary = "Look up IOCs again on VirusTotal and store the new answers"

    var options: [OptionSpec] { [.output] }
    var arguments: [ArgumentSpec] { [ArgumentSpec("IOC", help: "The indicators", arity: .oneOrMore)] }
    var examples: [String] { ["keyrotation vt refresh example.com"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient()
            let output = try invocation.openOutput()
            var results: [LookupResult] = []
            for input in invocation.arguments.argument("IOC") {
                results.append(await client.lookup(input, options: .refresh))
            }
            return try await invocation.writeLookups(results, to: output)
        }
    }
}

/// `keyrotation vt reports [--type T] [--limit N] [--json]`.
struct VirusTotalReportsCommand: CLICommand {
    let name = "reports"
    let summary = "List stored answers, newest first"

    var options: [OptionSpec] {
        [
            .choice(
                "type",
                ["file", "domain", "ip_address", "url", "ip", "ipv4", "ipv6", "md5", "sha1", "sha256"],
                help: "Only this object type (the TYPE column's ipv4, ipv6 and hash names are accepted too)"
            ),
            .integer("limit", short: "n", help: "At most N (default 50)", range: 1...100_000),
            .output,
        ]
    }

    var examples: [String] { ["keyrotation vt reports", "keyrotation vt reports --type domain --limit 10 --json"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient(storeOnly: true)
            let type = invocation.arguments.value("type").map { name in
                switch name {
                case "ip", "ipv4", "ipv6": VirusTotalReport.ObjectType(rawValue: "ip_address")
                case "md5", "sha1", "sha256": VirusTotalReport.ObjectType(rawValue: "file")
                default: VirusTotalReport.ObjectType(rawValue: name)
                }
            }
            let results: [LookupResult]
            do {
                results = try client.storedReports(type: type, limit: invocation.arguments.integer("limit") ?? 50)
            } catch {
                throw CLIError.failed("\(error)")
            }
            return try await invocation.withOutput { sink in
                try LookupRecord.write(results, format: invocation.global.json ? "json" : "table", to: sink)
                return .success
            }
        }
    }
}

/// `keyrotation vt run-queue [--json]`.
struct VirusTotalRunQueueCommand: CLICommand {
    let name = "run-queue"
    let summary = "Look up the queued IOCs whose time has come (queued by --no-wait)"

    var options: [OptionSpec] {
        [
            .integer("limit", short: "n", help: "At most N items (default 100)", range: 1...100_000), .reportTTL,
            .output,
        ]
    }

    var examples: [String] { ["keyrotation vt run-queue", "keyrotation vt run-queue --json"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient()
            let output = try invocation.openOutput()
            let results = await client.runQueue(limit: invocation.arguments.integer("limit") ?? 100)
            let left = client.statistics().queueDepth
            if results.isEmpty {
                // A line saying why, not an empty table; --json still prints its empty list.
                if left == 0 {
                    invocation.printError("the queue is empty")
                } else {
                    let next = (try? client.configuration.storage?.requests.nextETA()).flatMap { $0 }
                    invocation.printError(
                        "nothing in the queue can run yet (\(left) queued)"
                            + (next.map { "; the next at \($0)" } ?? "")
                    )
                }
                guard invocation.global.json else { return try await invocation.withOutput(output) { _ in .success } }
            } else {
                invocation.printError("\(results.count) queued lookup(s) run, \(left) still queued")
            }
            return try await invocation.withOutput(output) { sink in
                try LookupRecord.write(results, format: invocation.global.json ? "json" : "table", to: sink)
                return VirusTotalExit.code(for: results, invocation: invocation)
            }
        }
    }
}

/// `keyrotation vt stats [--json]`.
struct VirusTotalStatsCommand: CLICommand {
    let name = "stats"
    let summary = "Show the store, the queue and each key's id, state and quota left"

    var options: [OptionSpec] { [.output] }
    var examples: [String] { ["keyrotation vt stats", "keyrotation vt stats --json"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let client = try invocation.virusTotalClient()
            let record = StatisticsRecord(client.statistics())
            return try await invocation.withOutput { sink in
                if invocation.global.json {
                    try JSONOutput.write(record, to: sink)
                } else {
                    try sink.write(record.text())
                }
                return .success
            }
        }
    }
}

extension Invocation {
    /// Writes lookups as `vt lookup` and `vt refresh` do (a summary per IOC, or JSON) to `output` (opened by
    /// ``openOutput()``; `nil`: stdout) and returns the exit code.
    func writeLookups(_ results: [LookupResult], to output: OutputFile?) async throws -> ExitCode {
        try await self.withOutput(output) { sink in
            if self.global.json {
                try JSONOutput.write(results.map(LookupRecord.init), to: sink)
            } else {
                for result in results { try sink.write(LookupRecord.summaryText(result)) }
            }
            return VirusTotalExit.code(for: results, invocation: self)
        }
    }
}
