import Foundation
import KeyRotation
import KeyRotationStore
import Testing

@Suite struct KeyRotationStorageTests {
    @Test func defaultPathPrefersTheExplicitVariableThenXDGThenHome() throws {
        let directory = try TestDirectory()
        let base = directory.url.path
        #expect(
            try KeyRotationStorage.defaultPath(environment: ["KEYROTATION_STORE": base + "/x/y.sqlite"]) == base
                + "/x/y.sqlite"
        )
        #expect(
            try KeyRotationStorage.defaultPath(environment: ["XDG_DATA_HOME": base + "/data", "HOME": base + "/home"])
                == base + "/data/keyrotation/state.sqlite"
        )
        #expect(
            try KeyRotationStorage.defaultPath(environment: ["HOME": base + "/home"])
                == base + "/home/.local/share/keyrotation/state.sqlite"
        )
        var isDirectory: ObjCBool = false
        #expect(
            FileManager.default.fileExists(atPath: base + "/home/.local/share/keyrotation", isDirectory: &isDirectory)
        )
        #expect(isDirectory.boolValue)
        #expect(FileManager.default.fileExists(atPath: base + "/x"))
    }

    @Test func aDirectoryThatCannotBeCreatedIsUnreadable() throws {
        let directory = try TestDirectory()
        let file = directory.path("file")
        try Data().write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: KeyStateStoreError.self) {
            _ = try KeyRotationStorage.defaultPath(environment: ["KEYROTATION_STORE": file + "/sub/state.sqlite"])
        }
        #expect(error?.code == .unreadable)
    }

    @Test func oneFileHoldsEveryStore() throws {
        let directory = try TestDirectory()
        var configuration = KeyRotationStorage.Configuration()
        configuration.reportTTL = .seconds(60)
        configuration.database.busyTimeout = .seconds(1)
        let storage = try KeyRotationStorage(path: directory.path(), configuration: configuration)
        #expect(storage.reports.ttl == .seconds(60))
        let value = try storage.transaction { transaction in
            try transaction.enqueue(kind: "k", payload: "p", eta: .epoch, at: .epoch)
            return try transaction.advance("c", to: 9)
        }
        #expect(value == 9)
        #expect(try storage.requests.count() == 1)
        #expect(try storage.checkpoints.value("c") == 9)
        #expect(
            try storage.keyState.admit(fingerprint: "f", cost: 1, limits: [], at: .epoch) == .admitted(remaining: nil)
        )
    }
}
