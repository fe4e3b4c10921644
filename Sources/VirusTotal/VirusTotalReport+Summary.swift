extension VirusTotalReport {
    /// The few numbers a person reads first, and a verdict.
    public struct Summary: Hashable, Sendable, Codable {
        /// Engines that found the object malicious.
        public var malicious: Int
        /// Engines that found it suspicious.
        public var suspicious: Int
        /// Engines that found it harmless.
        public var harmless: Int
        /// Engines that detected nothing.
        public var undetected: Int
        /// Every engine counted, timeouts, failures and unsupported types included.
        public var totalEngines: Int

        /// Creates a summary of `stats`.
        public init(_ stats: LastAnalysisStats) {
            self.malicious = stats.malicious
            self.suspicious = stats.suspicious
            self.harmless = stats.harmless
            self.undetected = stats.undetected
            self.totalEngines = stats.total
        }

        /// The verdict of the counts; see ``Verdict`` for the rule.
        public var verdict: Verdict {
            if self.malicious >= 1 { return .malicious }
            if self.suspicious >= 1 { return .suspicious }
            if self.harmless + self.undetected >= 1 { return .clean }
            return .noData
        }

        /// `5/70 malicious`, `clean (0/70)`, `no data`: one line for a table.
        public var shortDescription: String {
            switch self.verdict {
            case .malicious: "\(self.malicious)/\(self.totalEngines) malicious"
            case .suspicious: "\(self.suspicious)/\(self.totalEngines) suspicious"
            case .clean: "clean (0/\(self.totalEngines))"
            case .noData: "no data"
            }
        }
    }

    /// What the last analysis says, by a simple rule on the engine counts.
    ///
    /// - `malicious`: at least one engine said malicious.
    /// - `suspicious`: none said malicious, at least one said suspicious.
    /// - `clean`: none said either, and at least one engine gave an answer (harmless or undetected).
    /// - `noData`: no engine gave an answer (no analysis yet, or only timeouts, failures, unsupported types).
    ///
    /// One detection is enough on purpose: the tool flags, a person decides. Use ``Summary`` for a stricter rule.
    public enum Verdict: String, Hashable, Sendable, Codable, CaseIterable {
        /// At least one engine said malicious.
        case malicious
        /// No engine said malicious, at least one said suspicious.
        case suspicious
        /// Engines answered and none said malicious or suspicious.
        case clean
        /// No engine answered.
        case noData
    }
}
