import Foundation

/// Comma-separated values as RFC 4180 writes them: a field holding a comma, a double quote, CR or LF is
/// enclosed in double quotes, with its quotes doubled; records end with CRLF.
struct CSVWriter: Sendable {
    /// Where the records go.
    let sink: any OutputSink
    /// The record separator. Default CRLF (RFC 4180).
    var lineEnding: String = "\r\n"

    /// Creates a writer.
    init(sink: any OutputSink, lineEnding: String = "\r\n") {
        self.sink = sink
        self.lineEnding = lineEnding
    }

    /// Writes one record.
    ///
    /// - Throws: ``OutputWriteError`` when the sink can't be written.
    func write(_ fields: [String]) throws(OutputWriteError) {
        try self.sink.write(Self.record(fields) + self.lineEnding)
    }

    /// One record, without the line ending.
    static func record(_ fields: [String]) -> String { fields.map(Self.field).joined(separator: ",") }

    /// One field, quoted when it has to be.
    static func field(_ value: String) -> String {
        let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
