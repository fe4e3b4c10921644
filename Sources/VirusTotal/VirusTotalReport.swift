public import Foundation
public import KeyRotation

/// A VirusTotal v3 object report (`{"data":{"id","type","links","attributes"}}`) for a file, domain, IP address
/// or URL, read leniently.
///
/// Unknown attributes are ignored and an attribute of an unexpected type reads as `nil` (or empty), so a change
/// on VirusTotal's side never fails a lookup. `last_analysis_results`, the largest part, is not decoded up
/// front: ``analysisResults()`` reads it from ``rawJSON`` on demand. The body as received stays in ``rawJSON``.
public struct VirusTotalReport: Hashable, Sendable {
    /// The object's id: the SHA-256 of a file, the domain, the IP address, or VirusTotal's id of a URL.
    public var id: String
    /// The object's type.
    public var type: ObjectType
    /// The API link to this object (`links.self`).
    public var selfLink: URL?

    /// How many engines gave each answer at the last analysis; all 0 when missing.
    public var lastAnalysisStats: LastAnalysisStats
    /// When the object was last analysed.
    public var lastAnalysisDate: Timestamp?
    /// When anything about the object last changed.
    public var lastModificationDate: Timestamp?
    /// VirusTotal's community reputation score; negative is bad.
    public var reputation: Int?
    /// Community votes.
    public var totalVotes: Votes?
    /// Tags; empty when none.
    public var tags: [String]
    /// Categories by categorisation service; empty when none.
    public var categories: [String: String]

    /// File details, when ``type`` is ``ObjectType/file``.
    public var file: FileAttributes?
    /// Domain details, when ``type`` is ``ObjectType/domain``.
    public var domain: DomainAttributes?
    /// IP address details, when ``type`` is ``ObjectType/ipAddress``.
    public var ipAddress: IPAddressAttributes?
    /// URL details, when ``type`` is ``ObjectType/url``.
    public var url: URLAttributes?

    /// The body exactly as received.
    public var rawJSON: Data

    /// Decodes a report from the body of a 200 answer.
    ///
    /// - Parameters:
    ///   - json: The response body.
    ///   - expectedType: The type the lookup asked for; `nil` accepts any.
    /// - Throws: ``VirusTotalDecodingError`` when the body is not JSON, has no `data` with an `id` and a `type`,
    ///   or is of another type than `expectedType`.
    public init(json: Data, expecting expectedType: ObjectType? = nil) throws(VirusTotalDecodingError) {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: json)
        } catch {
            throw VirusTotalDecodingError(
                .malformedJSON,
                "the answer (\(json.count) bytes) is not a JSON object; "
                    + "check that the base URL points at VirusTotal's API v3"
            )
        }
        guard let payload = envelope.data else {
            throw VirusTotalDecodingError(
                .missingData,
                "the answer has no 'data' object with a string 'id' and 'type'; it is not a VirusTotal object report"
            )
        }
        if let expectedType, payload.report.type != expectedType {
            throw VirusTotalDecodingError(
                .unexpectedType,
                "asked for a \(expectedType) report but VirusTotal answered with a "
                    + "'\(payload.report.type.rawValue.prefix(40))'"
            )
        }
        self = payload.report
        self.rawJSON = json
    }

    /// The counts a person reads first, and their verdict.
    public var summary: Summary { Summary(self.lastAnalysisStats) }

    /// The verdict of ``summary``.
    public var verdict: Verdict { self.summary.verdict }

    /// Each engine's answer at the last analysis, read from ``rawJSON`` now, sorted by engine name.
    ///
    /// - Returns: The entries of `last_analysis_results`; empty when the report has none. Entries that are not
    ///   objects are skipped.
    /// - Throws: ``VirusTotalDecodingError`` with ``VirusTotalDecodingError/Code/malformedJSON`` when
    ///   ``rawJSON`` is not JSON (it always is for a decoded report, unless changed since).
    public func analysisResults() throws(VirusTotalDecodingError) -> [EngineResult] {
        do {
            return try JSONDecoder().decode(ResultsEnvelope.self, from: self.rawJSON).results
        } catch {
            throw VirusTotalDecodingError(.malformedJSON, "the report's JSON can't be read: rawJSON was changed")
        }
    }

    /// Reads the members while decoding; ``rawJSON`` is attached afterwards.
    init(
        id: String,
        type: ObjectType,
        selfLink: URL?,
        attributes: KeyedDecodingContainer<AnyCodingKey>?,
        rawJSON: Data
    ) {
        self.id = id
        self.type = type
        self.selfLink = selfLink
        self.rawJSON = rawJSON
        self.lastAnalysisStats = attributes?.lenient("last_analysis_stats") ?? LastAnalysisStats()
        self.lastAnalysisDate = attributes?.lenientTimestamp("last_analysis_date")
        self.lastModificationDate = attributes?.lenientTimestamp("last_modification_date")
        self.reputation = attributes?.lenient("reputation")
        self.totalVotes = attributes?.lenient("total_votes")
        self.tags = attributes?.lenientStrings("tags") ?? []
        self.categories = attributes?.lenientStringMap("categories") ?? [:]
        switch type {
        case .file: self.file = FileAttributes(attributes)
        case .domain: self.domain = DomainAttributes(attributes)
        case .ipAddress: self.ipAddress = IPAddressAttributes(attributes)
        case .url: self.url = URLAttributes(attributes)
        default: break
        }
    }
}

/// `{"data": …}`; `data` is `nil` unless it is an object with a string `id` and `type`.
private struct Envelope: Decodable {
    var data: Payload?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        self.data = container.lenient("data")
    }
}

/// `data`: the report, read while the decoder is at hand (a container must not outlive its `decode` call).
private struct Payload: Decodable {
    var report: VirusTotalReport

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let type = VirusTotalReport.ObjectType(rawValue: try container.decode(String.self, forKey: "type"))
        self.report = VirusTotalReport(
            id: try container.decode(String.self, forKey: "id"),
            type: type,
            selfLink: container.lenientObject("links")?.lenient("self", as: String.self).flatMap(URL.init(string:)),
            attributes: container.lenientObject("attributes"),
            rawJSON: Data()
        )
    }
}

/// `{"data":{"attributes":{"last_analysis_results":{…}}}}`, and nothing else.
private struct ResultsEnvelope: Decodable {
    var results: [VirusTotalReport.EngineResult]

    init(from decoder: any Decoder) throws {
        let root = try decoder.container(keyedBy: AnyCodingKey.self)
        let entries = root.lenientObject("data")?.lenientObject("attributes")?.lenientObject("last_analysis_results")
        guard let entries else {
            self.results = []
            return
        }
        self.results = entries.allKeys.compactMap { key in
            guard let entry = entries.lenientObject(key) else { return nil }
            return VirusTotalReport.EngineResult(
                engine: key.stringValue,
                category: entry.lenient("category"),
                result: entry.lenient("result"),
                method: entry.lenient("method"),
                engineVersion: entry.lenient("engine_version")
            )
        }
        .sorted { $0.engine < $1.engine }
    }
}
