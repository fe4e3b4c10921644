import Foundation
import Testing

@testable import KeyRotationCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--output FILE` writes what FILE names: a regular file atomically, a symbolic link's target (the link stays), and
/// anything else in place (a FIFO is never replaced). Every test works in a temporary folder of its own.
@Suite struct OutputFileTests {
    private let directory: URL

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-output-\(UUID())")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    private func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    private func kind(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    private func removeDirectory() { try? FileManager.default.removeItem(at: self.directory) }

    @Test func aSymbolicLinkIsFollowedAndStays() async throws {
        defer { self.removeDirectory() }
        let target = self.path("real.txt")
        try "old\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(chmod(target, 0o600) == 0)
        // A relative link, read from the link's folder, not the working directory.
        try FileManager.default.createSymbolicLink(atPath: self.path("link.csv"), withDestinationPath: "real.txt")

        let run = await runCLI(["test", "echo", "-o", self.path("link.csv"), "--tag", "t"], groups: testGroups)
        #expect(run.code == .success, "\(run.stderr)")
        #expect(self.kind(self.path("link.csv")) == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: self.path("link.csv")) == "real.txt")
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("count=nil\ntags=t\n"))
        // The replaced file keeps its permissions, and no temporary file is left behind.
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let names = try FileManager.default.contentsOfDirectory(atPath: self.directory.path).sorted()
        #expect(names == ["link.csv", "real.txt"])
    }

    @Test func aLinkToAFileNotYetThereCreatesTheFile() async throws {
        defer { self.removeDirectory() }
        try FileManager.default.createSymbolicLink(
            atPath: self.path("link.txt"),
            withDestinationPath: self.path("new.txt")
        )
        let run = await runCLI(["test", "echo", "-o", self.path("link.txt")], groups: testGroups)
        #expect(run.code == .success, "\(run.stderr)")
        #expect(self.kind(self.path("link.txt")) == S_IFLNK)
        #expect(self.kind(self.path("new.txt")) == S_IFREG)
        #expect(try String(contentsOfFile: self.path("new.txt"), encoding: .utf8).hasPrefix("count=nil\n"))
    }

    @Test func aLoopOfLinksIsRefused() async throws {
        defer { self.removeDirectory() }
        try FileManager.default.createSymbolicLink(atPath: self.path("a"), withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: self.path("b"), withDestinationPath: "a")
        let run = await runCLI(["test", "echo", "-o", self.path("a")], groups: testGroups)
        #expect(run.code == .someFailed)
        #expect(run.stderr.hasPrefix("keyrotation: cannot write \(self.path("a")): "))
        #expect(self.kind(self.path("a")) == S_IFLNK)
    }

    /// A FIFO (like a terminal or /dev/null) is written in place, never replaced by a regular file.
    @Test(arguments: [false, true])
    func aFIFOIsWrittenInPlace(throughALink: Bool) async throws {
        defer { self.removeDirectory() }
        let fifo = self.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        var output = fifo
        if throughALink {
            output = self.path("fifo.link")
            try FileManager.default.createSymbolicLink(atPath: output, withDestinationPath: "fifo")
        }
        // The reader opens first without waiting, so the command's open does not wait for one either; the output
        // is far below a pipe's buffer, so its writes don't wait on the reader.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK)

        let run = await runCLI(["test", "echo", "-o", output, "--tag", "t"], groups: testGroups)
        #expect(run.code == .success, "\(run.stderr)")
        #expect(self.kind(fifo) == S_IFIFO)
        if throughALink { #expect(self.kind(output) == S_IFLNK) }
        // The command closed its end: reading stops at the end of what it wrote (or at once, if nothing was).
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reader, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        #expect(String(decoding: received, as: UTF8.self).hasPrefix("count=nil\ntags=t\n"))
        let names = try FileManager.default.contentsOfDirectory(atPath: self.directory.path)
        #expect(names.allSatisfy { !$0.hasPrefix(".") })
    }

    /// A failed command writes nothing more to a FIFO and leaves it a FIFO.
    @Test func aFailedCommandLeavesAFIFOInPlace() async throws {
        defer { self.removeDirectory() }
        let fifo = self.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        let run = await runCLI(["test", "fail", "-o", fifo], groups: testGroups)
        #expect(run.code == .someFailed)
        #expect(run.stderr == "keyrotation: it broke\n")
        #expect(self.kind(fifo) == S_IFIFO)
    }
}
