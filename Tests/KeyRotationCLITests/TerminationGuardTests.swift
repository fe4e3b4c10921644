import Foundation
import KeyRotation
import Testing

@testable import KeyRotationCLI

@Suite struct TerminationGuardTests {
    /// A signal that ends the process while an --output file is being written removes its temporary file: the
    /// destination stays as it was and no hidden `.NAME.tmp-XXXXXX` is left beside it.
    @Test func aSignalRemovesTheTemporaryFileOfAnOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("termination-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ended = Locked<[Int32]>([])
        let termination = TerminationGuard { signal in ended.withLock { $0.append(signal) } }
        let file = try OutputFile(path: directory.appendingPathComponent("out.csv").path, termination: termination)
        try file.write("a,b\n")
        #expect(FileManager.default.fileExists(atPath: try #require(file.temporaryPath)))
        termination.deliver(SIGINT)
        #expect(ended.value == [SIGINT])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// A committed file is not touched by a later signal.
    @Test func aCommittedOutputStays() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("termination-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let termination = TerminationGuard { _ in }
        let path = directory.appendingPathComponent("out.csv").path
        let file = try OutputFile(path: path, termination: termination)
        try file.write("a,b\n")
        try file.commit()
        termination.deliver(SIGTERM)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
    }
}
