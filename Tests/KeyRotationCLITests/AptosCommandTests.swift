import Dispatch
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import KeyRotationTesting
import Testing

@testable import KeyRotationCLI

/// A loopback server that answers as a `SimulatedProvider` of `flavour` (on the continuous clock, no latency).
private final class SimulatedServer: Sendable {
    let provider: SimulatedProvider<ContinuousClock>
    let server: LoopbackServer

    init(
        flavour: SimulatedFlavour,
        keys: [String: SimulatedKeyBehaviour] = [:],
        ledger: SimulatedLedger = SimulatedLedger()
    ) throws {
        let provider = SimulatedProvider(
            configuration: SimulatedProviderConfiguration(flavour: flavour, keys: keys, ledger: ledger)
        )
        self.provider = provider
        self.server = LoopbackServer { request in
            var url = URLComponents(string: "http://127.0.0.1")!
            let parts = request.path.split(separator: "?", maxSplits: 1)
            url.percentEncodedPath = String(parts.first ?? "/")
            if parts.count == 2 { url.percentEncodedQuery = String(parts[1]) }
            let outgoing = HTTPRequest(
                method: HTTPMethod(request.method),
                url: url.url!,
                headers: request.headers,
                body: request.body.isEmpty ? nil : request.body
            )
            // The server's handler is synchronous; the simulation answers without sleeping (no latency).
            let answer = Locked<HTTPResponse?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                let response = try? await provider.send(outgoing)
                answer.withLock { $0 = response }
                done.signal()
            }
            done.wait()
            guard let response = answer.value else { return .reset }
            return .response(status: response.status, headers: response.headers, body: response.body)
        }
        try self.server.start()
    }

    func url(_ path: String) -> String { self.server.url(path).absoluteString }

    deinit { self.server.stop() }
}

@Suite("keyrotation aptos / nodit")
struct AptosCommandTests {
    static let aptosSecret = "aptosCliSecret0123456789"
    static let noditSecret = "noditCliSecret0123456789"

    private func aptos(_ ledger: SimulatedLedger = SimulatedLedger()) throws -> SimulatedServer {
        try SimulatedServer(flavour: .aptos, keys: [Self.aptosSecret: .healthy(label: "aptos-1")], ledger: ledger)
    }

    private func environment(_ server: SimulatedServer, keys: Bool = true) -> [String: String] {
        var environment = ["APTOS_BASE_URL": server.url("/v1")]
        if keys { environment["APTOS_API_KEYS"] = Self.aptosSecret }
        return environment
    }

    @Test func ledgerPrintsTheLedgerAsJSON() async throws {
        let server = try self.aptos(SimulatedLedger(headVersion: 123_456, oldestVersion: 100))
        let run = await runCLI(["aptos", "ledger", "--json"], environment: self.environment(server))
        #expect(run.code == .success, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["ledger_version"] as? Int == 123_456)
        #expect(object["oldest_ledger_version"] as? Int == 100)
        #expect(object["endpoint"] as? String == "aptos")
        #expect(!run.allOutput.contains(Self.aptosSecret))
        #expect(server.provider.log.first?.keyID == "aptos-1")
    }

    @Test func keylessWorks() async throws {
        let server = try self.aptos()
        let run = await runCLI(["aptos", "ledger"], environment: self.environment(server, keys: false))
        #expect(run.code == .success, "\(run.stderr)")
        #expect(run.stdout.contains("ledger version"))
        #expect(server.provider.log.first?.keyID == "anonymous")
    }

    @Test func accountShowsTheLongFormAddress() async throws {
        let server = try self.aptos()
        let run = await runCLI(["aptos", "account", "0x1"], environment: self.environment(server))
        #expect(run.code == .success, "\(run.stderr)")
        #expect(run.stdout.contains("0x" + String(repeating: "0", count: 63) + "1"))
        #expect(run.stdout.contains("sequence number"))
    }

