public import Foundation
public import KeyRotation

/// The answer to one lookup: how it was served, the report and its summary, and which key served it.
public struct LookupResult: Hashable, Sendable {
    /// How the lookup was served.
    public enum Status: Hashable, Sendable {
        /// VirusTotal answered now.
        case servedLive
        /// A fresh answer came from the store or the in-memory cache; no quota was spent.
        case servedFromCache
        /// Every key was limited; the lookup waits in the persistent queue until `eta` (UTC). Run
        /// ``VirusTotalClient/runQueue(limit:)`` then.
        case queued(eta: Timestamp)
        /// VirusTotal does not know the indicator (404). A result, not an error; cached like a report.
        case notFound
        /// The lookup failed; the error says why and what to do.
        case failed(VirusTotalError)

        /// `live`, `cached`, `queued`, `not-found` or `failed`: one word for tables and JSON.
        public var name: String {
            switch self {
            case .servedLive: "live"
            case .servedFromCache: "cached"
            case .queued: "queued"
            case .notFound: "not-found"
            case .failed: "failed"
            }
        }
    }

    /// The text that was asked for, as given.
    public var input: String
    /// The indicator, normalised; `nil` when the input is not one.
    public var ioc: IOC?
    /// How the lookup was served.
    public var status: Status
    /// The report, when one was served (live or from the cache).
    public var report: VirusTotalReport?
    /// When the served answer was fetched from VirusTotal.
    public var fetchedAt: Timestamp?
    /// The key that fetched the answer (its public id, never the secret).
    public var keyID: KeyID?
    /// The quota the serving key had left after this lookup (the tightest of its limits), when known.
    public var remainingQuota: Int?

    /// Creates a result.
    public init(
        input: String,
        ioc: IOC?,
        status: Status,
        report: VirusTotalReport? = nil,
        fetchedAt: Timestamp? = nil,
        keyID: KeyID? = nil,
        remainingQuota: Int? = nil
    ) {
        self.input = input
        self.ioc = ioc
        self.status = status
        self.report = report
        self.fetchedAt = fetchedAt
        self.keyID = keyID
        self.remainingQuota = remainingQuota
    }

    /// The engine counts of ``report``; `nil` without a report.
    public var summary: VirusTotalReport.Summary? { self.report?.summary }

    /// The verdict of ``report``; ``VirusTotalReport/Verdict/noData`` without one (not found, queued, failed).
    public var verdict: VirusTotalReport.Verdict { self.report?.verdict ?? .noData }

    /// The indicator's page on virustotal.com; `nil` when the input is not an indicator.
    ///
    /// With a report, URLs and file hashes link by the id VirusTotal returned (the SHA-256 of its canonical URL,
    /// or the file's SHA-256), which is what its pages use.
    public var link: URL? {
        guard let ioc = self.ioc else { return nil }
        if let report = self.report, ioc.kind == .url || ioc.kind.isFileHash, !report.id.isEmpty,
            let url = URL(string: "https://www.virustotal.com/gui/\(ioc.kind == .url ? "url" : "file")/\(report.id)")
        {
            return url
        }
        return ioc.guiURL
    }

    /// The body as VirusTotal returned it, for fields the models skip.
    public var rawJSON: Data? { self.report?.rawJSON }

    /// The error, when the lookup failed.
    public var error: VirusTotalError? {
        if case .failed(let error) = self.status { return error }
        return nil
    }

    /// Whether the lookup produced an answer: a report or a "not found".
    public var isAnswered: Bool {
        switch self.status {
        case .servedLive, .servedFromCache, .notFound: true
        case .queued, .failed: false
        }
    }

    /// Whether the lookup failed.
    public var isFailure: Bool { self.error != nil }

    /// The same result for another input text (duplicates share one lookup).
    func answering(_ input: String) -> LookupResult {
        var copy = self
        copy.input = input
        return copy
    }
}
