import Foundation

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
func runCLI(
    _ arguments: [String],
    environment: [String: String] = [:],
    groups: [CommandGroup] = CommandRegistry.groups,
    stderrIsTerminal: Bool = false
) async -> CLIRun {
    var environment = environment
    var home: String?
    if environment["KEYROTATION_STORE"] == nil && environment["XDG_DATA_HOME"] == nil {
        // Never touch the real home: each run gets a store of its own, removed when the run ends.
        home = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-cli-\(UUID().uuidString)").path
        environment["XDG_DATA_HOME"] = home
    }
    defer { if let home { try? FileManager.default.removeItem(atPath: home) } }
    let stdout = CapturedOutput()
    let stderr = CapturedOutput(isTerminal: stderrIsTerminal)
    let commandLine = KeyRotationCommandLine(groups: groups)
    let code = await commandLine.run(arguments: arguments, environment: environment, stdout: stdout, stderr: stderr)
    return CLIRun(code: code, stdout: stdout.text, stderr: stderr.text)
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
                sink.line("count=\(arguments.integer("count").map(String.init) ?? "nil")")
                sink.line("tags=\(arguments.allValues("tag").joined(separator: "|"))")
                sink.line("mode=\(arguments.value("mode") ?? "nil")")
                sink.line("verbose=\(arguments.flag("verbose"))")
                sink.line("json=\(invocation.global.json)")
                sink.line("items=\(arguments.argument("ITEM").joined(separator: "|"))")
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
                sink.line("partial")
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