    /// A never-used address is "unused" whether the node answers 404 `account_not_found` or a stateless 200 with
    /// sequence number 0 and the address as authentication key (PROVIDERS.md): a result (exit 0), shown the same.
    @Test(arguments: [404, 200])
    func anUnusedAccountIsAResultWhicheverWayTheNodeSaysIt(status: Int) async throws {
        let address = "0x" + String(repeating: "0", count: 60) + "beef"
        let body =
            status == 404
            ? #"{"message":"Account not found by Address(0xbeef) and Ledger version(7)","error_code":"account_not_found","vm_error_code":null}"#
            : #"{"sequence_number":"0","authentication_key":"\#(address)"}"#
        let server = LoopbackServer { _ in
            .text(body, status: status, headers: ["Content-Type": "application/json", "X-Aptos-Chain-Id": "1"])
        }
        try server.start()
        defer { server.stop() }
        let environment = ["APTOS_BASE_URL": server.url("/v1").absoluteString]
        let json = await runCLI(["aptos", "account", "0xbeef", "--json"], environment: environment)
        #expect(json.code == .success, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["address"] as? String == address)
        #expect(object["sequence_number"] as? Int == 0)
        #expect(object["authentication_key"] as? String == address)
        #expect(object["unused"] as? Bool == true)
        let text = await runCLI(["aptos", "account", "0xbeef"], environment: environment)
        #expect(text.code == .success, "\(text.stderr)")
        #expect(text.stdout.contains("unused              yes"))
    }

    /// `--archival`: a pruned read whose error names an archival endpoint on the node's own site (here the same
    /// loopback host, another port) is asked there once; without the flag the pruned error is the answer.
    @Test func archivalFollowsAPrunedReadToTheNodesArchiveOnlyWhenAsked() async throws {
        let page = try Fixture.data("aptos_transactions")
        let archive = LoopbackServer { _ in
            .response(status: 200, headers: ["Content-Type": "application/json", "X-Aptos-Chain-Id": "1"], body: page)
        }
        try archive.start()
        defer { archive.stop() }
        let pruned =
            #"{"error_code":"version_pruned","message":"Ledger version(5) has been pruned","#
            + #""oldest_ledger_version":"2000","archival_endpoint":"\#(archive.url("/v1").absoluteString)"}"#
        let node = LoopbackServer { _ in .text(pruned, status: 410, headers: ["Content-Type": "application/json"]) }
        try node.start()
        defer { node.stop() }
        let environment = ["APTOS_BASE_URL": node.url("/v1").absoluteString]
        let plain = await runCLI(["aptos", "transactions", "--start", "5", "--limit", "2"], environment: environment)
        #expect(plain.code == .someFailed)
        #expect(plain.stderr.contains("2000"))
        #expect(archive.requests.isEmpty)
        let followed = await runCLI(
            ["aptos", "transactions", "--start", "5", "--limit", "2", "--archival", "--json"],
            environment: environment
        )
        #expect(followed.code == .success, "\(followed.stderr)")
        #expect(archive.requests.count == 1)
        #expect(archive.requests.first?.path.hasPrefix("/v1/transactions?start=5&limit=2") == true)
    }

    /// Like `aptos account`: an address with no account on chain yet (404 `account_not_found`) has no resources, a
    /// result (exit 0), not a failure.
    @Test func resourcesOfAnUnusedAccountAreNone() async throws {
        let body = #"{"message":"Account not found by Address(0xbeef)","error_code":"account_not_found"}"#
        let server = LoopbackServer { _ in .text(body, status: 404, headers: ["Content-Type": "application/json"]) }
        try server.start()
        defer { server.stop() }
        let environment = ["APTOS_BASE_URL": server.url("/v1").absoluteString]
        let run = await runCLI(["aptos", "resources", "0xbeef", "--json"], environment: environment)
        #expect(run.code == .success, "\(run.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [Any])?.isEmpty == true)
        #expect(run.stderr.contains("unused"))
    }

    @Test func resourcesListsTypes() async throws {
        let server = try self.aptos()
        let run = await runCLI(["aptos", "resources", "0x1"], environment: self.environment(server))
        #expect(run.code == .success, "\(run.stderr)")
        #expect(run.stdout.contains("0x1::account::Account"))
    }

    @Test func transactionsPrintsAJSONArray() async throws {
        let server = try self.aptos()
        let run = await runCLI(
            ["aptos", "transactions", "--start", "10", "--limit", "5", "--json"],
            environment: self.environment(server)
        )
        #expect(run.code == .success, "\(run.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(array.compactMap { $0["version"] as? Int } == [10, 11, 12, 13, 14])
    }

