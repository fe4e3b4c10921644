import Foundation
import KeyRotation
import KeyRotationTesting
import Testing
import VirusTotal

@Suite struct VirusTotalReportTests {
    @Test func decodesFileFixture() throws {
        let json = try Fixture.data("vt_file")
        let report = try VirusTotalReport(json: json, expecting: .file)
        #expect(report.id == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f")
        #expect(report.type == .file)
        #expect(report.selfLink?.absoluteString == "https://www.virustotal.com/api/v3/files/\(report.id)")
        #expect(report.rawJSON == json)
        #expect(
            report.lastAnalysisStats
                == .init(
                    harmless: 0,
                    malicious: 5,
                    suspicious: 0,
                    undetected: 1,
                    timeout: 1,
                    typeUnsupported: 1,
                    confirmedTimeout: 1,
                    failure: 1
                )
        )
        #expect(report.lastAnalysisDate == Timestamp(nanosecondsSinceEpoch: 1_717_312_345_000_000_000))
        #expect(report.lastModificationDate == Timestamp(nanosecondsSinceEpoch: 1_717_315_000_000_000_000))
        #expect(report.reputation == -1542)
        #expect(report.totalVotes == .init(harmless: 412, malicious: 2390))
        #expect(report.tags == ["text", "via-tor", "known-distributor", "attachment"])
        let file = try #require(report.file)
        #expect(file.md5 == "44d88612fea8a8f36de82e1278abb02f")
        #expect(file.sha1 == "3395856ce81f2b7382dee72602f798b642f14140")
        #expect(file.sha256 == report.id)
        #expect(file.size == 68)
        #expect(file.typeDescription == "Text")
        #expect(file.typeTag == "text")
        #expect(file.meaningfulName == "eicar.com")
        #expect(file.names.count == 4)
        #expect(file.timesSubmitted == 1_254_321)
        #expect(file.firstSubmissionDate == Timestamp(nanosecondsSinceEpoch: 1_148_301_722_000_000_000))
        #expect(report.domain == nil && report.ipAddress == nil && report.url == nil)
        #expect(report.summary.totalEngines == 10)
        #expect(report.summary.malicious == 5)
        #expect(report.verdict == .malicious)
        #expect(report.summary.shortDescription == "5/10 malicious")

