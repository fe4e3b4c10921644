import Foundation
import KeyRotation
import Testing

@Suite struct KeySourceTests {
    @Test func readsEveryFormTrimsDropsEmptiesAndDuplicatesInOrder() throws {
        let source = KeySource.variables(
            [
                "VT_API_KEYS": " k1 , ,k2,k1",
                "VT_API_KEY": "k3",
                "VT_API_KEY_2": "k5",
                "VT_API_KEY_1": "k4 ",
                "VT_API_KEY_10": "k6",
                "OTHER_API_KEY": "nope",
            ],
            prefix: "VT"
        )
        #expect(source.secrets() == ["k1", "k2", "k3", "k4", "k5", "k6"])
        let pool = try source.keys(limits: [.perMinute(4)])
        #expect(pool.map(\.id.rawValue) == ["vt-1", "vt-2", "vt-3", "vt-4", "vt-5", "vt-6"])
        #expect(pool.allSatisfy { $0.limits == [.perMinute(4)] })
    }

    @Test func nothingFoundNamesTheVariablesNeverAValue() {
        let source = KeySource.variables(["VT_API_KEYS": " , ", "NODIT_API_KEY": "secret-value"], prefix: "VT")
        let error = #expect(throws: KeySourceError.self) { try source.keys() }
        #expect(error?.message.contains("VT_API_KEYS") == true)
        #expect(error?.message.contains("secret-value") == false)
    }

    @Test(
        "a key list separated by spaces, tabs or line breaks is refused, naming the variables, never a value",
        arguments: ["alpha-key beta-key", "alpha-key\tbeta-key", "alpha-key\nbeta-key"]
    )
    func aKeyWithWhitespaceInsideIsRefused(list: String) {
        let source = KeySource.variables(["VT_API_KEYS": "zero-key, " + list], prefix: "VT")
        let error = #expect(throws: KeySourceError.self) { try source.keys() }
        #expect(error?.code == .malformedKey)
        #expect(error?.message.contains("key 2") == true)
        #expect(error?.message.contains("separate keys with commas") == true)
        #expect(error?.message.contains("alpha") == false)
    }

    @Test func readsADotEnvFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keyrotation-\(UUID().uuidString).env")
        try "# keys\nexport NODIT_API_KEYS=\"a,b\"\nNODIT_API_KEY_1='c'\nNODIT_API_KEY_2=d # note\n".write(
            to: url,
            atomically: false,
            encoding: .utf8
        )
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try KeySource.dotEnv(at: url, prefix: "NODIT").secrets() == ["a", "b", "c", "d"])
    }

    @Test func descriptionsNeverShowTheSecret() {
        let key = APIKey("super-secret-material-123", label: "prod")
        let texts = [key.description, key.debugDescription, "\(key)", String(reflecting: key), "\([key])"]
        var dumped = ""
        dump(key, to: &dumped)
        for text in texts + [dumped] { #expect(!text.contains("super-secret-material-123")) }
        let unlabelled = APIKey("another-secret-456")
        #expect(unlabelled.id.rawValue.hasPrefix("key-"))
        #expect(!unlabelled.description.contains("another-secret-456"))
    }

    @Test func fingerprintIsSHA256Prefix() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        #expect(APIKey("abc").fingerprint == "ba7816bf8f01cfea")
        #expect(APIKey("abc").id == "key-ba7816bf")
    }
}