    @Test func streamPrintsOneObjectPerLineAndResumesFromItsCheckpoint() async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-stream-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = self.environment(server)
        let first = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "249", "--checkpoint", path, "--json"],
            environment: environment
        )
        #expect(first.code == .success, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 250)
        let versions = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["version"] as? Int
        }
        #expect(versions == Array(0...249))
        // Run again over a longer range: only the new versions come out.
        let second = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "299", "--checkpoint", path],
            environment: environment
        )
        #expect(second.code == .success, "\(second.stderr)")
        let compact = second.stdout.split(separator: "\n")
        #expect(compact.count == 50)
        #expect(compact.first?.hasPrefix("250  ") == true)
    }

    @Test func prunedStartFailsOnceNamingTheOldestVersion() async throws {
        let server = try self.aptos(SimulatedLedger(headVersion: 10_000, oldestVersion: 5_000))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-pruned-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = await runCLI(
            ["aptos", "stream", "--from", "1", "--checkpoint", path],
            environment: self.environment(server)
        )
        #expect(run.code == .someFailed)
        #expect(run.stderr.contains("5000"))
        #expect(server.provider.totalRequests == 1)
    }

    @Test(
        "Bad input is a usage error before any request",
        arguments: [
            ["aptos", "account", "0xZZ"],
            ["aptos", "account", "1234"],
            ["aptos", "resources", "0x" + String(repeating: "a", count: 65)],
            ["aptos", "transactions", "--start", "abc"],
            ["aptos", "transactions", "--start", "-1"],
            ["aptos", "transactions", "--start", "1", "--limit", "101"],
            ["aptos", "stream", "--from", "x", "--checkpoint", "/tmp/unused.sqlite"],
            ["aptos", "stream", "--from", "10", "--to", "5", "--checkpoint", "/tmp/unused.sqlite"],
            ["aptos", "stream", "--from", "1", "--checkpoint", ""],
            ["aptos", "ledger", "--network", "moonnet"],
            ["aptos", "ledger", "--via", "somewhere"],
            ["nodit", "tokens", "0xnothex"],
        ]
    )
    func badInputIsAUsageError(arguments: [String]) async throws {
        let server = try self.aptos()
        var environment = self.environment(server)
        environment["NODIT_API_KEYS"] = Self.noditSecret
        environment["NODIT_WEB3_BASE_URL"] = server.url("/v1/aptos/mainnet")
        let run = await runCLI(arguments, environment: environment)
        #expect(run.code == .usage, "\(run.stderr)")
        #expect(server.server.requests.isEmpty)
        #expect(!run.allOutput.contains(Self.aptosSecret) && !run.allOutput.contains(Self.noditSecret))
    }

    @Test func unknownNetworkListsTheValidOnes() async throws {
        let run = await runCLI(["aptos", "ledger", "--network", "moonnet"])
        #expect(run.code == .usage)
        #expect(run.stderr.contains("mainnet") && run.stderr.contains("testnet") && run.stderr.contains("devnet"))
    }

    @Test func insecureBaseURLIsRefused() async throws {
        let run = await runCLI(["aptos", "ledger"], environment: ["APTOS_BASE_URL": "http://example.com/v1"])
        #expect(run.code == .usage)
        #expect(run.stderr.contains("APTOS_BASE_URL"))
    }

    @Test func viaNoditWithoutKeysExits3() async throws {
        let run = await runCLI(["aptos", "ledger", "--via", "nodit"])
        #expect(run.code == .noUsableKey)
        #expect(run.stderr.contains("NODIT_API_KEYS"))
    }

    @Test func autoPrefersNoditWhenItsKeysAreSet() async throws {
        let aptos = try self.aptos()
        let nodit = try SimulatedServer(flavour: .nodit, keys: [Self.noditSecret: .healthy(label: "nodit-1")])
        var environment = self.environment(aptos)
        environment["NODIT_API_KEYS"] = Self.noditSecret
        environment["NODIT_BASE_URL"] = nodit.url("/v1")
        let run = await runCLI(["aptos", "ledger", "--json"], environment: environment)
        #expect(run.code == .success, "\(run.stderr)")
        #expect(run.stdout.contains(#""endpoint":"nodit""#) || run.stdout.contains(#""endpoint" : "nodit""#))
        #expect(aptos.server.requests.isEmpty)
        #expect(!run.allOutput.contains(Self.noditSecret))
    }

    @Test(arguments: [
        ("tokens", "/v1/aptos/mainnet/token/getTokensOwnedByAccount"),
        ("balance-changes", "/v1/aptos/mainnet/token/getTokenBalanceChangesByAccount"),
        ("transactions", "/v1/aptos/mainnet/blockchain/getTransactionsByAccount"),
    ])
    func noditCommandsPostToTheDataAPI(command: String, path: String) async throws {
        let nodit = try SimulatedServer(flavour: .nodit, keys: [Self.noditSecret: .healthy(label: "nodit-1")])
        let environment = [
            "NODIT_API_KEYS": Self.noditSecret,
            "NODIT_WEB3_BASE_URL": nodit.url("/v1/aptos/mainnet"),
        ]
        let run = await runCLI(["nodit", command, "0x1", "--json", "--limit", "5"], environment: environment)
        #expect(run.code == .success, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((object["items"] as? [Any])?.isEmpty == false)
        #expect(nodit.provider.log.first?.path == path)
        #expect(nodit.provider.log.first?.method == .post)
        #expect(!run.allOutput.contains(Self.noditSecret))
    }

    /// `--all` stops at 100 pages; when the API still has more it says so (the cursor to continue from), rather
    /// than passing the first 100 pages off as the whole list.
    /// A Web3 Data API whose transaction list never ends: page n (cursor `page<n-1>`) holds one transaction and the
    /// cursor `page<n>`; pages after `lastGoodPage` fail with a 400.
    private static func endlessWeb3(lastGoodPage: Int = .max) throws -> LoopbackServer {
        let template = try JSONSerialization.jsonObject(with: try Fixture.data("nodit_web3_transactions_by_account"))
        let first = try #require(((template as? [String: Any])?["items"] as? [Any])?.first)
        let item = String(decoding: try JSONSerialization.data(withJSONObject: first), as: UTF8.self)
        let server = LoopbackServer { request in
            let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
            let page = ((body?["cursor"] as? String).flatMap { Int($0.dropFirst(4)) } ?? 0) + 1
            guard page <= lastGoodPage else {
                return .text(#"{"code":"INVALID_PARAMETER","message":"no such cursor"}"#, status: 400)
            }
            let answer = #"{"rpp":1,"cursor":"page\#(page)","items":[\#(item)]}"#
            return .response(status: 200, headers: ["Content-Type": "application/json"], body: Data(answer.utf8))
        }
        try server.start()
        return server
    }

    private static func web3Environment(_ server: LoopbackServer) -> [String: String] {
        ["NODIT_API_KEYS": Self.noditSecret, "NODIT_WEB3_BASE_URL": server.url("/v1/aptos/mainnet").absoluteString]
    }

    @Test func allSaysWhereToContinueWhenItStopsAtItsPageBound() async throws {
        let server = try Self.endlessWeb3()
        defer { server.stop() }
        let environment = Self.web3Environment(server)
        let json = await runCLI(["nodit", "transactions", "0x1", "--all", "--json"], environment: environment)
        #expect(json.code == .success, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["items"] as? [Any])?.count == 100)
        #expect(object["cursor"] as? String == "page100")
        let text = await runCLI(["nodit", "transactions", "0x1", "--all"], environment: environment)
        #expect(text.stderr.contains("--cursor page100"), "\(text.stderr)")
    }

    /// A page after the first fails for good: the pages already read (and paid for) are printed, with the cursor of
    /// the page that failed, and the run fails with the cause.
    @Test func allKeepsThePagesReadWhenALaterPageFails() async throws {
        let server = try Self.endlessWeb3(lastGoodPage: 2)
        defer { server.stop() }
        let environment = Self.web3Environment(server)
        let json = await runCLI(["nodit", "transactions", "0x1", "--all", "--json"], environment: environment)
        #expect(json.code == .someFailed, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["items"] as? [Any])?.count == 2)
        #expect(object["cursor"] as? String == "page2")
        let text = await runCLI(["nodit", "transactions", "0x1", "--all"], environment: environment)
        #expect(text.code == .someFailed)
        #expect(text.stdout.split(separator: "\n").count == 2)
        #expect(text.stderr.contains("more: --cursor page2"), "\(text.stderr)")
    }

    @Test func anEmptyCursorIsAUsageError() async throws {
        let run = await runCLI(
            ["nodit", "tokens", "0x1", "--cursor", ""],
            environment: ["NODIT_API_KEYS": Self.noditSecret]
        )
        #expect(run.code == .usage)
        #expect(run.stderr.contains("--cursor"))
    }

    @Test func noditCommandsNeedKeys() async throws {
        let run = await runCLI(["nodit", "tokens", "0x1"])
        #expect(run.code == .noUsableKey)
        #expect(run.stderr.contains("NODIT_API_KEYS"))
    }

    @Test func streamWithoutACheckpointPrintsTheRange() async throws {
        let server = try self.aptos()
        let run = await runCLI(
            ["aptos", "stream", "--from", "5", "--to", "154", "--json"],
            environment: self.environment(server)
        )
        #expect(run.code == .success, "\(run.stderr)")
        let versions = try run.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["version"] as? Int
        }
        #expect(versions == Array(5...154))
    }

    /// The checkpoint moves after every line written, so a stream killed at any instant repeats at most one line.
    @Test func streamSavesItsCheckpointAfterEachLine() async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-lines-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let checkpoint = CheckpointStore(database: try SQLiteDatabase(path: path))
        let stdout = CheckpointWatchingOutput(checkpoint: checkpoint)
        let environment = self.environment(server).merging(
            ["XDG_DATA_HOME": FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path]
        ) { $1 }
        let code = await KeyRotationCommandLine(groups: CommandRegistry.groups).run(
            arguments: ["aptos", "stream", "--from", "0", "--to", "149", "--checkpoint", path],
            environment: environment,
            stdout: stdout,
            stderr: CapturedOutput()
        )
        #expect(code == .success)
        // When line N is written, the lines before it are saved: the checkpoint says N.
        let seen = stdout.seen
        #expect(seen.count == 150)
        #expect(seen.enumerated().allSatisfy { index, saved in saved == (index == 0 ? nil : UInt64(index)) })
        #expect(try checkpoint.value("aptos.mainnet.transactions") == 150)
    }

    /// SIGINT or SIGTERM while a line is being written waits for that line's checkpoint: the process ends with the
    /// line saved, so a rerun neither repeats nor skips it.
    @Test func aTerminationSignalWaitsForTheLinesCheckpoint() async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-signal-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let checkpoint = CheckpointStore(database: try SQLiteDatabase(path: path))
        let ended = Locked<[(signal: Int32, saved: UInt64?)]>([])
        let termination = TerminationGuard { signal in
            let saved = try? checkpoint.value("aptos.mainnet.transactions")
            ended.withLock { $0.append((signal, saved)) }
        }
        // The signal arrives while the 10th line (version 9) is being written.
        let stdout = SignallingOutput(signal: SIGTERM, atLine: 10, termination: termination)
        let environment = self.environment(server).merging(
            ["XDG_DATA_HOME": FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path]
        ) { $1 }
        _ = await KeyRotationCommandLine(groups: CommandRegistry.groups, termination: termination).run(
            arguments: ["aptos", "stream", "--from", "0", "--to", "49", "--checkpoint", path],
            environment: environment,
            stdout: stdout,
            stderr: CapturedOutput()
        )
        #expect(ended.value.map(\.signal) == [SIGTERM])
        #expect(ended.value.first?.saved == 10)
    }

    /// A line that can't be written (a full disk) stops the stream with exit 4 before its checkpoint is saved: the
    /// checkpoint names that line, and a rerun writes it and everything after, so nothing is lost.
    @Test(arguments: [[], ["--json"]])
    func aLineThatCannotBeWrittenIsNotCheckpointed(_ format: [String]) async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-full-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arguments = ["aptos", "stream", "--from", "0", "--to", "299", "--via", "aptos", "--checkpoint", path]
        // 120 lines go out, the 121st (version 120) fails.
        let full = await runCLI(
            arguments + format,
            environment: self.environment(server),
            output: FailingOutput(failingAfter: 120)
        )
        #expect(full.code == .outputFailed, "\(full.stderr)")
        #expect(full.stderr == "keyrotation: cannot write to standard output: No space left on device\n")
        #expect(full.stdout.split(separator: "\n").count == 120)
        let checkpoint = CheckpointStore(database: try SQLiteDatabase(path: path))
        #expect(try checkpoint.value("aptos.mainnet.transactions") == 120)

        let rerun = await runCLI(arguments, environment: self.environment(server))
        #expect(rerun.code == .success, "\(rerun.stderr)")
        let lines = rerun.stdout.split(separator: "\n")
        #expect(lines.count == 180)
        #expect(lines.first?.hasPrefix("120  ") == true)
        #expect(!(full.allOutput + rerun.allOutput).contains(Self.aptosSecret))
    }

    /// A checkpoint file that is not a checkpoint stops the stream before it starts: exit 2 (not 1: no item
    /// failed), saying how to start over, without the key-state store's advice about quotas.
    @Test func aDamagedCheckpointIsASetupErrorSayingHowToStartOver() async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-damaged-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: path))
        let run = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "9", "--via", "aptos", "--checkpoint", path],
            environment: self.environment(server)
        )
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("keyrotation: cannot read the checkpoint file \(path): "))
        #expect(run.stderr.contains("delete it (or move it aside) to stream again from --from"))
        #expect(!run.stderr.contains("quotas"))
        #expect(!run.stderr.contains("Run 'keyrotation"))
        #expect(server.provider.totalRequests == 0)
    }

    @Test func aCheckpointUnderARegularFileIsASetupError() async throws {
        let server = try self.aptos()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cli-file-\(UUID().uuidString)").path
        try "x\n".write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "9", "--via", "aptos", "--checkpoint", file + "/ck.sqlite"],
            environment: self.environment(server)
        )
        #expect(run.code == .usage)
        #expect(
            run.stderr.hasPrefix("keyrotation: cannot open the checkpoint file \(file)/ck.sqlite (Not a directory)")
        )
        #expect(server.provider.totalRequests == 0)
    }

    @Test func aDamagedKeyStateStoreIsASetupError() async throws {
        let server = try self.aptos()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cli-badstore-\(UUID().uuidString).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x5A, count: 5000).write(to: URL(fileURLWithPath: path))
        let run = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "9", "--via", "aptos", "--store", path],
            environment: self.environment(server)
        )
        #expect(run.code == .usage)
        #expect(run.stderr.hasPrefix("keyrotation: key-state store (--store, else KEYROTATION_STORE): "))
        #expect(run.stderr.contains(path))
        #expect(server.provider.totalRequests == 0)
    }

    /// Every key rejected: exit 3, naming the variables that hold the keys, and no "a key is free at" time (an
    /// invalid key does not come back by waiting).
    @Test(arguments: [("aptos", "APTOS_API_KEYS"), ("nodit", "NODIT_API_KEYS")])
    func everyKeyInvalidNamesTheVariables(_ via: String, _ variable: String) async throws {
        let aptos = try SimulatedServer(flavour: .aptos, keys: [Self.aptosSecret: .invalid(label: "aptos-1")])
        let nodit = try SimulatedServer(flavour: .nodit, keys: [Self.noditSecret: .invalid(label: "nodit-1")])
        var environment = self.environment(aptos)
        environment["NODIT_API_KEYS"] = Self.noditSecret
        environment["NODIT_BASE_URL"] = nodit.url("/v1")
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("cli-inv-\(UUID()).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
        }
        environment["KEYROTATION_STORE"] = store
        for _ in 0..<2 {  // the second run finds the keys marked invalid in the store
            let run = await runCLI(["aptos", "ledger", "--via", via], environment: environment)
            #expect(run.code == .noUsableKey, "\(run.stderr)")
            #expect(run.stderr.contains(variable), "\(run.stderr)")
            #expect(!run.stderr.contains("free at"))
            #expect(!run.allOutput.contains(Self.aptosSecret) && !run.allOutput.contains(Self.noditSecret))
        }
    }

    @Test func keyRateIsHonouredForAptosKeys() async throws {
        let server = try self.aptos()
        // One use in any hour (a rolling window: a calendar hour could end mid-test): the second page can't go out on
        // the only key, so the stream fails without sending it.
        let run = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "299", "--via", "aptos", "--key-rate", "1/3600s"],
            environment: self.environment(server)
        )
        #expect(run.code == .someFailed, "\(run.stderr)")
        #expect(server.provider.totalRequests == 1)
        #expect(run.stdout.split(separator: "\n").count == 100)
    }

    /// NODIT_REQUEST_COST units per request, trimmed as keys are (' 10 ' is 10): 25 units in any hour at 10 a request
    /// let two pages go out and never a third. (Under a heavily loaded machine the second page can time out before
    /// the server sees it, so the count is at most two, and the output holds the pages that came back.)
    @Test(arguments: ["10", " 10 ", "\t10\n"])
    func noditRequestCostSpendsThatManyUnitsOfEachKeysLimits(cost: String) async throws {
        let aptos = try self.aptos()
        let nodit = try SimulatedServer(flavour: .nodit, keys: [Self.noditSecret: .healthy(label: "nodit-1")])
        var environment = self.environment(aptos)
        environment["NODIT_API_KEYS"] = Self.noditSecret
        environment["NODIT_BASE_URL"] = nodit.url("/v1")
        environment["NODIT_REQUEST_COST"] = cost
        environment["APTOS_REQUEST_COST"] = cost
        let run = await runCLI(
            ["aptos", "stream", "--from", "0", "--to", "299", "--via", "nodit", "--key-rate", "25/3600s"],
            environment: environment
        )
        #expect(run.code == .someFailed, "\(run.stderr)")
        #expect(!run.stderr.contains("REQUEST_COST"))
        let sent = nodit.provider.totalRequests
        #expect((1...2).contains(sent), "\(sent) requests")
        let lines = run.stdout.split(separator: "\n").count
        #expect([100, 200].contains(lines) && lines <= 100 * sent, "\(lines) lines")
    }

    @Test(arguments: ["0", "ten", "-3", "2000000"])
    func aBadRequestCostIsAUsageError(value: String) async throws {
        let run = await runCLI(
            ["nodit", "tokens", "0x1"],
            environment: ["NODIT_API_KEYS": Self.noditSecret, "NODIT_REQUEST_COST": value]
        )
        #expect(run.code == .usage)
        #expect(run.stderr.contains("NODIT_REQUEST_COST must be a whole number"))
    }

    @Test func keysEchoedByTheUpstreamAreRedacted() async throws {
        let server = LoopbackServer { _ in
            .text("API key \(Self.aptosSecret) is not allowed here", status: 403)
        }
        try server.start()
        defer { server.stop() }
        let run = await runCLI(
            ["aptos", "ledger"],
            environment: ["APTOS_BASE_URL": server.url("/v1").absoluteString, "APTOS_API_KEYS": Self.aptosSecret]
        )
        #expect(run.code == .someFailed)
        #expect(run.stderr.contains("[redacted]"))
        #expect(!run.allOutput.contains(Self.aptosSecret))
    }
}

/// Standard output that records, for each line written, the checkpoint's value at that moment.
private final class CheckpointWatchingOutput: OutputSink {
    let checkpoint: CheckpointStore
    private let state = Locked<[UInt64?]>([])

    init(checkpoint: CheckpointStore) { self.checkpoint = checkpoint }

    var seen: [UInt64?] { self.state.withLock { $0 } }
    var isTerminal: Bool { false }

    func write(_ text: String) {
        let saved = try? self.checkpoint.value("aptos.mainnet.transactions")
        self.state.withLock { $0.append(saved) }
    }
}

/// Standard output that delivers a termination signal to `termination` while it writes line `atLine`.
private final class SignallingOutput: OutputSink {
    let signal: Int32
    let atLine: Int
    let termination: TerminationGuard
    private let lines = Locked(0)

    init(signal: Int32, atLine: Int, termination: TerminationGuard) {
        self.signal = signal
        self.atLine = atLine
        self.termination = termination
    }

    var isTerminal: Bool { false }

    func write(_ text: String) {
        let count = self.lines.withLock { lines -> Int in
            lines += 1
            return lines
        }
        if count == self.atLine { self.termination.deliver(self.signal) }
    }
}
