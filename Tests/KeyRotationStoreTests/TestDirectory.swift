import Foundation

/// A fresh directory under the system's temporary directory, removed when the value is released.
final class TestDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory
            .appendingPathComponent("keyrotation-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.url)
    }

    /// The path of a file in the directory.
    func path(_ name: String = "state.sqlite") -> String {
        self.url.appendingPathComponent(name).path
    }
}
