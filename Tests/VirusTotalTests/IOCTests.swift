import Foundation
import Testing
import VirusTotal

@Suite struct IOCTests {
    static let validInputs: [(String, IOC.Kind, String)] = [
        ("8.8.8.8", .ipv4, "8.8.8.8"),
        ("  1.2.3.4\n", .ipv4, "1.2.3.4"),
        ("0.0.0.0", .ipv4, "0.0.0.0"),
        ("255.255.255.255", .ipv4, "255.255.255.255"),
        ("2001:DB8:0:0:0:0:0:1", .ipv6, "2001:db8::1"),
        ("::ffff:1.2.3.4", .ipv6, "::ffff:1.2.3.4"),
        ("::FFFF:0102:0304", .ipv6, "::ffff:1.2.3.4"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", .ipv6, "2001:db8::1:0:0:1"),
        ("1:0:0:2:0:0:0:3", .ipv6, "1:0:0:2::3"),
        ("2001:db8:0:1:1:1:1:1", .ipv6, "2001:db8:0:1:1:1:1:1"),
        ("::1", .ipv6, "::1"),
        ("FE80::", .ipv6, "fe80::"),
        ("::", .ipv6, "::"),
        ("1:2:3:4:5:6:7::", .ipv6, "1:2:3:4:5:6:7:0"),
        ("Example.COM.", .domain, "example.com"),
        ("www.Example.com", .domain, "www.example.com"),
        ("xn--bcher-kva.example", .domain, "xn--bcher-kva.example"),
        ("sub-domain.example.co.uk", .domain, "sub-domain.example.co.uk"),
        ("a1.b2", .domain, "a1.b2"),
        ("http://www.somedomain.com/this/is/my/url", .url, "http://www.somedomain.com/this/is/my/url"),
        ("HTTPS://Example.COM/Path?Q=A#Frag", .url, "https://example.com/Path?Q=A#Frag"),
        ("http://User:Pass@Example.com:8080/X", .url, "http://User:Pass@example.com:8080/X"),
        ("ftp://FTP.example.org/File.txt", .url, "ftp://ftp.example.org/File.txt"),
        ("http://[2001:DB8::1]:80/", .url, "http://[2001:db8::1]:80/"),
        ("https://Example.com", .url, "https://example.com"),
        ("44D88612FEA8A8F36DE82E1278ABB02F", .md5, "44d88612fea8a8f36de82e1278abb02f"),
        ("3395856CE81F2B7382DEE72602F798B642F14140", .sha1, "3395856ce81f2b7382dee72602f798b642f14140"),
        (
            "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F", .sha256,
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
        ),
    ]

    static let invalidInputs: [(String, IOCError.Code)] = [
        ("", .empty),
        ("   \t\n", .empty),
        ("not an ioc", .unrecognised),
        ("localhost", .unrecognised),
        ("example.com:8080", .unrecognised),
        ("999.1.1.1", .octetOutOfRange),
        ("1.2.3.256", .octetOutOfRange),
        ("01.2.3.4", .invalidIPv4),
        ("1.2.3", .invalidIPv4),
        ("1.2.3.4.5", .invalidIPv4),
        ("1..3.4", .invalidIPv4),
        ("http://", .urlWithoutHost),
        ("https:///path", .urlWithoutHost),
        ("http://user@/x", .urlWithoutHost),
        ("http://exa mple.com/", .invalidURL),
        ("http://example.com:99999/", .invalidURL),
        ("http://example.com:8o/", .invalidURL),
        ("CVE-2021-44228", .cveIdentifier),
        ("cve-2014-0160", .cveIdentifier),
        ("hxxp://example.com/x", .defanged),
        ("hxxps://example.com", .defanged),
        ("http://example[.]com/", .defanged),
        ("example[.]com", .defanged),
        ("mailto:someone@example.com", .unsupportedScheme),
        ("javascript://alert(1)", .unsupportedScheme),
        ("file:///etc/passwd", .unsupportedScheme),
        ("example.com/path", .unsupportedScheme),
        ("2001:db8::1::2", .invalidIPv6),
        ("12345::1", .invalidIPv6),
        ("fe80::1%eth0", .invalidIPv6),
        ("1:2:3:4:5:6:7:8:9", .invalidIPv6),
        ("1:2:3:4:5:6:7", .invalidIPv6),
        ("::ffff:999.1.1.1", .invalidIPv6),
        ("[2001:db8::1]", .invalidIPv6),
        ("-bad.example.com", .invalidDomain),
        ("bad-.example.com", .invalidDomain),
        ("example.123", .invalidDomain),
        ("a..b.com", .invalidDomain),
        ("exa_mple.com", .invalidDomain),
        ("bücher.de", .invalidDomain),
        ("com.", .invalidDomain),
        (String(repeating: "a", count: 64) + ".com", .invalidDomain),
        (Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".") + ".com", .invalidDomain),
        ("44d88612fea8a8f36de82e1278abb0", .invalidHash),
        (String(repeating: "a", count: 2049), .tooLong),
        ("http://example.com/" + String(repeating: "x", count: 2100), .tooLong),
    ]

    @Test(
        "valid inputs parse to their kind and normalised value",
        arguments: Self.validInputs
    )
    func parsesValidInput(input: String, kind: IOC.Kind, value: String) throws {
        let ioc = try IOC.parse(input)
        #expect(ioc.kind == kind)
        #expect(ioc.value == value)
        #expect(ioc.cacheKey == "\(kind.name):\(value)")
        #expect(try IOC.parse(ioc.value) == ioc, "normalising is idempotent")
    }

