import Foundation
import KeyRotation
import KeyRotationStore
import VirusTotal

extension Invocation {
    /// A VirusTotal client from the environment: keys (`VT_API_KEYS`…), `--key-rate`, `--strategy`, the store at
    /// ``storePath`` (reports, queue, key usage shared across runs), `VIRUSTOTAL_BASE_URL` and the report TTL
    /// (`--ttl`, else `VT_REPORT_TTL`, else 45 minutes).
    ///
    /// - Throws: ``CLIError``: exit 3 without keys, 2 for a bad `VIRUSTOTAL_BASE_URL`, `VT_REPORT_TTL` or `--ttl`
    ///   or a store that can't be opened.
    /// - Parameter storeOnly: For commands that only read the store (`vt report`, `vt reports`): keys are not
    ///   required, and without them the client gets a placeholder key whose quota is zero, so it can't send.
    func virusTotalClient(storeOnly: Bool = false) throws(CLIError) -> VirusTotalClient<ContinuousClock> {
        typealias Configuration = VirusTotalClient<ContinuousClock>.Configuration
        var configuration = Configuration()
        do {
            configuration.baseURL = try Configuration.baseURL(environment: self.environment.variables)
            if let ttl = try Configuration.reportTTL(environment: self.environment.variables) {
                configuration.reportTTL = ttl
            }
        } catch {
            throw CLIError(.usage, error.message)
        }
        if let text = self.arguments.value("ttl") {
            guard let ttl = Configuration.parseTTL(text) else {
                throw CLIError(.usage, "option --ttl is not a duration: \(Configuration.ttlForms)")
            }
            configuration.reportTTL = ttl
        }
        let keys: [APIKey]
        if storeOnly, (try? self.keys(for: .virusTotal)) == nil {
            keys = [APIKey(UUID().uuidString, label: "store-only", limits: [.perDay(0)])]
        } else {
            keys = try self.keys(for: .virusTotal)
        }
        configuration.perKeyLimits = self.limits(for: .virusTotal)
        configuration.strategy = self.strategy(for: .virusTotal)
        do {
            KeyRotationCommandLine.createParentDirectory(of: self.storePath)
            configuration.storage = try KeyRotationStorage(path: self.storePath)
        } catch {
            throw self.storeError(error)
        }
        let client: VirusTotalClient<ContinuousClock>
        do {
            client = try VirusTotalClient(keys: keys, configuration: configuration)
        } catch {
            throw CLIError.noUsableKey(error.message)
        }
        // Killed with lookups in flight: the store counts them from now, not from their lease (see makeRotator).
        _ = self.termination.addCleanup { [weak client] in client?.rotator.settleOutstanding() }
        return client
    }
}

