/// A plain-text table with aligned columns: headers, two spaces between columns, numbers right-aligned.
///
/// ```
/// KEY   STATE       USES  LEFT 4/1m
/// vt-1  available      3          1
/// vt-2  available     12          4
/// ```
struct TextTable: Hashable, Sendable {
    /// How a column's cells line up.
    enum Alignment: Hashable, Sendable {
        case left
        case right
        /// Right when every non-empty cell (the header aside) is a number, else left.
        case automatic
    }

    /// A column: its header and alignment.
    struct Column: Hashable, Sendable, ExpressibleByStringLiteral {
        /// The header.
        var title: String
        /// How the cells line up.
        var alignment: Alignment

        /// Creates a column.
        init(_ title: String, alignment: Alignment = .automatic) {
            self.title = title
            self.alignment = alignment
        }

        init(stringLiteral value: String) { self.init(value) }
    }

    /// The columns.
    var columns: [Column]
    /// The rows; a short row is padded with empty cells, extra cells are dropped.
    var rows: [[String]]

    /// Creates a table.
    init(columns: [Column], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// Adds a row.
    mutating func append(_ row: [String]) { self.rows.append(row) }

    /// The table as lines joined by newlines, with a final newline; no trailing spaces.
    func render() -> String {
        let count = self.columns.count
        guard count > 0 else { return "" }
        let cells = self.rows.map { row in (0..<count).map { $0 < row.count ? Self.clean(row[$0]) : "" } }
        var widths = self.columns.map(\.title.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let rightAligned = (0..<count).map { index -> Bool in
            switch self.columns[index].alignment {
            case .left: return false
            case .right: return true
            case .automatic:
                let values = cells.map { $0[index] }.filter { !$0.isEmpty }
                return !values.isEmpty && values.allSatisfy(Self.isNumeric)
            }
        }
        func line(_ row: [String]) -> String {
            var text = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { text += "  " }
                text += rightAligned[index] ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        return ([line(self.columns.map(\.title))] + cells.map(line)).joined(separator: "\n") + "\n"
    }

    /// Whether `text` reads as a number: `12`, `-3`, `4.5`, `1,024`, `87%`.
    static func isNumeric(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasSuffix("%") { body = body.dropLast() }
        if body.hasPrefix("-") || body.hasPrefix("+") { body = body.dropFirst() }
        guard !body.isEmpty else { return false }
        var digits = 0
        var dots = 0
        for character in body {
            if character.isASCII && character.isNumber {
                digits += 1
            } else if character == "." {
                dots += 1
            } else if character != "," {
                return false
            }
        }
        return digits > 0 && dots <= 1
    }

    /// Tabs and newlines would break the alignment: show them as spaces.
    private static func clean(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" }) else { return cell }
        return String(cell.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
    }
}
