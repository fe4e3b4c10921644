import Foundation
import KeyRotation
import KeyRotationStore
import KeyRotationTesting
import Testing

@Suite struct RequestQueueTests {
    let directory: TestDirectory
    let start = TestClock.defaultStart

    init() throws {
        self.directory = try TestDirectory()
    }

    private func at(_ seconds: Int64) -> Timestamp { self.start.advanced(by: .seconds(seconds)) }

    @Test func enqueueIsIdempotentPerKindAndPayload() throws {
        let queue = try KeyRotationStorage(path: self.directory.path()).requests
        let first = try queue.enqueue(kind: "vt.lookup", payload: "example.com", eta: self.at(60), at: self.at(0))
        let again = try queue.enqueue(kind: "vt.lookup", payload: "example.com", eta: self.at(5), at: self.at(1))
        #expect(again == first)
        try queue.enqueue(kind: "vt.lookup", payload: "8.8.8.8", eta: self.at(30), at: self.at(2))
        try queue.enqueue(kind: "aptos.tx", payload: "example.com", eta: self.at(90), at: self.at(3))
        #expect(try queue.count() == 3)
        #expect(try queue.count(kind: "vt.lookup") == 2)
        #expect(try queue.nextETA() == self.at(30))
        #expect(try queue.due(at: self.at(59)).map(\.payload) == ["8.8.8.8"])
        #expect(try queue.due(at: self.at(60)).map(\.payload) == ["8.8.8.8", "example.com"])
        try queue.reschedule(id: first.id, eta: self.at(120))
        #expect(try queue.item(kind: "vt.lookup", payload: "example.com")?.attempts == 1)
        #expect(try queue.due(at: self.at(60)).map(\.payload) == ["8.8.8.8"])
    }

    @Test func anInterruptedDrainAnswersEveryItemExactlyOnce() throws {
        let path = self.directory.path()
        let iocs = (0..<10).map { "ioc-\($0).example" }
        var answered: [String: Int] = [:]  // how many times each IOC was fetched upstream
        do {
            let storage = try KeyRotationStorage(path: path)
            for ioc in iocs {
                try storage.requests.enqueue(kind: "vt.lookup", payload: ioc, eta: self.at(0), at: self.at(0))
            }
            // First drain: fetches six items but is "killed" after storing four of them.
            for (index, item) in try storage.requests.due(at: self.at(1), limit: 6).enumerated() {
                answered[item.payload, default: 0] += 1
                if index < 4 {
                    let report = StoredReport(id: item.payload, type: "domain", payload: Data(), fetchedAt: self.at(1))
                    try storage.requests.complete(id: item.id, storing: report)
                }
            }
        }
        // Restart: the second drain finishes the rest.
        let storage = try KeyRotationStorage(path: path)
        #expect(try storage.requests.count() == 6)
        for item in try storage.requests.due(at: self.at(2), limit: 100) {
            answered[item.payload, default: 0] += 1
            let report = StoredReport(id: item.payload, type: "domain", payload: Data(), fetchedAt: self.at(2))
            try storage.transaction { transaction in
                try transaction.upsert(report)
                try transaction.complete(requestID: item.id)
            }
        }
        #expect(try storage.requests.count() == 0)
        #expect(try storage.reports.count(type: "domain") == 10)
        for ioc in iocs {
            #expect(try storage.reports.report(id: ioc, type: "domain") != nil)
        }
        // Only the two items in flight when the first drain died were fetched twice.
        #expect(answered.values.filter { $0 == 2 }.count == 2)
        #expect(answered.values.filter { $0 == 1 }.count == 8)
    }

    @Test func aFailedTransactionKeepsTheItemQueued() throws {
        let storage = try KeyRotationStorage(path: self.directory.path())
        let item = try storage.requests.enqueue(kind: "vt.lookup", payload: "a", eta: self.at(0), at: self.at(0))
        struct Interrupted: Error {}
        let report = StoredReport(id: "a", type: "domain", payload: Data(), fetchedAt: self.at(1))
        #expect(throws: Interrupted.self) {
            try storage.transaction { transaction in
                try transaction.upsert(report)
                try transaction.complete(requestID: item.id)
                throw Interrupted()
            }
        }
        #expect(try storage.requests.count() == 1)
        #expect(try storage.reports.count() == 0)
    }

    @Test func claimedItemsComeBackWhenTheLeaseEnds() throws {
        let queue = try KeyRotationStorage(path: self.directory.path()).requests
        try queue.enqueue(kind: "k", payload: "p", eta: self.at(0), at: self.at(0))
        #expect(try queue.claimDue(at: self.at(1), lease: .seconds(30)).map(\.payload) == ["p"])
        #expect(try queue.claimDue(at: self.at(2), lease: .seconds(30)).isEmpty, "another drainer skips it")
        #expect(try queue.due(at: self.at(31)).map(\.payload) == ["p"])
    }

    @Test func aDrainerOfOneKindLeavesTheOtherKindsQueued() throws {
        let queue = try KeyRotationStorage(path: self.directory.path()).requests
        try queue.enqueue(kind: "virustotal.lookup", payload: "8.8.8.8", eta: self.at(0), at: self.at(0))
        try queue.enqueue(kind: "other.provider", payload: "job", eta: self.at(0), at: self.at(0))
        let claimed = try queue.claimDue(at: self.at(1), kind: "virustotal.lookup", lease: .seconds(600))
        #expect(claimed.map(\.payload) == ["8.8.8.8"])
        #expect(try queue.due(at: self.at(1), kind: "other.provider").map(\.payload) == ["job"])
        #expect(try queue.claimDue(at: self.at(1), kind: "other.provider", lease: .seconds(600)).count == 1)
    }
}
