import Foundation
import KeyRotation
import KeyRotationStore
import KeyRotationTesting
import Testing

@testable import KeyRotationCLI

@Suite struct KeysStatusCommandTests {
    static let secrets = ["vtSecretAlpha0123456789abcdef", "vtSecretBravo9876543210fedcba"]
    static let environment = ["VT_API_KEYS": Self.secrets.joined(separator: ",")]

    static func expectNoSecret(in run: CLIRun, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Self.secrets {
            #expect(!run.allOutput.contains(secret), "a secret leaked", sourceLocation: sourceLocation)
        }
    }

    @Test func noKeysExits3NamingTheVariables() async {
        let run = await runCLI(["keys", "status", "--provider", "vt"], environment: ["NODIT_API_KEY": Self.secrets[0]])
        #expect(run.code == .noUsableKey)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr == "keyrotation: no VirusTotal API key: set VT_API_KEYS, VT_API_KEY, VT_API_KEY_1…N "
                + "(for example VT_API_KEYS=key1,key2)\n"
        )
        Self.expectNoSecret(in: run)
    }

    @Test func noNoditKeysNamesTheVariables() async {
        let run = await runCLI(["keys", "status", "--provider", "nodit"], environment: Self.environment)
        #expect(run.code == .noUsableKey)
        #expect(run.stderr.contains("NODIT_API_KEYS"))
    }

    /// Aptos Labs serves requests without a key: no Aptos keys is a state to report, not an error.
    @Test func noAptosKeysSaysRequestsGoWithoutAKey() async throws {
        let run = await runCLI(["keys", "status", "--provider", "aptos"], environment: Self.environment)
        #expect(run.code == .success, "\(run.stderr)")
        #expect(run.stdout.contains("requests go without a key") && run.stdout.contains("APTOS_API_KEYS"))
        let json = await runCLI(["keys", "status", "--provider", "aptos", "--json"], environment: Self.environment)
        #expect(json.code == .success)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["keys"] as? [Any])?.isEmpty == true)
    }

    @Test func tableShowsEachKeyByIdWithTheDefaultVirusTotalLimits() async {
        let run = await runCLI(["keys", "status", "--provider", "vt"], environment: Self.environment)
        #expect(run.code == .success)
        #expect(run.stderr.isEmpty)
        #expect(
            run.stdout == """
                KEY   STATE      USES  LEFT 4/1m  LEFT 500/day UTC  NEXT AVAILABLE
                vt-1  available     0          4               500  now
                vt-2  available     0          4               500  now

                """
        )
        Self.expectNoSecret(in: run)
    }

    @Test func jsonShowsEachKeyByIdAndWhatIsLeft() async throws {
        let run = await runCLI(
            ["keys", "status", "--provider", "vt", "--json", "--strategy", "round-robin"],
            environment: Self.environment
        )
        #expect(run.code == .success)
        Self.expectNoSecret(in: run)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["provider"] as? String == "vt")
        #expect(object["strategy"] as? String == "round-robin")
        let keys = try #require(object["keys"] as? [[String: Any]])
        #expect(keys.map { $0["id"] as? String } == ["vt-1", "vt-2"])
        #expect(keys.allSatisfy { $0["state"] as? String == "available" })
        let limits = try #require(keys.first?["limits"] as? [[String: Any]])
        #expect(limits.map { $0["limit"] as? String } == ["4/1m", "500/day UTC"])
        #expect(limits.map { $0["remaining"] as? Int } == [4, 500])
    }

    @Test func keyRateReplacesTheDefaultsAndAProviderWithoutLimitsSaysSo() async {
        let rated = await runCLI(
            ["keys", "status", "--provider", "nodit", "--key-rate", "10/s", "--key-rate=100/day"],
            environment: ["NODIT_API_KEY_1": "noditSecretOne", "NODIT_API_KEY_2": "noditSecretTwo"]
        )
        #expect(rated.code == .success)
        #expect(rated.stdout.hasPrefix("KEY      STATE      USES  LEFT 10/1s  LEFT 100/day UTC  NEXT AVAILABLE\n"))
        #expect(rated.stdout.contains("nodit-2  available     0          10               100  now\n"))
        #expect(!rated.allOutput.contains("noditSecret"))

        let unlimited = await runCLI(
            ["keys", "status", "--provider", "aptos"],
            environment: ["APTOS_API_KEY": "aptosSecret"]
        )
        #expect(
            unlimited.stdout
                == "KEY      STATE      USES  LIMITS      NEXT AVAILABLE\naptos-1  available     0  none known  now\n"
        )
    }

    /// What each limit has left comes from the store, rolling windows included: uses an earlier run made in the
    /// last minute show, although a new pool can't replay their instants.
    @Test func limitsLeftCountTheUsesOfEarlierRunsInTheStore() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID()).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try SQLiteKeyStateStore(path: path)
        let limits: [RateLimit] = [.perMinute(4), .perDay(500)]
        let fingerprint = APIKey(Self.secrets[0]).fingerprint
        for _ in 0..<3 { _ = try store.admit(fingerprint: fingerprint, cost: 1, limits: limits, at: Timestamp(Date())) }
        let run = await runCLI(
            ["keys", "status", "--provider", "vt", "--json", "--store", path],
            environment: Self.environment
        )
        #expect(run.code == .success, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let keys = try #require(object["keys"] as? [[String: Any]])
        let left = keys.map { key in ((key["limits"] as? [[String: Any]]) ?? []).map { $0["remaining"] as? Int } }
        #expect(left == [[1, 497], [4, 500]])
    }

    /// USES shows what the store recorded (earlier runs, other processes), not only this process's leases.
    @Test func usesShowWhatTheStoreRecorded() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID()).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try SQLiteKeyStateStore(path: path)
        let limits: [RateLimit] = [.perMinute(4), .perDay(500)]
        let fingerprint = APIKey(Self.secrets[1]).fingerprint
        let earlier = Timestamp(Date()).advanced(by: .seconds(-120))  // out of the minute, within the day (mostly)
        for _ in 0..<19 { _ = try store.admit(fingerprint: fingerprint, cost: 1, limits: [.perDay(500)], at: earlier) }
        for _ in 0..<2 { _ = try store.admit(fingerprint: fingerprint, cost: 1, limits: limits, at: Timestamp(Date())) }
        let run = await runCLI(["keys", "status", "--provider", "vt", "--store", path], environment: Self.environment)
        #expect(run.code == .success, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows.first?.prefix(3) == ["KEY", "STATE", "USES"])
        let second = try #require(rows.first { $0.first == "vt-2" })
        // Today's count: 21, or 2 when the run is within two minutes of 00:00 UTC (the earlier uses were yesterday).
        #expect(second[2] == "21" || second[2] == "2")
        #expect(second[3] == "2")
        #expect(second[4] == (second[2] == "21" ? "479" : "498"))
        #expect(rows.first { $0.first == "vt-1" }?[2] == "0")
        Self.expectNoSecret(in: run)
    }

    @Test(arguments: ["garbage", "under-a-file"])
    func aStoreFileThatCannotBeOpenedIsASetupError(_ kind: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("status-bad-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("one.txt").path
        try Data(repeating: 0xA5, count: 5000).write(to: URL(fileURLWithPath: file))
        let path = kind == "garbage" ? file : file + "/x.sqlite"
        let run = await runCLI(["keys", "status", "--provider", "vt", "--store", path], environment: Self.environment)
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("keyrotation: key-state store (--store, else KEYROTATION_STORE): "))
        #expect(run.stderr.contains(path))
        #expect(!run.stderr.contains("Run 'keyrotation"))
        Self.expectNoSecret(in: run)
    }

    @Test func theStateStoreFactoryGetsTheResolvedPath() async {
        let seen = PathRecorder()
        let commandLine = KeyRotationCommandLine(makeStateStore: { path in
            seen.record(path)
            return nil
        })
        let environment = Self.environment.merging(["KEYROTATION_STORE": "/tmp/env-store.sqlite"]) { $1 }
        for arguments in [[], ["--store", "/tmp/flag-store.sqlite"]] {
            let code = await commandLine.run(
                arguments: ["keys", "status", "--provider", "vt"] + arguments,
                environment: environment,
                stdout: CapturedOutput(),
                stderr: CapturedOutput()
            )
            #expect(code == .success)
        }
        #expect(seen.paths == ["/tmp/env-store.sqlite", "/tmp/flag-store.sqlite"])
    }

    /// Nothing was done: the run could not start (exit 2, not 1, which says some items failed).
    @Test func aStoreThatCannotOpenExits2NamingThePath() async {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk on fire" } }
        let commandLine = KeyRotationCommandLine(makeStateStore: { _ in throw Broken() })
        let stderr = CapturedOutput()
        let code = await commandLine.run(
            arguments: ["keys", "status", "--provider", "vt", "--store", "/tmp/x.sqlite"],
            environment: Self.environment,
            stdout: CapturedOutput(),
            stderr: stderr
        )
        #expect(code == .usage)
        #expect(
            stderr.text
                == "keyrotation: key-state store (--store, else KEYROTATION_STORE): cannot open /tmp/x.sqlite: "
                + "disk on fire\n"
        )
    }
}

/// Paths a store factory was called with.
final class PathRecorder: Sendable {
    private let storage = Locked<[String]>([])
    func record(_ path: String) { self.storage.withLock { $0.append(path) } }
    var paths: [String] { self.storage.value }
}
