import Foundation
import Testing

@testable import KeyRotationCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Results that can't be written (a full disk, an I/O error) stop the command with exit 4 and a message naming
/// what failed; they never pass for written.
@Suite struct OutputWriteFailureTests {
    static let hasDevFull = FileManager.default.fileExists(atPath: "/dev/full")

    @Test(.enabled(if: Self.hasDevFull, "needs /dev/full"))
    func standardStreamReportsTheSystemsReason() throws {
        let descriptor = open("/dev/full", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let stream = StandardStream(descriptor: descriptor, name: "standard output")
        let error = #expect(throws: OutputWriteError.self) { try stream.write("a line\n") }
        #expect(error?.code == ENOSPC)
        #expect(error?.message == "cannot write to standard output: No space left on device")
    }

    @Test(arguments: [["--version"], ["--help"], ["keys", "--help"], ["help", "keys", "status"]])
    func helpAndVersionThatCannotBeWrittenExit4(_ arguments: [String]) async {
        let run = await runCLI(arguments, output: FailingOutput(failingAfter: 0))
        #expect(run.code == .outputFailed)
        #expect(run.stderr == "keyrotation: cannot write to standard output: No space left on device\n")
    }

    @Test(arguments: [[], ["--json"]])
    func keysStatusThatCannotBeWrittenExits4(_ format: [String]) async {
        let run = await runCLI(
            ["keys", "status", "--provider", "vt"] + format,
            environment: ["VT_API_KEYS": "vtSecretWriteFailure0123456789"],
            output: FailingOutput(failingAfter: 0)
        )
        #expect(run.code == .outputFailed)
        #expect(run.stderr == "keyrotation: cannot write to standard output: No space left on device\n")
        #expect(!run.allOutput.contains("vtSecretWriteFailure"))
    }

    @Test func aCommandThatFailsToWriteItsOutputExits4() async {
        // The test command writes 6 lines: the third fails, and the command stops there.
        let output = FailingOutput(failingAfter: 2)
        let run = await runCLI(["test", "echo"], groups: testGroups, output: output)
        #expect(run.code == .outputFailed)
        #expect(run.stdout == "count=nil\ntags=\n")
        #expect(output.failures == 1)
        #expect(run.stderr == "keyrotation: cannot write to standard output: No space left on device\n")
    }

    @Test func aLookupThatCannotBeWrittenExits4() async throws {
        let fake = try FakeVirusTotal()
        for format in [[], ["--json"]] {
            let run = await runCLI(
                ["vt", "lookup", "good.example", "--key-rate", "100/min"] + format,
                environment: fake.environment(),
                output: FailingOutput(failingAfter: 0)
            )
            #expect(run.code == .outputFailed)
            #expect(run.stderr.hasSuffix("keyrotation: cannot write to standard output: No space left on device\n"))
            #expect(!run.allOutput.contains(FakeVirusTotal.secret))
        }
    }

    /// A write that fails on an --output file is reported with the file's path and leaves the file as it was.
    @Test func anOutputFileThatCannotBeWrittenIsLeftAsItWas() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-full-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.txt").path
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        let file = try OutputFile(path: path)
        try file.write("new\n")
        // A discarded file can't be written: the write says so (EBADF) instead of passing for written.
        file.discard()
        let error = #expect(throws: OutputWriteError.self) { try file.write("more\n") }
        #expect(error?.message.hasPrefix("cannot write to \(path): ") == true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.txt"])
    }
}
