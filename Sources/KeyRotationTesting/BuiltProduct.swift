public import Foundation

/// An executable SwiftPM built beside the test bundle (`.build/<triple>/<configuration>/`): helper processes for
/// multi-process tests, and the package's own command-line tools.
public struct BuiltProduct: Sendable {
    /// The executable.
    public let url: URL

    /// The product called `name`, if it was built.
    public static func named(_ name: String) -> BuiltProduct? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.resolvingSymlinksInPath())
        candidates.append(Bundle.main.bundleURL)
        for start in candidates {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<6 {
                let binary = directory.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: binary.path) { return BuiltProduct(url: binary) }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// A process that exited with a failure.
    public struct Failure: Error, CustomStringConvertible {
        /// What it printed on standard error, and its status.
        public var description: String
    }

    /// Runs the product to its end, without blocking a thread of the concurrency pool, and returns its standard
    /// output.
    ///
    /// - Throws: ``Failure`` when it exits with a non-zero status.
    public func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> String {
        let process = Process()
        process.executableURL = self.url
        process.arguments = arguments
        if let environment { process.environment = environment }
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
            throw Failure(
                description: "\(self.url.lastPathComponent) failed (\(process.terminationStatus)): \(message)"
            )
        }
        return text
    }
}
