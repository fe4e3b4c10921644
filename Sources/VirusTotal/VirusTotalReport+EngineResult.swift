extension VirusTotalReport {
    /// One engine's answer at the last analysis (an entry of `last_analysis_results`).
    public struct EngineResult: Hashable, Sendable {
        /// The engine's name, as the key of the entry.
        public var engine: String
        /// `malicious`, `suspicious`, `harmless`, `undetected`, `timeout`, `type-unsupported`, …
        public var category: String?
        /// What the engine called the object (a threat name, `clean`, `unrated`), if anything.
        public var result: String?
        /// The engine's method, such as `blacklist`.
        public var method: String?
        /// The engine's version.
        public var engineVersion: String?

        /// Creates a result.
        public init(
            engine: String,
            category: String? = nil,
            result: String? = nil,
            method: String? = nil,
            engineVersion: String? = nil
        ) {
            self.engine = engine
            self.category = category
            self.result = result
            self.method = method
            self.engineVersion = engineVersion
        }
    }
}