    @Test(
        "invalid inputs are refused with a code",
        arguments: Self.invalidInputs
    )
    func refusesInvalidInput(input: String, code: IOCError.Code) {
        let error = #expect(throws: IOCError.self) { try IOC.parse(input) }
        #expect(error?.code == code, "\(error?.description ?? "no error")")
        #expect(error?.message.isEmpty == false)
        #expect((error?.input.count ?? 0) <= IOCError.displayedInputLength + 1)
    }

    @Test func messagesSayWhatIsWrongAndWhatToDo() throws {
        func message(_ input: String) -> String {
            do {
                _ = try IOC.parse(input)
                return "parsed"
            } catch {
                return error.message
            }
        }
        #expect(message("999.1.1.1").contains("out of range"))
        #expect(message("999.1.1.1").contains("255"))
        #expect(message("CVE-2021-44228").contains("a CVE id is not a VirusTotal lookup"))
        #expect(message("hxxp://example.com").contains("'http' for 'hxxp'"))
        #expect(message("http://").contains("no host"))
        #expect(message("").contains("empty"))
        #expect(message("  ").contains("whitespace"))
        #expect(message("01.2.3.4").contains("leading zero"))
        #expect(message("example.com/x").contains("http://example.com/x"))
        #expect(message("bücher.de").contains("punycode"))
    }

    @Test func errorKeepsAShortInputForDisplay() {
        let long = String(repeating: "z", count: 5000)
        let error = #expect(throws: IOCError.self) { try IOC.parse("  " + long) }
        #expect(error?.input == String(repeating: "z", count: 80) + "…")
        #expect(error?.description.contains("tooLong") == true)
    }

    @Test func urlIdentifierIsUnpaddedBase64URL() throws {
        let ioc = try IOC.parse("http://www.somedomain.com/this/is/my/url")
        #expect(ioc.identifier == "aHR0cDovL3d3dy5zb21lZG9tYWluLmNvbS90aGlzL2lzL215L3VybA")
        #expect(ioc.apiPath == "/urls/aHR0cDovL3d3dy5zb21lZG9tYWluLmNvbS90aGlzL2lzL215L3VybA")
        #expect(
            ioc.guiURL.absoluteString
                == "https://www.virustotal.com/gui/url/aHR0cDovL3d3dy5zb21lZG9tYWluLmNvbS90aGlzL2lzL215L3VybA"
        )
        // Bytes that give '-' and '_' in base64url and would need padding.
        let odd = try IOC.parse("http://a.bc/?>>~")
        #expect(!odd.identifier.contains("="))
        #expect(!odd.identifier.contains("+") && !odd.identifier.contains("/"))
        #expect(odd.identifier == "aHR0cDovL2EuYmMvPz4-fg")
    }

    @Test(
        "paths and links per kind",
        arguments: [
            ("8.8.8.8", "/ip_addresses/8.8.8.8", "https://www.virustotal.com/gui/ip-address/8.8.8.8"),
            ("2001:db8::1", "/ip_addresses/2001:db8::1", "https://www.virustotal.com/gui/ip-address/2001:db8::1"),
            ("Example.com", "/domains/example.com", "https://www.virustotal.com/gui/domain/example.com"),
            (
                "44d88612fea8a8f36de82e1278abb02f", "/files/44d88612fea8a8f36de82e1278abb02f",
                "https://www.virustotal.com/gui/file/44d88612fea8a8f36de82e1278abb02f"
            ),
        ]
    )
    func pathsAndLinks(input: String, apiPath: String, guiURL: String) throws {
        let ioc = try IOC.parse(input)
        #expect(ioc.apiPath == apiPath)
        #expect(ioc.guiURL.absoluteString == guiURL)
    }

    @Test func kindsNameTheirObjectTypes() {
        #expect(IOC.Kind.allKinds.map(\.name) == ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256"])
        #expect(IOC.Kind.allKinds.allSatisfy { IOC.Kind(name: $0.name) == $0 })
        #expect(IOC.Kind.md5.objectType == .file && IOC.Kind.sha256.isFileHash)
        #expect(IOC.Kind.ipv6.objectType == .ipAddress && IOC.Kind.ipv4.isIPAddress)
        #expect(IOC.Kind.domain.objectType == .domain && IOC.Kind.url.objectType == .url)
    }

    @Test func cacheKeyRoundTrips() throws {
        for input in [
            "8.8.8.8", "2001:DB8::1", "Example.com", "HTTP://A.example/x", "44D88612FEA8A8F36DE82E1278ABB02F",
        ] {
            let ioc = try IOC.parse(input)
            #expect(try IOC.parse(cacheKey: ioc.cacheKey) == ioc)
        }
        #expect(throws: IOCError.self) { try IOC.parse(cacheKey: "example.com") }
        #expect(throws: IOCError.self) { try IOC.parse(cacheKey: "ipv4:example.com") }
    }

    @Test func equalityFollowsTheNormalisedValue() throws {
        #expect(try IOC.parse("Example.COM.") == IOC.parse("example.com"))
        #expect(try IOC.parse("::ffff:102:304") == IOC.parse("::ffff:1.2.3.4"))
        #expect(try IOC.parse("http://Example.com/A") != IOC.parse("http://example.com/a"))
    }
}
