import Foundation

/// Draws, without dependencies, one panel per scenario run: per-key share bars against the entitled share, and
/// quota use over time.
enum SVGReport {
    private static let panelWidth = 560.0
    private static let panelHeight = 150.0
    private static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"]

    static func document(rows: [ResultRow], machine: Machine) -> String {
        let panels = rows.filter { !$0.keyShares.isEmpty }
        let height = 60 + Double(panels.count) * (Self.panelHeight + 30)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.panelWidth * 2 + 60))" height="\(Int(height))" \
            font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="24" font-size="15">rotation-bench: per-key share (bars; ticks = entitled share) and quota \
            use over time</text>
            <text x="20" y="42" fill="#555">\(Self.escaped(machine.summary))</text>

            """
        for (index, row) in panels.enumerated() {
            let top = 60 + Double(index) * (Self.panelHeight + 30)
            svg += Self.shares(row, x: 20, y: top)
            svg += Self.useOverTime(row, x: 40 + Self.panelWidth, y: top)
        }
        return svg + "</svg>\n"
    }

    private static func shares(_ row: ResultRow, x: Double, y: Double) -> String {
        let title = "\(row.scenario) · \(row.variant) · \(row.pool)"
        var svg = "<text x=\"\(x)\" y=\"\(y + 12)\" font-weight=\"bold\">\(Self.escaped(title))</text>\n"
        let top = y + 20
        let height = Self.panelHeight - 30
        let count = row.keyShares.count
        let scale = max(row.keyShares.max() ?? 0, row.entitledShares.max() ?? 0, 1e-9)
        let slot = Self.panelWidth / Double(max(count, 1))
        svg +=
            "<rect x=\"\(x)\" y=\"\(top)\" width=\"\(Self.panelWidth)\" height=\"\(height)\" fill=\"none\" stroke=\"#ccc\"/>\n"
        for index in 0..<count {
            let barHeight = row.keyShares[index] / scale * height
            let left = x + Double(index) * slot
            svg += "<rect x=\"\(Self.f(left + slot * 0.1))\" y=\"\(Self.f(top + height - barHeight))\" "
            svg += "width=\"\(Self.f(max(slot * 0.8, 0.5)))\" height=\"\(Self.f(barHeight))\" "
            svg += "fill=\"\(Self.palette[index % Self.palette.count])\"/>\n"
            let entitled = top + height - row.entitledShares[index] / scale * height
            svg += "<line x1=\"\(Self.f(left))\" x2=\"\(Self.f(left + slot))\" y1=\"\(Self.f(entitled))\" "
            svg += "y2=\"\(Self.f(entitled))\" stroke=\"black\" stroke-width=\"1.5\"/>\n"
        }
        return svg
    }

    private static func useOverTime(_ row: ResultRow, x: Double, y: Double) -> String {
        let top = y + 20
        let height = Self.panelHeight - 30
        let maximum = max(row.useOverTime.max() ?? 0, 100)
        var svg = "<text x=\"\(x)\" y=\"\(y + 12)\">quota use over time (% of entitlement; line = 100 %)</text>\n"
        svg +=
            "<rect x=\"\(x)\" y=\"\(top)\" width=\"\(Self.panelWidth)\" height=\"\(height)\" fill=\"none\" stroke=\"#ccc\"/>\n"
        let hundred = top + height - 100 / maximum * height
        svg += "<line x1=\"\(x)\" x2=\"\(x + Self.panelWidth)\" y1=\"\(Self.f(hundred))\" y2=\"\(Self.f(hundred))\" "
        svg += "stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        let step = Self.panelWidth / Double(max(row.useOverTime.count - 1, 1))
        let points = row.useOverTime.enumerated().map { index, value in
            "\(Self.f(x + Double(index) * step)),\(Self.f(top + height - value / maximum * height))"
        }
        svg +=
            "<polyline fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
        return svg
    }

    private static func f(_ value: Double) -> String { String((value * 10).rounded() / 10) }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
