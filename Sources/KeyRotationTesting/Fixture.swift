public import Foundation

/// The provider response bodies in `Tests/Fixtures` (copied from the shared fixtures), for tests and simulations.
public enum Fixture: Sendable {
    /// The folder that holds the fixtures.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // KeyRotationTesting
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("Tests/Fixtures", isDirectory: true)
    }

    /// The bytes of `name.json` (give the name without the extension: `"vt_file"`).
    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: Self.directory.appendingPathComponent(name + ".json"))
    }

    /// Every fixture name with the given prefix (`"vt_"`, `"aptos_"`, `"nodit_"`), sorted.
    public static func names(prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }
            .map { String($0.dropLast(5)) }
            .sorted()
    }
}
