import Foundation
import KeyRotationTesting
import Testing

/// Runs the built `keyrotation` binary as a separate process: real exit codes, stdout and stderr kept apart.
@Suite struct ExecutableTests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `keyrotation` binary in the build products directory that holds this test bundle.
    static func binary() throws -> URL {
        try #require(
            BuiltProduct.named("keyrotation")?.url,
            "build the binary first: swift build --product keyrotation"
        )
    }

    /// Runs the binary; `standardOutput` sends its stdout to that file instead of a temporary one (read back as "").
    static func run(
        _ arguments: [String],
        environment: [String: String],
        standardOutput: String? = nil
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-exec-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout")
        let err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: standardOutput.map { URL(fileURLWithPath: $0) } ?? out)
        let errHandle = try FileHandle(forWritingTo: err)
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8)
        )
    }

    /// A fresh home folder for one test (the command creates its default store under it), removed afterwards.
    private static func withHome<T>(_ body: (String) throws -> T) throws -> T {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-home-\(UUID())").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        return try body(home)
    }

    @Test func realExitCodesAndSeparateStreams() throws {
        try Self.withHome { home in try Self.realExitCodesAndSeparateStreams(home: home) }
    }

    private static func realExitCodesAndSeparateStreams(home: String) throws {
        let secret = "execSecretValue0123456789"
        let environment = ["VT_API_KEYS": "\(secret),execSecretOther", "HOME": home]

        let ok = try Self.run(["keys", "status", "--provider", "vt"], environment: environment)
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("KEY   STATE"))
        #expect(ok.stderr.isEmpty)
        #expect(!(ok.stdout + ok.stderr).contains("execSecret"))

        let noKeys = try Self.run(["keys", "status", "--provider", "vt"], environment: ["HOME": home])
        #expect(noKeys.status == 3)
        #expect(noKeys.stdout.isEmpty)
        #expect(noKeys.stderr.contains("VT_API_KEYS"))

        let usage = try Self.run(["keys", "status", "--provider", "vt", "--bogus"], environment: environment)
        #expect(usage.status == 2)
        #expect(usage.stdout.isEmpty)
        #expect(
            usage.stderr == "keyrotation: unknown option '--bogus'\nRun 'keyrotation keys status --help' for usage.\n"
        )

        let bare = try Self.run([], environment: environment)
        #expect(bare.status == 2)
        #expect(bare.stdout.isEmpty)
        #expect(bare.stderr.contains("Usage: keyrotation"))

        let version = try Self.run(["--version"], environment: environment)
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("keyrotation "))
        #expect(version.stderr.isEmpty)
    }

    /// -v binds a task-local observer around the command; a release build once crashed there (SIGSEGV) before
    /// the command ran (run `swift test -c release` to cover the optimized binary).
    @Test func verboseRunsTheCommand() throws {
        let verbose = try Self.withHome { home in
            try Self.run(
                ["keys", "status", "--provider", "vt", "-v"],
                environment: ["VT_API_KEYS": "execSecretValue0123456789", "HOME": home]
            )
        }
        #expect(verbose.status == 0)
        #expect(verbose.stdout.hasPrefix("KEY   STATE"))
        #expect(!(verbose.stdout + verbose.stderr).contains("execSecret"))
    }

    /// A full disk on stdout: exit 4 and the reason on stderr, never a silent exit 0.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full"))
    func aFullStandardOutputExits4SayingWhy() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-home-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let environment = ["VT_API_KEYS": "execSecretValue0123456789", "HOME": home]
        for arguments in [["--version"], ["keys", "status", "--provider", "vt"], ["keys", "status", "--help"]] {
            let full = try Self.run(arguments, environment: environment, standardOutput: "/dev/full")
            #expect(full.status == 4, "\(arguments)")
            #expect(full.stderr == "keyrotation: cannot write to standard output: No space left on device\n")
            #expect(!full.stderr.contains("execSecret"))
        }
    }
}
