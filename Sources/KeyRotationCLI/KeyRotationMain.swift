#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `keyrotation` executable: runs the command line on the process's arguments and exits with its code.
@main
struct KeyRotationMain {
    static func main() async {
        let code = await KeyRotationCommandLine.run(
            arguments: Array(CommandLine.arguments.dropFirst()),
            stdout: StandardStream.output,
            stderr: StandardStream.error
        )
        exit(code.rawValue)
    }
}