        let results = try report.analysisResults()
        #expect(!results.isEmpty)
        #expect(results.map(\.engine) == results.map(\.engine).sorted())
        let kaspersky = try #require(results.first { $0.engine == "Kaspersky" })
        #expect(kaspersky.category == "malicious" && kaspersky.result == "EICAR-Test-File")
        #expect(kaspersky.engineVersion == "22.0.1.28")
        let bkav = try #require(results.first { $0.engine == "Bkav" })
        #expect(bkav.result == nil && bkav.category == "undetected")
    }

    @Test func decodesDomainFixture() throws {
        let report = try VirusTotalReport(json: Fixture.data("vt_domain"), expecting: .domain)
        #expect(report.id == "example.com")
        let domain = try #require(report.domain)
        #expect(domain.tld == "com")
        #expect(domain.registrar == "RESERVED-Internet Assigned Numbers Authority")
        #expect(domain.creationDate == Timestamp(nanosecondsSinceEpoch: 808_372_800_000_000_000))
        #expect(domain.whois?.hasPrefix("Domain Name: EXAMPLE.COM") == true)
        #expect(domain.lastDNSRecords.count == 3)
        #expect(domain.lastDNSRecords.first == .init(type: "A", value: "93.184.215.14", ttl: 3600))
        #expect(report.categories.count == 4)
        #expect(report.categories["Sophos"] == "information technology")
        #expect(report.reputation == 0)
        #expect(report.tags.isEmpty)
        #expect(report.lastAnalysisStats == .init(harmless: 3, undetected: 2))
        #expect(report.summary.totalEngines == 5)
        #expect(report.verdict == .clean)
        #expect(report.summary.shortDescription == "clean (0/5)")
        #expect(try report.analysisResults().count == 5)
    }

    @Test func decodesIPFixture() throws {
        let report = try VirusTotalReport(json: Fixture.data("vt_ip"), expecting: .ipAddress)
        #expect(report.id == "8.8.8.8")
        #expect(report.type == .ipAddress)
        let ip = try #require(report.ipAddress)
        #expect(ip.asn == 15169)
        #expect(ip.asOwner == "GOOGLE")
        #expect(ip.country == "US")
        #expect(ip.continent == "NA")
        #expect(ip.network == "8.8.8.0/24")
        #expect(report.reputation == 543)
        #expect(report.summary == .init(.init(harmless: 1, malicious: 1, suspicious: 1, undetected: 1)))
        #expect(report.verdict == .malicious)
    }

    @Test func decodesURLFixture() throws {
        let report = try VirusTotalReport(json: Fixture.data("vt_url"), expecting: .url)
        #expect(report.id == "8fcca0415bfe71b1640df676fe61e77af315ed2e209d2a37a8b57f5d6bb8d446")
        let url = try #require(report.url)
        #expect(url.url == "http://www.somedomain.com/this/is/my/url")
        #expect(url.lastFinalURL == "http://www.somedomain.com/this/is/my/url")
        #expect(url.title == "Sign in")
        #expect(url.lastHTTPResponseCode == 200)
        #expect(url.threatNames == ["Mal/HTMLGen-A"])
        #expect(report.reputation == -11)
        #expect(report.totalVotes == .init(harmless: 0, malicious: 2))
        #expect(report.lastAnalysisDate == Timestamp(nanosecondsSinceEpoch: 1_635_971_126_000_000_000))
        #expect(report.summary.totalEngines == 7)
        #expect(report.verdict == .malicious)
        // The URL's lookup id, from the IOC, is not the report's id: VT answers with its own canonical SHA-256.
        #expect(try IOC.parse(url.url ?? "").identifier != report.id)
    }

    @Test func decodesQuotaFixture() throws {
        let quotas = try VirusTotalQuotas(json: Fixture.data("vt_user_overall_quotas"))
        #expect(quotas.hourly == .init(allowed: 240, used: 7))
        #expect(quotas.daily == .init(allowed: 500, used: 123))
        #expect(quotas.daily?.remaining == 377)
        #expect(quotas.monthly == .init(allowed: 15500, used: 4321))
        let partial = try VirusTotalQuotas(
            json: Data(#"{"data":{"api_requests_daily":{"user":{"allowed":"x"}}}}"#.utf8)
        )
        #expect(partial == VirusTotalQuotas())
        #expect(throws: VirusTotalDecodingError.self) { try VirusTotalQuotas(json: Data("[]".utf8)) }
        #expect(throws: VirusTotalDecodingError.self) { try VirusTotalQuotas(json: Data("{}".utf8)) }
    }

    @Test func everyVirusTotalFixtureIsCovered() throws {
        let reports = ["vt_file", "vt_domain", "vt_ip", "vt_url"]
        let others = ["vt_user_overall_quotas"]
        let errors = VirusTotalClassifierTests.errorFixtures.map(\.name)
        let names = try Fixture.names(prefix: "vt_")
        #expect(!names.isEmpty)
        #expect(Set(names) == Set(reports + others + errors), "a vt_ fixture has no test")
        for name in reports {
            #expect(throws: Never.self) { try VirusTotalReport(json: Fixture.data(name)) }
        }
        for name in errors {
            let error = #expect(throws: VirusTotalDecodingError.self) { try VirusTotalReport(json: Fixture.data(name)) }
            #expect(error?.code == .missingData)
        }
    }

    @Test func wrongTypedFieldsBecomeNilAndUnknownFieldsAreIgnored() throws {
        let json = Data(
            #"""
            {"data": {"id": "example.org", "type": "domain", "links": "not an object", "extra": [1, 2],
              "attributes": {
                "reputation": "high",
                "last_analysis_date": "yesterday",
                "last_modification_date": 1717290600.5,
                "tags": ["a", 1, null, "b"],
                "categories": {"X": "news", "Y": 3},
                "total_votes": {"harmless": "many", "malicious": 4},
                "last_analysis_stats": {"malicious": "5", "harmless": 2, "brand-new": 9},
                "last_analysis_results": 42,
                "registrar": 7,
                "tld": "org",
                "creation_date": -5,
                "last_dns_records": [{"type": "A", "value": "1.2.3.4", "ttl": "long"}, {"type": 1}, "junk"],
                "some_new_attribute": {"nested": [true]}
              }}}
            """#.utf8
        )
        let report = try VirusTotalReport(json: json, expecting: .domain)
        #expect(report.selfLink == nil)
        #expect(report.reputation == nil)
        #expect(report.lastAnalysisDate == nil)
        #expect(report.lastModificationDate == Timestamp(secondsSinceEpoch: 1_717_290_600.5))
        #expect(report.tags == ["a", "b"])
        #expect(report.categories == ["X": "news"])
        #expect(report.totalVotes == .init(harmless: 0, malicious: 4))
        #expect(report.lastAnalysisStats == .init(harmless: 2))
        #expect(report.verdict == .clean)
        #expect(report.domain?.registrar == nil)
        #expect(report.domain?.tld == "org")
        #expect(report.domain?.creationDate == nil)
        #expect(report.domain?.lastDNSRecords == [.init(type: "A", value: "1.2.3.4", ttl: nil)])
        #expect(try report.analysisResults().isEmpty)
    }

    @Test func missingAttributesStillDecode() throws {
        let report = try VirusTotalReport(json: Data(#"{"data":{"id":"1.1.1.1","type":"ip_address"}}"#.utf8))
        #expect(report.lastAnalysisStats == .init())
        #expect(report.verdict == .noData)
        #expect(report.summary.shortDescription == "no data")
        #expect(report.ipAddress == .some(report.ipAddress!))
        #expect(report.ipAddress?.asn == nil)
        #expect(try report.analysisResults().isEmpty)
    }

    @Test func unknownObjectTypeDecodesWithoutDetails() throws {
        let report = try VirusTotalReport(json: Data(#"{"data":{"id":"c1","type":"collection","attributes":{}}}"#.utf8))
        #expect(report.type == VirusTotalReport.ObjectType(rawValue: "collection"))
        #expect(report.file == nil && report.domain == nil && report.ipAddress == nil && report.url == nil)
    }

    @Test(
        "bodies that are not reports are refused",
        arguments: [
            ("", VirusTotalDecodingError.Code.malformedJSON),
            ("<html>502</html>", .malformedJSON),
            ("[1,2]", .malformedJSON),
            (#"{"data":"#, .malformedJSON),
            ("{}", .missingData),
            (#"{"data":[]}"#, .missingData),
            (#"{"data":{"type":"file"}}"#, .missingData),
            (#"{"data":{"id":5,"type":"file"}}"#, .missingData),
            (#"{"error":{"code":"NotFoundError","message":"x"}}"#, .missingData),
        ]
    )
    func refusesNonReports(body: String, code: VirusTotalDecodingError.Code) {
        let error = #expect(throws: VirusTotalDecodingError.self) { try VirusTotalReport(json: Data(body.utf8)) }
        #expect(error?.code == code)
    }

    @Test func refusesAnotherObjectType() throws {
        let error = #expect(throws: VirusTotalDecodingError.self) {
            try VirusTotalReport(json: Fixture.data("vt_domain"), expecting: .file)
        }
        #expect(error?.code == .unexpectedType)
        #expect(error?.message.contains("domain") == true)
    }

    @Test(
        "verdict rule",
        arguments: [
            (VirusTotalReport.LastAnalysisStats(malicious: 1, undetected: 70), VirusTotalReport.Verdict.malicious),
            (.init(malicious: 2, suspicious: 3), .malicious),
            (.init(suspicious: 1, undetected: 70), .suspicious),
            (.init(harmless: 1), .clean),
            (.init(undetected: 60), .clean),
            (.init(timeout: 3, typeUnsupported: 10, failure: 2), .noData),
            (.init(), .noData),
        ]
    )
    func verdictRule(stats: VirusTotalReport.LastAnalysisStats, verdict: VirusTotalReport.Verdict) {
        #expect(VirusTotalReport.Summary(stats).verdict == verdict)
    }

    @Test func statsRoundTripThroughJSONWithHyphenatedKeys() throws {
        let stats = VirusTotalReport.LastAnalysisStats(malicious: 1, typeUnsupported: 2, confirmedTimeout: 3)
        let json = try JSONEncoder().encode(stats)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"type-unsupported\":2") && text.contains("\"confirmed-timeout\":3"))
        #expect(try JSONDecoder().decode(VirusTotalReport.LastAnalysisStats.self, from: json) == stats)
    }
}
