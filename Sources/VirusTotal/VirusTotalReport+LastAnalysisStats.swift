extension VirusTotalReport {
    /// How many engines put the object in each category at its last analysis (`last_analysis_stats`).
    ///
    /// Every count defaults to 0: a missing or wrongly typed key reads as 0.
    public struct LastAnalysisStats: Hashable, Sendable, Codable {
        /// Engines that found the object harmless.
        public var harmless: Int
        /// Engines that found it malicious.
        public var malicious: Int
        /// Engines that found it suspicious.
        public var suspicious: Int
        /// Engines that detected nothing.
        public var undetected: Int
        /// Engines that timed out.
        public var timeout: Int
        /// Engines that can't analyse this file type (files only: `type-unsupported`).
        public var typeUnsupported: Int
        /// Engines that timed out on a retry too (files only: `confirmed-timeout`).
        public var confirmedTimeout: Int
        /// Engines that failed (files only: `failure`).
        public var failure: Int

        /// Creates counts; each defaults to 0.
        public init(
            harmless: Int = 0,
            malicious: Int = 0,
            suspicious: Int = 0,
            undetected: Int = 0,
            timeout: Int = 0,
            typeUnsupported: Int = 0,
            confirmedTimeout: Int = 0,
            failure: Int = 0
        ) {
            self.harmless = harmless
            self.malicious = malicious
            self.suspicious = suspicious
            self.undetected = undetected
            self.timeout = timeout
            self.typeUnsupported = typeUnsupported
            self.confirmedTimeout = confirmedTimeout
            self.failure = failure
        }

        /// Every engine counted, whatever its answer.
        public var total: Int {
            [
                self.harmless, self.malicious, self.suspicious, self.undetected, self.timeout, self.typeUnsupported,
                self.confirmedTimeout, self.failure,
            ].reduce(0) { $0.addingReportingOverflow(max($1, 0)).partialValue }
        }

        private enum CodingKeys: String, CodingKey {
            case harmless, malicious, suspicious, undetected, timeout
            case typeUnsupported = "type-unsupported"
            case confirmedTimeout = "confirmed-timeout"
            case failure
        }

        /// Decodes VirusTotal's object; missing or wrongly typed counts read as 0.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func count(_ key: CodingKeys) -> Int {
                ((try? container.decodeIfPresent(Int.self, forKey: key)) ?? nil) ?? 0
            }
            self.init(
                harmless: count(.harmless),
                malicious: count(.malicious),
                suspicious: count(.suspicious),
                undetected: count(.undetected),
                timeout: count(.timeout),
                typeUnsupported: count(.typeUnsupported),
                confirmedTimeout: count(.confirmedTimeout),
                failure: count(.failure)
            )
        }
    }
}
