/// Renders a section as an aligned text table: text columns left-aligned, numbers right-aligned.
struct TableRenderer {
    var fixedHeaders = ["variant", "pool"]

    func render(title: String, columns: [Column], rows: [ResultRow]) -> String {
        let headers = self.fixedHeaders + columns.map(\.header)
        var cells: [[String]] = rows.map { row in
            [row.variant, row.pool]
                + columns.map { column in row[column.figure].map { Self.format($0, column.decimals) } ?? "–" }
        }
        cells.insert(headers, at: 0)
        let widths = headers.indices.map { index in cells.map { $0[index].count }.max() ?? 0 }
        var lines = [title]
        for (number, line) in cells.enumerated() {
            let padded = line.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index < self.fixedHeaders.count ? cell + padding : padding + cell
            }
            lines.append("  " + padded.joined(separator: "  "))
            if number == 0 {
                lines.append("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
            }
        }
        var previous = ""
        for row in rows {
            for note in row.notes where note != previous {
                previous = note
                if !lines.contains("  note: " + note) { lines.append("  note: " + note) }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `value` with `decimals` decimals and thousands separators; `∞` for infinity.
    static func format(_ value: Double, _ decimals: Int) -> String {
        if value.isInfinite { return "∞" }
        if value.isNaN { return "–" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        let whole = Int(rounded.magnitude.rounded(.down))
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        grouped = digits + grouped
        let sign = rounded < 0 ? "-" : ""
        guard decimals > 0 else { return sign + grouped }
        let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
        let fractionText = String(fraction)
        return sign + grouped + "." + String(repeating: "0", count: decimals - fractionText.count) + fractionText
    }
}
