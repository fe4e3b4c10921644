import Foundation
import KeyRotation
import KeyRotationStore
import KeyRotationTesting
import Testing

@Suite struct ReportStoreTests {
    let directory: TestDirectory
    let reports: ReportStore
    let start = TestClock.defaultStart

    init() throws {
        self.directory = try TestDirectory()
        self.reports = try KeyRotationStorage(path: self.directory.path()).reports
    }

    private func report(
        _ id: String,
        type: String = "domain",
        fetchedAt: Timestamp,
        body: String = "{}"
    ) -> StoredReport {
        StoredReport(id: id, type: type, payload: Data(body.utf8), fetchedAt: fetchedAt, keyID: "vt-1")
    }

    @Test func freshnessEndsExactlyAtTheTTL() throws {
        try self.reports.upsert(self.report("example.com", fetchedAt: self.start, body: #"{"a":1}"#))
        let ttl = ReportStore.defaultTTL
        #expect(ttl == .seconds(2700))
        let justBefore = self.start.advanced(by: ttl - .nanoseconds(1))
        let stored = try #require(try self.reports.fresh(id: "example.com", type: "domain", at: justBefore))
        #expect(stored == self.report("example.com", fetchedAt: self.start, body: #"{"a":1}"#))
        #expect(try self.reports.fresh(id: "example.com", type: "domain", at: self.start.advanced(by: ttl)) == nil)
        #expect(try self.reports.fresh(id: "example.com", type: "ip_address", at: self.start) == nil)
        #expect(try self.reports.report(id: "example.com", type: "domain") != nil, "a stale report is still stored")
        // A custom TTL, and zero for "forever".
        #expect(
            try self.reports.fresh(
                id: "example.com",
                type: "domain",
                ttl: .seconds(10),
                at: self.start.advanced(by: .seconds(10))
            ) == nil
        )
        #expect(
            try self.reports.fresh(
                id: "example.com",
                type: "domain",
                ttl: .zero,
                at: self.start.advanced(by: .seconds(10_000_000))
            ) != nil
        )
    }

    @Test func upsertReplacesOlderReportsOnly() throws {
        try self.reports.upsert(self.report("x", fetchedAt: self.start.advanced(by: .seconds(10)), body: "new"))
        try self.reports.upsert(self.report("x", fetchedAt: self.start, body: "old"))
        #expect(try self.reports.report(id: "x", type: "domain")?.payload == Data("new".utf8))
        try self.reports.upsert(self.report("x", fetchedAt: self.start.advanced(by: .seconds(20)), body: "newer"))
        #expect(try self.reports.report(id: "x", type: "domain")?.payload == Data("newer".utf8))
        #expect(try self.reports.count() == 1)
    }

    @Test func listPagesNewestFirstWithATypeFilter() throws {
        for index in 0..<5 {
            try self.reports.upsert(
                self.report("d\(index)", fetchedAt: self.start.advanced(by: .seconds(Int64(index))))
            )
            try self.reports.upsert(
                self.report("f\(index)", type: "file", fetchedAt: self.start.advanced(by: .seconds(Int64(index))))
            )
        }
        #expect(try self.reports.count() == 10)
        #expect(try self.reports.count(type: "file") == 5)
        #expect(try self.reports.list(type: "domain", limit: 2, offset: 0).map(\.id) == ["d4", "d3"])
        #expect(try self.reports.list(type: "domain", limit: 2, offset: 2).map(\.id) == ["d2", "d1"])
        #expect(try self.reports.list(type: "domain", limit: 2, offset: 4).map(\.id) == ["d0"])
        #expect(try self.reports.list(limit: 3).map(\.id) == ["d4", "f4", "d3"])
    }

    @Test func purgeDeletesOnlyExpiredReports() throws {
        try self.reports.upsert(self.report("old", fetchedAt: self.start))
        try self.reports.upsert(self.report("new", fetchedAt: self.start.advanced(by: .seconds(100))))
        let now = self.start.advanced(by: ReportStore.defaultTTL)
        #expect(try self.reports.purgeExpired(ttl: .zero, at: now) == 0)
        #expect(try self.reports.purgeExpired(at: now) == 1)
        #expect(try self.reports.list().map(\.id) == ["new"])
        #expect(try self.reports.remove(id: "new", type: "domain"))
        #expect(try self.reports.count() == 0)
    }
}
