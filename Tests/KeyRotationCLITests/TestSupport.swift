import Foundation
import KeyRotation

@testable import KeyRotationCLI

/// What one in-process run of the command line produced.
struct CLIRun: Sendable {
    var code: ExitCode
    var stdout: String
    var stderr: String

    /// Both streams, for "never appears anywhere" checks.
    var allOutput: String { self.stdout + self.stderr }
}

/// Runs `keyrotation` in-process with `environment` (nothing from the real environment leaks in).
///
/// - Parameter output: A stdout that fails after some writes, instead of a buffer; ``CLIRun/stdout`` is then what
///   it took before failing.
func runCLI(
    _ arguments: [String],
    environment: [String: String] = [:],
    groups: [CommandGroup] = CommandRegistry.groups,
    stderrIsTerminal: Bool = false,
    output: FailingOutput? = nil
) async -> CLIRun {
    var environment = environment
    var home: String?
    if environment["KEYROTATION_STORE"] == nil && environment["XDG_DATA_HOME"] == nil {
        // Never touch the real home: each run gets a store of its own, removed when the run ends.
        home =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("keyrotation-cli-\(UUID().uuidString)").path
        environment["XDG_DATA_HOME"] = home
    }
    defer { if let home { try? FileManager.default.removeItem(atPath: home) } }
    let captured = CapturedOutput()
    let stdout: any OutputSink = output ?? captured
    let stderr = CapturedOutput(isTerminal: stderrIsTerminal)
    let commandLine = KeyRotationCommandLine(groups: groups)
    let code = await commandLine.run(arguments: arguments, environment: environment, stdout: stdout, stderr: stderr)
    return CLIRun(code: code, stdout: output?.text ?? captured.text, stderr: stderr.text)
}

/// Standard output on a disk that fills up: the first `writes` writes succeed, every later one fails with ENOSPC,
/// as `write(2)` does.
final class FailingOutput: OutputSink {
    private let state: Locked<(left: Int, text: String, failed: Int)>

    /// Creates a sink that takes `writes` writes, then fails.
    init(failingAfter writes: Int) { self.state = Locked((writes, "", 0)) }

    var isTerminal: Bool { false }

    /// What was written before the failures.
    var text: String { self.state.value.text }
    /// How many writes failed.
    var failures: Int { self.state.value.failed }

    func write(_ text: String) throws(OutputWriteError) {
        let full = self.state.withLock { state -> Bool in
            guard state.left > 0 else {
                state.failed += 1
                return true
            }
            state.left -= 1
            state.text += text
            return false
        }
        if full { throw OutputWriteError(target: "standard output", code: ENOSPC) }
    }
}

/// A command for exercising the framework: prints what it parsed.
struct EchoCommand: CLICommand {
    let name = "echo"
    let summary = "Print the parsed options"

    var options: [OptionSpec] {
        [
            .integer("count", short: "c", help: "How many", range: 1...10),
            .text("tag", placeholder: "TAG", help: "A tag", repeatable: true),
            .choice("mode", ["fast", "slow"], help: "The mode"),
            .flag("verbose", short: "v", help: "Say more"),
            .output,
            .progress,
        ]
    }

    var arguments: [ArgumentSpec] { [ArgumentSpec("ITEM", help: "Items", arity: .zeroOrMore)] }
    var examples: [String] { ["keyrotation test echo -c 2 a b"] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let arguments = invocation.arguments
            return try await invocation.withOutput { sink in
                try sink.line("count=\(arguments.integer("count").map(String.init) ?? "nil")")
                try sink.line("tags=\(arguments.allValues("tag").joined(separator: "|"))")
                try sink.line("mode=\(arguments.value("mode") ?? "nil")")
                try sink.line("verbose=\(arguments.flag("verbose"))")
                try sink.line("json=\(invocation.global.json)")
                try sink.line("items=\(arguments.argument("ITEM").joined(separator: "|"))")
                let progress = invocation.progress(label: "echoed", total: 2)
                progress.advance()
                progress.advance()
                progress.finish()
                return arguments.flag("verbose") ? .someFailed : .success
            }
        }
    }
}

/// A command that fails after writing part of its output.
struct FailingCommand: CLICommand {
    let name = "fail"
    let summary = "Write, then fail"
    var options: [OptionSpec] { [.output] }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            try await invocation.withOutput { sink in
                try sink.line("partial")
                throw CLIError.failed("it broke")
            }
        }
    }
}

extension CommandGroup {
    /// The test group: `keyrotation test echo|fail`.
    static let test = CommandGroup(
        name: "test",
        summary: "Commands for tests",
        commands: [EchoCommand(), FailingCommand()]
    )
}

/// The registered groups plus the test group.
let testGroups = CommandRegistry.groups + [.test]
