#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `keyrotation` executable: runs the command line on the process's arguments and exits with its code;
/// SIGINT and SIGTERM wait for a unit of output in progress (see ``TerminationGuard``).
@main
struct KeyRotationMain {
    static func main() async {
        TerminationGuard.shared.installSignalHandlers()
        let code = await KeyRotationCommandLine.run(
            arguments: Array(CommandLine.arguments.dropFirst()),
            stdout: StandardStream.output,
            stderr: StandardStream.error
        )
        exit(code.rawValue)
    }
}
