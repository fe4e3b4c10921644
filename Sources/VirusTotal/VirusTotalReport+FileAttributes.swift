public import KeyRotation

extension VirusTotalReport {
    /// What VirusTotal knows about a file (`data.type == "file"`); every field is optional.
    public struct FileAttributes: Hashable, Sendable {
        /// The MD5, lowercase hex.
        public var md5: String?
        /// The SHA-1, lowercase hex.
        public var sha1: String?
        /// The SHA-256, lowercase hex (the report's ``VirusTotalReport/id`` too).
        public var sha256: String?
        /// Size in bytes.
        public var size: Int?
        /// A readable file type, such as `Win32 EXE` or `Text`.
        public var typeDescription: String?
        /// A short file type tag, such as `peexe` or `text`.
        public var typeTag: String?
        /// The `file(1)`-style magic description.
        public var magic: String?
        /// The most telling of the names the file was submitted under (often missing).
        public var meaningfulName: String?
        /// Names the file was submitted under; empty when none.
        public var names: [String]
        /// How many times the file was submitted.
        public var timesSubmitted: Int?
        /// When VirusTotal first saw the file.
        public var firstSubmissionDate: Timestamp?

        init(_ attributes: KeyedDecodingContainer<AnyCodingKey>?) {
            self.md5 = attributes?.lenient("md5")
            self.sha1 = attributes?.lenient("sha1")
            self.sha256 = attributes?.lenient("sha256")
            self.size = attributes?.lenient("size")
            self.typeDescription = attributes?.lenient("type_description")
            self.typeTag = attributes?.lenient("type_tag")
            self.magic = attributes?.lenient("magic")
            self.meaningfulName = attributes?.lenient("meaningful_name")
            self.names = attributes?.lenientStrings("names") ?? []
            self.timesSubmitted = attributes?.lenient("times_submitted")
            self.firstSubmissionDate = attributes?.lenientTimestamp("first_submission_date")
        }
    }
}
