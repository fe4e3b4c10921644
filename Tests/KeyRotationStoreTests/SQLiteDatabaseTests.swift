import Foundation
import KeyRotation
import KeyRotationStore
import Testing

@Suite struct SQLiteDatabaseTests {
    let directory: TestDirectory

    init() throws {
        self.directory = try TestDirectory()
    }

    /// A real store file with enough rows to span several pages.
    private func makeRealStore(_ name: String) throws -> String {
        let path = self.directory.path(name)
        let storage = try KeyRotationStorage(path: path)
        for index in 0..<200 {
            try storage.reports.upsert(
                StoredReport(
                    id: "resource-\(index)",
                    type: "file",
                    payload: Data(repeating: UInt8(index % 251), count: 512),
                    fetchedAt: .epoch
                )
            )
        }
        return path
    }

    private func expectCorrupt(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: KeyStateStoreError.self, sourceLocation: sourceLocation) {
            _ = try KeyRotationStorage(path: path)
        }
        #expect(error?.code == .corrupt, sourceLocation: sourceLocation)
        #expect(error?.message.contains(path) == true, sourceLocation: sourceLocation)
        #expect(
            error?.message.contains("move it aside or delete it to start over; quotas recorded in it will be forgotten")
                == true,
            sourceLocation: sourceLocation
        )
    }

    @Test func garbageBytesAreReportedCorruptNotReset() throws {
        let path = self.directory.path("garbage.sqlite")
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: path))
        self.expectCorrupt(path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage, "the file is left as it was")
    }

    @Test(arguments: [0.5, 0.01])
    func aTruncatedStoreIsReportedCorrupt(keeping fraction: Double) throws {
        let path = try self.makeRealStore("truncated-\(fraction).sqlite")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: UInt64(Double(size) * fraction))
        try handle.close()
        self.expectCorrupt(path)
    }

    @Test func aDamagedPageFailsTheIntegrityCheck() throws {
        let path = try self.makeRealStore("damaged.sqlite")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 4096 * 2)
        handle.write(Data(repeating: 0xA5, count: 4096 * 2))
        try handle.close()
        self.expectCorrupt(path)
    }

    @Test func anUnreachablePathIsUnreadable() throws {
        let file = self.directory.path("plain-file")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: file))
        for path in [file + "/state.sqlite", self.directory.path("missing/dir/state.sqlite"), self.directory.url.path] {
            let error = #expect(throws: KeyStateStoreError.self) { _ = try KeyRotationStorage(path: path) }
            #expect(error?.code == .unreadable)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test func aNewerSchemaIsRefused() throws {
        let path = self.directory.path("newer.sqlite")
        do {
            let database = try SQLiteDatabase(path: path)
            try database.transaction { try $0.execute("PRAGMA user_version = 99") }
        }
        let error = #expect(throws: KeyStateStoreError.self) { _ = try SQLiteDatabase(path: path) }
        #expect(error?.code == .schemaTooNew)
        #expect(error?.message.contains("99") == true)
    }

    @Test func reopeningKeepsTheSchemaVersion() throws {
        let path = self.directory.path("version.sqlite")
        let first = try SQLiteDatabase(path: path)
        let version = try first.read { try $0.queryRow("PRAGMA user_version")?.int(0) }
        #expect(version == 1)
        let second = try SQLiteDatabase(path: path)
        #expect(try second.read { try $0.queryRow("PRAGMA journal_mode")?.text(0) } == "wal")
    }
}
