import Foundation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

@testable import KeyRotationCLI

/// A fake VirusTotal on 127.0.0.1: known domains answer the fixture, some answer with hostile replies.
final class FakeVirusTotal {
    static let secret = "vtSecretKeyValue0123456789abcdef"
    static let refusedSecret = "vtRefusedKeyValue0123456789abcdef"

    let server: LoopbackServer
    let directory: URL

    init() throws {
        let domain = try Fixture.data("vt_domain")
        let wrongCredentials = try Fixture.data("vt_error_wrongcreds")
        let notFound = try Fixture.data("vt_error_notfound")
        self.server = LoopbackServer { request in
            if request.headers["x-apikey"] == Self.refusedSecret {
                return .response(status: 401, headers: ["Content-Type": "application/json"], body: wrongCredentials)
            }
            let name = request.path.split(separator: "/").last.map(String.init) ?? ""
            switch name {
            case "huge.example": return .hugeBody(bytes: 4 * 1024 * 1024)
            case "redirect.example": return .redirect(location: "http://127.0.0.1:9/elsewhere")
            case "malformed.example": return .text("{\"data\": {\"id\": \"malformed.example\", \"type\": ")
            case "reset.example": return .reset
            case "unknown.example": return .response(status: 404, headers: [:], body: notFound)
            default: return .response(status: 200, headers: ["Content-Type": "application/json"], body: domain)
            }
        }
        try self.server.start()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-vt-\(UUID())")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        self.server.stop()
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// The environment of a run against this server, with its own store.
    func environment(secret: String = FakeVirusTotal.secret) -> [String: String] {
        [
            "VT_API_KEYS": secret,
            "VIRUSTOTAL_BASE_URL": "http://127.0.0.1:\(self.server.port)/api/v3",
            "KEYROTATION_STORE": self.directory.appendingPathComponent("state.sqlite").path,
            "HOME": self.directory.path,
        ]
    }

    /// Requests the server received for `name`.
    func requests(for name: String) -> Int {
        self.server.requests.filter { $0.path.hasSuffix("/\(name)") }.count
    }

    func write(_ lines: [String]) throws -> String {
        let path = self.directory.appendingPathComponent("iocs.txt").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
}

@Suite(.serialized) struct VirusTotalCommandTests {
    @Test func lookupPrintsASummaryAndServesTheRepeatFromTheStore() async throws {
        let fake = try FakeVirusTotal()
        let first = await runCLI(
            ["vt", "lookup", "Good.Example", "--key-rate", "100/min"],
            environment: fake.environment()
        )
        #expect(first.code == .success)
        #expect(first.stdout.contains("good.example (domain)"))
        #expect(first.stdout.contains("verdict:"))
        #expect(first.stdout.contains("https://www.virustotal.com/gui/domain/good.example"))
        #expect(first.stdout.contains("served:   live by vt-1"))

        let second = await runCLI(["vt", "lookup", "good.example", "--json"], environment: fake.environment())
        #expect(second.code == .success)
        let records = try #require(
            try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [[String: Any]]
        )
        #expect(records.first?["status"] as? String == "cached")
        #expect(records.first?["key"] as? String == "vt-1")
        #expect(fake.requests(for: "good.example") == 1)
        #expect(!(first.allOutput + second.allOutput).contains(FakeVirusTotal.secret))

        let report = await runCLI(["vt", "report", "good.example", "--raw"], environment: fake.environment())
        #expect(report.code == .success)
        #expect(report.stdout.contains("\"last_analysis_stats\""))
        let missing = await runCLI(["vt", "report", "other.example"], environment: fake.environment())
        #expect(missing.code == .someFailed)
        #expect(missing.stdout.contains("notStored"))
    }

    @Test func verbosePrintsEveryAttemptByKeyIDOnStderr() async throws {
        let fake = try FakeVirusTotal()
        let run = await runCLI(
            ["vt", "lookup", "good.example", "unknown.example", "--verbose", "--key-rate", "100/min"],
            environment: fake.environment()
        )
        #expect(run.code == .success, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("keyrotation: VirusTotal GET") }
        #expect(lines.count == 2)
        #expect(lines.contains { $0.contains("/api/v3/domains/good.example key vt-1 attempt 1: 200 success in ") })
        #expect(lines.contains { $0.contains("/api/v3/domains/unknown.example key vt-1 attempt 1: 404 notFound") })
        #expect(!run.allOutput.contains(FakeVirusTotal.secret))
        let quiet = await runCLI(["vt", "lookup", "other.example"], environment: fake.environment())
        #expect(!quiet.stderr.contains("attempt 1"))
    }

    @Test func enrichWithHostileRepliesFailsOnlyThoseIOCs() async throws {
        let fake = try FakeVirusTotal()
        let file = try fake.write([
            "# feed of the day", "a.example", "huge.example", "", "redirect.example", "b.example",
            "malformed.example", "reset.example", "not an ioc", "unknown.example", "A.EXAMPLE",
        ])
        let run = await runCLI(
            ["vt", "enrich", file, "--format", "json", "--progress", "--key-rate", "1000/min", "-c", "3"],
            environment: fake.environment()
        )
        #expect(run.code == .someFailed)
        #expect(run.stderr.contains("9/9 enriched"))
        let records = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(records.count == 9)
        func status(_ input: String) -> String? {
            records.first { $0["input"] as? String == input }?["status"] as? String
        }
        func code(_ input: String) -> String? {
            (records.first { $0["input"] as? String == input }?["error"] as? [String: Any])?["code"] as? String
        }
        #expect(status("a.example") == "live")
        #expect(status("b.example") == "live")
        #expect(status("A.EXAMPLE") == "live")
        #expect(status("unknown.example") == "not-found")
        #expect(code("huge.example") == "transport")
        #expect(code("redirect.example") == "transport")
        #expect(code("malformed.example") == "malformedResponse")
        #expect(code("reset.example") != nil)
        #expect(code("not an ioc") == "invalidIOC")
        #expect(fake.requests(for: "a.example") == 1)
        #expect(fake.requests(for: "unknown.example") == 1)
        #expect(fake.server.requests.allSatisfy { !$0.path.contains("elsewhere") })
        #expect(!run.allOutput.contains(FakeVirusTotal.secret))
    }

    @Test func enrichWritesTableAndCSV() async throws {
        let fake = try FakeVirusTotal()
        let file = try fake.write(["a.example", "b.example"])
        let table = await runCLI(["vt", "enrich", file, "--key-rate", "100/min"], environment: fake.environment())
        #expect(table.code == .success)
        #expect(table.stdout.hasPrefix("INPUT"))
        #expect(table.stderr.isEmpty)  // not a terminal, no --progress
        let output = fake.directory.appendingPathComponent("out.csv").path
        let csv = await runCLI(
            ["vt", "enrich", file, "--format", "csv", "--output", output],
            environment: fake.environment()
        )
        #expect(csv.code == .success)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.hasPrefix("input,type,status,verdict"))
        #expect(text.contains("a.example,domain,cached"))
    }

    /// An --output that can't be written (a missing folder, a folder) fails before any lookup spends quota.
    @Test func anUnwritableOutputFailsBeforeAnyLookup() async throws {
        let fake = try FakeVirusTotal()
        let file = try fake.write(["a.example", "b.example"])
        let missing = fake.directory.appendingPathComponent("no/such/folder/out.csv").path
        for command in [["vt", "enrich", file], ["vt", "lookup", "a.example"], ["vt", "refresh", "b.example"]] {
            for output in [missing, fake.directory.path] {
                let run = await runCLI(command + ["--output", output], environment: fake.environment())
                #expect(run.code == .someFailed, "\(command) -o \(output)")
                #expect(run.stderr.contains(output) || run.stderr.contains("no/such/folder"), "\(run.stderr)")
            }
        }
        #expect(fake.server.requests.isEmpty)
    }

    @Test func exitCodes() async throws {
        let fake = try FakeVirusTotal()
        var noKeys = fake.environment()
        noKeys["VT_API_KEYS"] = nil
        let missing = await runCLI(["vt", "lookup", "a.example"], environment: noKeys)
        #expect(missing.code == .noUsableKey)
        #expect(missing.stderr.contains("VT_API_KEYS"))

        let usage = await runCLI(["vt", "lookup"], environment: fake.environment())
        #expect(usage.code == .usage)
        let badOption = await runCLI(["vt", "enrich", "x", "--concurrency", "0"], environment: fake.environment())
        #expect(badOption.code == .usage)

        let refused = await runCLI(
            ["vt", "lookup", "a.example"],
            environment: fake.environment(secret: FakeVirusTotal.refusedSecret)
        )
        #expect(refused.code == .noUsableKey)
        #expect(!refused.allOutput.contains(FakeVirusTotal.refusedSecret))

        let partly = await runCLI(
            ["vt", "lookup", "a.example", "hxxp://bad[.]example"],
            environment: fake.environment()
        )
        #expect(partly.code == .someFailed)

        let help = await runCLI(["vt", "enrich", "--help"], environment: fake.environment())
        #expect(help.code == .success)
        #expect(help.stdout.contains("--concurrency"))

        let stats = await runCLI(["vt", "stats", "--json"], environment: fake.environment())
        #expect(stats.code == .success)
        #expect(stats.stdout.contains("\"stored_reports\""))
        let reports = await runCLI(["vt", "reports", "--type", "domain"], environment: fake.environment())
        #expect(reports.code == .success)
        #expect(reports.stdout.contains("a.example"))
        // The TYPE column's names work as filters too.
        let ips = await runCLI(["vt", "reports", "--type", "ipv4"], environment: fake.environment())
        #expect(ips.code == .success)
        #expect(!ips.stdout.contains("a.example"))
        let queue = await runCLI(["vt", "run-queue"], environment: fake.environment())
        #expect(queue.code == .success)
    }

    @Test func theBinaryExitsWithTheDocumentedCodes() throws {
        let fake = try FakeVirusTotal()
        let ok = try ExecutableTests.run(
            ["vt", "lookup", "a.example", "--key-rate", "100/min"],
            environment: fake.environment()
        )
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("a.example (domain)"))
        let failed = try ExecutableTests.run(["vt", "lookup", "huge.example"], environment: fake.environment())
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("error:"))
        var noKeys = fake.environment()
        noKeys["VT_API_KEYS"] = nil
        #expect(try ExecutableTests.run(["vt", "stats"], environment: noKeys).status == 3)
        #expect(try ExecutableTests.run(["vt", "lookup", "--bogus"], environment: fake.environment()).status == 2)
        #expect(!(ok.stdout + ok.stderr + failed.stdout + failed.stderr).contains(FakeVirusTotal.secret))
    }

    @Test func enrichReadsStandardInputWithBOMCRLFCommentsAndDuplicates() throws {
        let fake = try FakeVirusTotal()
        let input = "\u{FEFF}# feed\r\na.example\r\n\r\n  B.example  \r\nnot an ioc\ra.example\n"
        let run = try Self.runBinary(
            ["vt", "enrich", "-", "--format", "json", "--key-rate", "100/min"],
            environment: fake.environment(),
            standardInput: Data(input.utf8)
        )
        #expect(run.status == 1)  // one bad line
        let records = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(records.map { $0["input"] as? String } == ["a.example", "B.example", "not an ioc", "a.example"])
        #expect(records.map { $0["status"] as? String } == ["live", "live", "failed", "live"])
        #expect(fake.requests(for: "a.example") == 1)
        #expect(!(run.stdout + run.stderr).contains(FakeVirusTotal.secret))

        let empty = try Self.runBinary(["vt", "enrich", "-", "--json"], environment: fake.environment())
        #expect(empty.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [Any])?.isEmpty == true)
        let csv = try Self.runBinary(
            ["vt", "enrich", "-", "--format", "csv"],
            environment: fake.environment(),
            standardInput: Data("b.example\n".utf8)
        )
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("input,type,status,verdict"))
        #expect(csv.stdout.contains("b.example,domain,cached"))
    }

    @Test func reportTTLComesFromTheOptionOrTheEnvironmentAndBadValuesAreUsageErrors() async throws {
        let fake = try FakeVirusTotal()
        let first = await runCLI(["vt", "lookup", "ttl.example", "--ttl", "2h"], environment: fake.environment())
        #expect(first.code == .success)
        let again = await runCLI(
            ["vt", "lookup", "ttl.example", "--ttl", "0", "--json"],
            environment: fake.environment()
        )
        #expect(again.code == .success)
        #expect(again.stdout.contains("\"cached\""))
        var environment = fake.environment()
        environment["VT_REPORT_TTL"] = "45m"
        let fromEnvironment = await runCLI(["vt", "lookup", "ttl.example", "--json"], environment: environment)
        #expect(fromEnvironment.code == .success)
        #expect(fromEnvironment.stdout.contains("\"cached\""))
        #expect(fake.requests(for: "ttl.example") == 1)

        let badOption = await runCLI(
            ["vt", "lookup", "ttl.example", "--ttl", "soonish"],
            environment: fake.environment()
        )
        #expect(badOption.code == .usage)
        #expect(!badOption.stderr.contains("soonish"))
        environment["VT_REPORT_TTL"] = "forever-ish"
        let badVariable = await runCLI(["vt", "lookup", "ttl.example", "--json"], environment: environment)
        #expect(badVariable.code == .usage)
        #expect(badVariable.stderr.contains("VT_REPORT_TTL"))
        #expect(fake.requests(for: "ttl.example") == 1)
        let help = await runCLI(["vt", "lookup", "--help"], environment: fake.environment())
        #expect(help.stdout.contains("--ttl"))
    }

    @Test func everyKeyRefusedIsExit3EvenBesideABadLine() async throws {
        let fake = try FakeVirusTotal()
        let file = try fake.write(["a.example", "not an ioc", "b.example"])
        let run = await runCLI(
            ["vt", "enrich", file, "--json"],
            environment: fake.environment(secret: FakeVirusTotal.refusedSecret)
        )
        #expect(run.code == .noUsableKey)
        #expect(!run.allOutput.contains(FakeVirusTotal.refusedSecret))
        #expect((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [Any])?.count == 3)
    }

    @Test func aHugeLineIsOneFailureAndIsNotEchoedWhole() async throws {
        let fake = try FakeVirusTotal()
        let huge = String(repeating: "a", count: 200_000) + ".example"
        let file = try fake.write(["a.example", huge])
        for format in ["json", "csv", "table"] {
            let run = await runCLI(["vt", "enrich", file, "--format", format], environment: fake.environment())
            #expect(run.code == .someFailed)
            #expect(run.stdout.utf8.count < 10_000)
            if format == "json" {
                let records = try #require(
                    try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]
                )
                #expect((records[1]["error"] as? [String: Any])?["code"] as? String == "invalidIOC")
                #expect((records[1]["input"] as? String)?.hasSuffix("(200008 characters)") == true)
            }
        }
        #expect(fake.server.requests.count == 1)
    }

    /// Runs the built binary with `standardInput` on its stdin (empty by default).
    static func runBinary(
        _ arguments: [String],
        environment: [String: String],
        standardInput: Data = Data()
    ) throws -> ExecutableTests.Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-stdin-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = ["stdin", "stdout", "stderr"].map { directory.appendingPathComponent($0) }
        _ = FileManager.default.createFile(atPath: paths[0].path, contents: standardInput)
        _ = FileManager.default.createFile(atPath: paths[1].path, contents: nil)
        _ = FileManager.default.createFile(atPath: paths[2].path, contents: nil)
        let handles = [
            try FileHandle(forReadingFrom: paths[0]), try FileHandle(forWritingTo: paths[1]),
            try FileHandle(forWritingTo: paths[2]),
        ]
        let process = Process()
        process.executableURL = try ExecutableTests.binary()
        process.arguments = arguments
        process.environment = environment
        process.standardInput = handles[0]
        process.standardOutput = handles[1]
        process.standardError = handles[2]
        try process.run()
        process.waitUntilExit()
        for handle in handles { try handle.close() }
        return ExecutableTests.Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: paths[1], encoding: .utf8),
            stderr: try String(contentsOf: paths[2], encoding: .utf8)
        )
    }

    /// A run-queue with nothing due says so in a line, not with an empty table; --json still prints its list.
    @Test func runQueueWithNothingToRunSaysSo() async throws {
        let fake = try FakeVirusTotal()
        let empty = await runCLI(["vt", "run-queue"], environment: fake.environment())
        #expect(empty.code == .success)
        #expect(empty.stdout.isEmpty)
        #expect(empty.stderr == "keyrotation: the queue is empty\n")

        // One lookup a minute: the second is queued for the next minute.
        let queued = await runCLI(
            ["vt", "lookup", "a.example", "b.example", "--no-wait", "--key-rate", "1/min"],
            environment: fake.environment()
        )
        #expect(queued.code == .success, "\(queued.stderr)")
        let notYet = await runCLI(["vt", "run-queue", "--key-rate", "1/min"], environment: fake.environment())
        #expect(notYet.code == .success, "\(notYet.stderr)")
        #expect(notYet.stdout.isEmpty)
        #expect(notYet.stderr.hasPrefix("keyrotation: nothing in the queue can run yet (1 queued); the next at "))
        let json = await runCLI(["vt", "run-queue", "--json", "--key-rate", "1/min"], environment: fake.environment())
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any] != nil)
        #expect(fake.requests(for: "b.example") == 0)
    }

    @Test func aStoreThatIsNotADatabaseIsASetupError() async throws {
        let fake = try FakeVirusTotal()
        var environment = fake.environment()
        let path = try #require(environment["KEYROTATION_STORE"])
        try Data(repeating: 0x42, count: 5000).write(to: URL(fileURLWithPath: path))
        environment["KEYROTATION_STORE"] = path
        let run = await runCLI(["vt", "lookup", "good.example"], environment: environment)
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("keyrotation: key-state store (--store, else KEYROTATION_STORE): "))
        #expect(fake.requests(for: "good.example") == 0)
        #expect(!run.allOutput.contains(FakeVirusTotal.secret))
    }
}