/// Reads `vt enrich` input.
enum VirusTotalInput {
    /// The IOC lines of `path` (`-`: stdin, read to its end): trimmed, without blank lines and `#` comments.
    ///
    /// - Parameters:
    ///   - path: The file, or `-` for stdin.
    ///   - standardInput: Reads stdin to its end; tests pass their own.
    /// - Throws: ``CLIError`` (exit 2) when the file can't be read.
    static func lines(
        from path: String,
        standardInput: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }
    ) throws(CLIError) -> [String] {
        let data: Data
        if path == "-" {
            data = standardInput()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CLIError(.usage, "cannot read \(path): check that the file exists and is readable")
            }
            data = contents
        }
        return Self.lines(in: String(decoding: data, as: UTF8.self))
    }

    /// The IOC lines of `text`: any line ending (`\n`, `\r\n`, `\r`), a leading byte order mark dropped, each
    /// line trimmed of spaces and tabs.
    static func lines(in text: String) -> [String] {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

/// The exit code of a run of lookups.
enum VirusTotalExit {
    /// 0 when nothing failed (queued lookups are not failures); 3 when no lookup was answered or queued and a
    /// lookup failed because no key is usable (the other failures being, say, bad lines); 1 when anything else
    /// failed. Queued lookups are mentioned on stderr.
    static func code(for results: [LookupResult], invocation: Invocation) -> ExitCode {
        let failures = results.compactMap(\.error)
        let queued = results.filter { if case .queued = $0.status { true } else { false } }.count
        if queued > 0 {
            invocation.stderr.message(
                "keyrotation: \(queued) lookup(s) queued: every key is limited; run 'keyrotation vt run-queue' later"
            )
        }
        if failures.isEmpty { return .success }
        let served = results.contains { $0.isAnswered } || queued > 0
        if !served, let refused = failures.first(where: { $0.code == .noUsableKey }) {
            invocation.printError("no usable VirusTotal key: \(refused.message)")
            return .noUsableKey
        }
        invocation.printError("\(failures.count) of \(results.count) lookup(s) failed")
        return .someFailed
    }
}

/// One lookup as printed: JSON object, table row or CSV record.
struct LookupRecord: Encodable, Sendable {
    struct Failure: Encodable, Sendable {
        var code: String
        var message: String
        var status: Int?
    }

    var input: String
    var ioc: String?
    var type: String?
    var status: String
    var verdict: String
    var malicious: Int?
    var suspicious: Int?
    var harmless: Int?
    var undetected: Int?
    var total: Int?
    var reputation: Int?
    var link: String?
    var key: String?
    var remainingQuota: Int?
    var fetchedAt: String?
    var queuedUntil: String?
    var error: Failure?

    /// The longest input echoed back, in characters; a longer one (never an IOC) is cut, with its length said.
    static let maximumEchoedInput = IOC.maximumLength

    init(_ result: LookupResult) {
        self.input = Self.echoed(result.input)
        self.ioc = result.ioc?.value
        self.type = result.ioc?.kind.name
        self.status = result.status.name
        // A failed or queued lookup has no verdict: leave it empty rather than claim "no data".
        switch result.status {
        case .servedLive, .servedFromCache, .notFound: self.verdict = result.verdict.rawValue
        case .queued, .failed: self.verdict = ""
        }
        self.malicious = result.summary?.malicious
        self.suspicious = result.summary?.suspicious
        self.harmless = result.summary?.harmless
        self.undetected = result.summary?.undetected
        self.total = result.summary?.totalEngines
        self.reputation = result.report?.reputation
        self.link = result.link?.absoluteString
        self.key = result.keyID?.rawValue
        self.remainingQuota = result.remainingQuota
        self.fetchedAt = result.fetchedAt?.description
        if case .queued(let eta) = result.status { self.queuedUntil = eta.description }
        self.error = result.error.map { Failure(code: $0.code.name, message: $0.message, status: $0.status) }
    }

    /// `input`, cut to ``maximumEchoedInput`` characters: a huge line is not copied into every output format.
    static func echoed(_ input: String) -> String {
        guard input.utf8.count > Self.maximumEchoedInput, input.count > Self.maximumEchoedInput else { return input }
        return String(input.prefix(64)) + "… (\(input.count) characters)"
    }

    private enum CodingKeys: String, CodingKey {
        case input, ioc, type, status, verdict, malicious, suspicious, harmless, undetected, total, reputation, link
        case key
        case remainingQuota = "remaining_quota"
        case fetchedAt = "fetched_at"
        case queuedUntil = "queued_until"
        case error
    }

    static let columns: [String] = ["INPUT", "TYPE", "STATUS", "VERDICT", "MALICIOUS", "TOTAL", "KEY", "ERROR"]

    var row: [String] {
        [
            self.input, self.type ?? "-", self.status, self.verdict, self.malicious.map(String.init) ?? "-",
            self.total.map(String.init) ?? "-", self.key ?? "-",
            self.error.map { "\($0.code): \($0.message)" } ?? self.queuedUntil.map { "queued until \($0)" } ?? "",
        ]
    }

    /// Writes `results` as a table, JSON or CSV.
    static func write(_ results: [LookupResult], format: String, to sink: any OutputSink) throws {
        let records = results.map(LookupRecord.init)
        switch format {
        case "json":
            try JSONOutput.write(records, to: sink)
        case "csv":
            let csv = CSVWriter(sink: sink)
            try csv.write(Self.columns.map { $0.lowercased() } + ["link"])
            for record in records { try csv.write(record.row + [record.link ?? ""]) }
        default:
            var table = TextTable(columns: Self.columns.map { TextTable.Column($0) })
            for record in records { table.append(record.row) }
            try sink.write(table.render())
        }
    }

    /// A few lines for a person: the IOC, its verdict and detections, the link, and how it was served.
    static func summaryText(_ result: LookupResult) -> String {
        let title = result.ioc.map { "\($0.value) (\($0.kind))" } ?? Self.echoed(result.input)
        var lines = [title]
        switch result.status {
        case .servedLive, .servedFromCache:
            if let summary = result.summary {
                // "3/93 malicious", "clean (0/93)", "no data": the summary already names the verdict.
                lines.append("  verdict:  \(summary.shortDescription)")
            } else {
                lines.append("  verdict:  \(result.verdict.rawValue)")
            }
        case .notFound:
            lines.append("  verdict:  no data (VirusTotal does not know it)")
        case .queued(let eta):
            lines.append("  queued:   every key is limited; a key is free at \(eta) (run: keyrotation vt run-queue)")
        case .failed(let error):
            lines.append("  error:    \(error.code): \(error.message)")
        }
        if let link = result.link, result.error?.code != .invalidIOC { lines.append("  link:     \(link)") }
        if result.isAnswered {
            var served = result.status == .servedLive ? "live" : "from the store"
            if result.status == .notFound { served = "not found" }
            if let key = result.keyID { served += " by \(key)" }
            if let quota = result.remainingQuota { served += ", \(quota) left on that key" }
            lines.append("  served:   \(served)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `vt stats` as printed.
struct StatisticsRecord: Encodable, Sendable {
    struct Key: Encodable, Sendable {
        var id: String
        var state: String
        var uses: Int
        var remainingQuota: Int?

        private enum CodingKeys: String, CodingKey {
            case id, state, uses
            case remainingQuota = "remaining_quota"
        }
    }

    var totalRequests: Int
    var cacheHitRatio: Double
    var queueDepth: Int
    var cacheSize: Int
    var storedReports: Int
    var failedRequests: Int
    var keyRotations: Int
    var keys: [Key]

    private enum CodingKeys: String, CodingKey {
        case totalRequests = "total_requests"
        case cacheHitRatio = "cache_hit_ratio"
        case queueDepth = "queue_depth"
        case cacheSize = "cache_size"
        case storedReports = "stored_reports"
        case failedRequests = "failed_requests"
        case keyRotations = "key_rotations"
        case keys
    }

    init(_ statistics: VirusTotalStatistics) {
        self.totalRequests = statistics.totalRequests
        self.cacheHitRatio = statistics.cacheHitRatio
        self.queueDepth = statistics.queueDepth
        self.cacheSize = statistics.cacheSize
        self.storedReports = statistics.storedReports
        self.failedRequests = statistics.failedRequests
        self.keyRotations = statistics.keyRotations
        self.keys = statistics.keys.map {
            Key(id: $0.id.rawValue, state: $0.state, uses: $0.uses, remainingQuota: $0.remainingQuota)
        }
    }

    func text() -> String {
        var table = TextTable(columns: ["KEY", "STATE", "USES", "QUOTA LEFT"])
        for key in self.keys {
            table.append([key.id, key.state, String(key.uses), key.remainingQuota.map(String.init) ?? "-"])
        }
        return """
            stored reports: \(self.storedReports)
            queued lookups: \(self.queueDepth)
            this run:       \(self.totalRequests) lookup(s), \(self.failedRequests) failed, \
            cache hit ratio \(String(format: "%.2f", self.cacheHitRatio)), \(self.keyRotations) key rotation(s)

            """ + table.render()
    }
}

extension OptionSpec {
    /// `--ttl DURATION` (vt lookup, enrich, run-queue): how long stored answers are served.
    static let reportTTL = OptionSpec.text(
        "ttl",
        placeholder: "DURATION",
        help: "Serve stored answers younger than this (45m, 2h, 1d; 0 = forever); default $VT_REPORT_TTL, else 45m"
    )
}
