import Foundation

/// JSON for the command line: one document, pretty-printed, with sorted keys (stable, diffable output).
enum JSONOutput {
    /// `value` as JSON text, followed by a newline.
    ///
    /// - Parameter pretty: Indented (default) or on one line.
    static func encode(_ value: some Encodable, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty
            ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes `value` to `sink`.
    ///
    /// - Throws: `EncodingError`, or ``OutputWriteError`` when the sink can't be written.
    static func write(_ value: some Encodable, to sink: any OutputSink, pretty: Bool = true) throws {
        try sink.write(try Self.encode(value, pretty: pretty))
    }
}

/// JSON Lines (one compact object per line) for streams: each result is written as soon as it is ready.
struct JSONLines: Sendable {
    /// Where the lines go.
    let sink: any OutputSink

    /// Creates a writer.
    init(sink: any OutputSink) { self.sink = sink }

    /// Writes one value on its own line.
    ///
    /// - Throws: `EncodingError`, or ``OutputWriteError`` when the sink can't be written.
    func write(_ value: some Encodable) throws {
        try self.sink.write(try JSONOutput.encode(value, pretty: false))
    }
}
