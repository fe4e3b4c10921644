import Foundation
import Testing

@testable import KeyRotationCLI

@Suite struct KeyRotationCommandLineTests {
    static let hint = "Run 'keyrotation test echo --help' for usage.\n"

    @Test func noArgumentsPrintsTopLevelHelpToStderrAndExits2() async {
        let run = await runCLI([])
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("Usage: keyrotation <group> <command>"))
        #expect(run.stderr.contains("Command groups:"))
    }

    @Test(arguments: [["--help"], ["-h"], ["help"]])
    func topLevelHelpListsGroupsGlobalOptionsExitCodesAndEnvironment(_ arguments: [String]) async {
        let run = await runCLI(arguments, groups: testGroups)
        #expect(run.code == .success)
        #expect(run.stderr.isEmpty)
        for text in [
            "keys", "test", "Commands for tests", "--key-rate LIMITS", "--strategy NAME", "--store PATH", "--json",
            "-h, --help", "--version", "VT_API_KEYS", "APTOS_API_KEYS", "NODIT_API_KEYS", "KEYROTATION_STORE",
            "XDG_DATA_HOME", "VIRUSTOTAL_BASE_URL", "APTOS_BASE_URL", "NODIT_BASE_URL", "NODIT_WEB3_BASE_URL",
            "VT_REPORT_TTL", "APTOS_REQUEST_COST", "NODIT_REQUEST_COST", "-v, --verbose", "Exit codes:", "0   success",
            "1   some items failed", "2   usage or setup error",
            "3   no usable key", "4   the results could not be written",
        ] {
            #expect(run.stdout.contains(text), "missing \(text)")
        }
    }

    @Test func versionPrintsTheVersion() async {
        let run = await runCLI(["--version"])
        #expect(run.code == .success)
        #expect(run.stdout == "keyrotation \(KeyRotationCommandLine.version)\n")
        #expect(run.stderr.isEmpty)
    }

    @Test(arguments: [["keys", "--help"], ["keys", "-h"], ["help", "keys"]])
    func groupHelpListsItsCommands(_ arguments: [String]) async {
        let run = await runCLI(arguments)
        #expect(run.code == .success)
        #expect(run.stdout.contains("Usage: keyrotation keys <command>"))
        #expect(run.stdout.contains("status"))
        #expect(run.stderr.isEmpty)
    }

    @Test func aGroupWithoutACommandPrintsItsHelpToStderrAndExits2() async {
        let run = await runCLI(["keys"])
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("Usage: keyrotation keys <command>"))
    }

    @Test(arguments: [["keys", "status", "--help"], ["keys", "status", "-h"], ["help", "keys", "status"]])
    func commandHelpShowsUsageOptionsGlobalOptionsAndExamples(_ arguments: [String]) async {
        let run = await runCLI(arguments)
        #expect(run.code == .success)
        #expect(run.stderr.isEmpty)
        for text in [
            "Usage: keyrotation keys status --provider vt|aptos|nodit [options]", "Options:", "-o, --output FILE",
            "(required)", "Global options:", "--key-rate LIMITS", "Examples:", "keyrotation keys status --provider vt",
            "Exit codes: 0 success, 1 some items failed, 2 usage or setup error, 3 no usable key, "
                + "4 output not written.",
        ] {
            #expect(run.stdout.contains(text), "missing \(text)")
        }
    }

    @Test func helpIsShownEvenWithOtherMistakes() async {
        let run = await runCLI(["test", "echo", "--bogus", "--count", "x", "--help"], groups: testGroups)
        #expect(run.code == .success)
        #expect(run.stdout.contains("Usage: keyrotation test echo [options] [ITEM...]"))
        #expect(run.stdout.contains("-c, --count N"))
    }

    struct UsageCase: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var stderr: String
        var testDescription: String { self.arguments.joined(separator: " ") }
    }

    @Test(arguments: [
        UsageCase(
            arguments: ["bogus"],
            stderr: "keyrotation: unknown command group 'bogus'\nRun 'keyrotation --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["Sk9Secret"],
            stderr: "keyrotation: unknown command group\nRun 'keyrotation --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["keys", "bogus"],
            stderr: "keyrotation: unknown command 'bogus' in group keys\nRun 'keyrotation keys --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["keys", "--json"],
            stderr: "keyrotation: missing command before '--json'\nRun 'keyrotation keys --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["--bogus", "keys"],
            stderr:
                "keyrotation: unknown option '--bogus' before the command group\nRun 'keyrotation --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["--json"],
            stderr: "keyrotation: missing command group\nRun 'keyrotation --help' for usage.\n"
        ),
        UsageCase(arguments: ["test", "echo", "--bogus"], stderr: "keyrotation: unknown option '--bogus'\n" + hint),
        UsageCase(
            arguments: ["test", "echo", "--count"],
            stderr: "keyrotation: option --count needs a value (--count N)\n" + hint
        ),
        UsageCase(
            arguments: ["test", "echo", "--count", "lots"],
            stderr: "keyrotation: option --count needs a whole number, from 1 to 10\n" + hint
        ),
        UsageCase(
            arguments: ["test", "echo", "--strategy", "fastest"],
            stderr: "keyrotation: option --strategy must be one of round-robin, weighted, most-remaining, "
                + "health-aware\n" + hint
        ),
        UsageCase(
            arguments: ["keys", "status"],
            stderr: "keyrotation: missing option --provider vt|aptos|nodit\n"
                + "Run 'keyrotation keys status --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["keys", "status", "--provider", "vt", "extra"],
            stderr: "keyrotation: unexpected argument (#1): this command takes no arguments\n"
                + "Run 'keyrotation keys status --help' for usage.\n"
        ),
        UsageCase(
            arguments: ["keys", "status", "--provider", "virustotal"],
            stderr: "keyrotation: option --provider must be one of vt, aptos, nodit\n"
                + "Run 'keyrotation keys status --help' for usage.\n"
        ),
    ])
    func usageErrorsExit2WithAMessageAndAHint(_ example: UsageCase) async {
        let run = await runCLI(example.arguments, groups: testGroups)
        #expect(run.code == .usage)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == example.stderr)
    }

    @Test func aBadKeyRateIsAUsageErrorWithTheParsersMessage() async {
        let run = await runCLI(["test", "echo", "--key-rate", "4/fortnight"], groups: testGroups)
        #expect(run.code == .usage)
        #expect(run.stderr.hasPrefix("keyrotation: --key-rate: cannot read the rate limit '4/fortnight'"))
        #expect(run.stderr.hasSuffix(Self.hint))
    }

    @Test func optionsReachTheCommandInEveryForm() async {
        let run = await runCLI(
            ["--json", "test", "echo", "-c3", "--tag=a", "--tag", "b", "--mode", "slow", "x", "--", "-y", "-"],
            groups: testGroups
        )
        #expect(run.code == .success)
        #expect(run.stdout == "count=3\ntags=a|b\nmode=slow\nverbose=false\njson=true\nitems=x|-y|-\n")
        #expect(run.stderr.isEmpty)
    }

    @Test func theCommandsExitCodeIsReturned() async {
        let run = await runCLI(["test", "echo", "-v"], groups: testGroups)
        #expect(run.code == .someFailed)
    }

    @Test func progressIsDrawnInPlaceOnATerminalOnlyOrWhenForced() async {
        let quiet = await runCLI(["test", "echo"], groups: testGroups)
        #expect(quiet.stderr.isEmpty)
        let forced = await runCLI(["test", "echo", "--progress"], groups: testGroups)
        #expect(forced.stderr == "1/2 echoed\n2/2 echoed\n")
        let terminal = await runCLI(["test", "echo"], groups: testGroups, stderrIsTerminal: true)
        #expect(terminal.stderr == "\r1/2 echoed\u{1B}[K\r2/2 echoed\u{1B}[K\n")
    }

    @Test func outputFileIsWrittenAtomicallyAndLeftAloneOnFailure() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.txt").path
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)

        let failed = await runCLI(["test", "fail", "--output", path], groups: testGroups)
        #expect(failed.code == .someFailed)
        #expect(failed.stderr == "keyrotation: it broke\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")

        let written = await runCLI(["test", "echo", "-o", path, "--tag", "t"], groups: testGroups)
        #expect(written.code == .success)
        #expect(written.stdout.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("count=nil\ntags=t\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.txt"])
    }

    @Test func anUnwritableOutputDirectoryFailsWithExit1() async {
        let run = await runCLI(["test", "echo", "-o", "/nonexistent-keyrotation-dir/out.txt"], groups: testGroups)
        #expect(run.code == .someFailed)
        #expect(run.stderr.hasPrefix("keyrotation: cannot create a file in /nonexistent-keyrotation-dir/"))
    }
}
