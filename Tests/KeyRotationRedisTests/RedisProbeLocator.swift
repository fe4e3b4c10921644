import Foundation

/// Finds and runs the `RedisProbe` helper executable, built into the same products directory as the tests.
enum RedisProbeLocator {
    static let url: URL? = {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL)
        candidates.append(Bundle.main.bundleURL)
        for start in candidates {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<4 {
                let probe = directory.appendingPathComponent("RedisProbe")
                if FileManager.default.isExecutableFile(atPath: probe.path) { return probe }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// Runs the probe and returns its standard output; throws if it exits with a failure.
    static func run(_ executable: URL, _ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw RedisTestFailure(description: "RedisProbe failed (\(process.terminationStatus)): \(message)")
        }
        return text
    }
}
