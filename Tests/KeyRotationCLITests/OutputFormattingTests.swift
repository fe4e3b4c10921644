import Foundation
import Testing

@testable import KeyRotationCLI

@Suite struct OutputFormattingTests {
    @Test func tableAlignsColumnsAndRightAlignsNumbers() {
        var table = TextTable(columns: ["NAME", "COUNT", "SHARE", "NOTE"])
        table.append(["alpha", "3", "12.5%", "ok"])
        table.append(["b", "1,024", "100%", ""])
        table.append(["gamma", "-7", "0.5", "line\nbreak"])
        #expect(
            table.render() == """
                NAME   COUNT  SHARE  NOTE
                alpha      3  12.5%  ok
                b      1,024   100%
                gamma     -7    0.5  line break

                """
        )
    }

    @Test func tableHonoursExplicitAlignmentAndPadsShortRows() {
        var table = TextTable(columns: [
            TextTable.Column("ID", alignment: .right), TextTable.Column("N", alignment: .left),
        ])
        table.append(["x"])
        table.append(["long-id", "12", "dropped"])
        #expect(table.render() == "     ID  N\n      x\nlong-id  12\n")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", ""),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("cr\r", "\"cr\r\""),
        (" spaced ", " spaced "),
        ("é,ü", "\"é,ü\""),
    ])
    func csvQuotesFieldsAsRFC4180Says(_ value: String, _ expected: String) {
        #expect(CSVWriter.field(value) == expected)
    }

    @Test func csvRecordsEndWithCRLF() throws {
        let sink = CapturedOutput()
        let writer = CSVWriter(sink: sink)
        try writer.write(["ioc", "verdict"])
        try writer.write(["example.com", "harmless, mostly"])
        #expect(sink.text == "ioc,verdict\r\nexample.com,\"harmless, mostly\"\r\n")
    }

    struct Item: Encodable {
        var id: String
        var count: Int
        var url: String
    }

    @Test func jsonLinesWritesOneCompactObjectPerLine() throws {
        let sink = CapturedOutput()
        let lines = JSONLines(sink: sink)
        try lines.write(Item(id: "a", count: 1, url: "https://x.test/a"))
        try lines.write(Item(id: "b", count: 2, url: "https://x.test/b"))
        #expect(
            sink.text == """
                {"count":1,"id":"a","url":"https://x.test/a"}
                {"count":2,"id":"b","url":"https://x.test/b"}

                """
        )
    }

    @Test func prettyJSONHasSortedKeys() throws {
        let text = try JSONOutput.encode(Item(id: "a", count: 1, url: "u"))
        #expect(text == "{\n  \"count\" : 1,\n  \"id\" : \"a\",\n  \"url\" : \"u\"\n}\n")
    }

    @Test func progressModes() {
        #expect(ProgressLine.Mode.resolve(forced: false, isTerminal: true) == .inPlace)
        #expect(ProgressLine.Mode.resolve(forced: true, isTerminal: true) == .inPlace)
        #expect(ProgressLine.Mode.resolve(forced: true, isTerminal: false) == .lines)
        #expect(ProgressLine.Mode.resolve(forced: false, isTerminal: false) == .off)
    }

    @Test func progressSkipsRepeatsAndStopsAfterFinish() {
        let sink = CapturedOutput()
        let progress = ProgressLine(sink: sink, mode: .lines, label: "enriched", total: 40)
        progress.update(completed: 12)
        progress.update(completed: 12)
        progress.advance(by: 3)
        progress.finish()
        progress.advance()
        #expect(sink.text == "12/40 enriched\n15/40 enriched\n")
        let open = ProgressLine(sink: sink, mode: .lines, label: "pages", total: nil)
        #expect(open.text(completed: 7) == "7 pages")
        let off = CapturedOutput()
        ProgressLine(sink: off, mode: .off, label: "x", total: 1).update(completed: 1)
        #expect(off.text.isEmpty)
    }

    @Test func helpTextWrapsAtWordBoundaries() {
        #expect(HelpText.wrap("aaa bbb ccc", width: 7) == "aaa bbb\nccc")
        #expect(HelpText.wrap("averyverylongword x", width: 5) == "averyverylongword\nx")
    }
}
