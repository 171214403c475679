import Foundation
import StrainContract

/// Text made safe for HTML, SVG and XML content and attribute values.
enum Markup {
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // XML 1.0 allows no other control characters, even escaped.
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: escaped += " "
            // Noncharacters XML 1.0 does not allow either: junit.xml would not parse.
            case "\u{FFFE}", "\u{FFFF}": escaped += "\u{FFFD}"
            // Shown, not obeyed: they would reorder what the page displays after them.
            case _ where TerminalText.isBidiControl(scalar): escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// Inline SVG charts for the HTML report: plain markup, no script, no external asset, so the file
/// opens offline and prints. Each chart is a fixed-size `<svg>` with a viewBox, scaled by CSS.
enum SVG {
    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]

    static func color(_ index: Int) -> String {
        palette[index % palette.count]
    }

    /// Room for one legend entry: the swatch, the 11px text (about 6.6px a character) and a gap.
    static func legendAdvance(_ name: String) -> Double {
        28 + textWidth(name, fontSize: 11)
    }

    /// A generous estimate of the width of `text` in the report's sans-serif font (DejaVu Sans, the
    /// widest of the usual fallbacks, averages about 0.6 em a character; bold a little more).
    static func textWidth(_ text: String, fontSize: Double, bold: Bool = false) -> Double {
        Double(text.count) * fontSize * (bold ? 0.66 : 0.6)
    }

    /// A `<text>` element that never runs past `width` pixels: a longer text is cut in the middle
    /// (so "scenario.step" names keep their distinct ends) or at the end, with "…", and the whole
    /// text goes into a `<title>`, the tooltip. `attributes` are the element's other attributes.
    static func text(_ content: String, width: Double, fontSize: Double, bold: Bool = false, middle: Bool = false,
                     attributes: String) -> String {
        let fits = max(4, Int(width / (fontSize * (bold ? 0.66 : 0.6))))
        guard content.count > fits else { return "<text \(attributes)>\(Markup.escape(content))</text>" }
        let kept = fits - 1
        let shown = middle ? content.prefix(kept - kept / 2) + "…" + content.suffix(kept / 2) : content.prefix(kept) + "…"
        return "<text \(attributes)><title>\(Markup.escape(content))</title>\(Markup.escape(String(shown)))</text>"
    }

    /// Legend entries laid out left to right from `x`, wrapping to a new row before `limit`: the
    /// position of each entry, and the number of rows (none without names).
    static func legendLayout(_ names: [String], from x: Double, limit: Double) -> (positions: [(x: Double, row: Int)], rows: Int) {
        var positions: [(x: Double, row: Int)] = []
        var cursor = x, row = 0
        for name in names {
            let advance = legendAdvance(name)
            if cursor > x, cursor + advance - 12 > limit {
                row += 1
                cursor = x
            }
            positions.append((cursor, row))
            cursor += advance
        }
        return (positions, names.isEmpty ? 0 : row + 1)
    }

    static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// About `count` evenly spaced round values covering 0…`maximum` (1, 2 or 5 × 10ⁿ apart).
    static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0, 1] }
        let rough = maximum / Double(count)
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let top = (maximum / step).rounded(.up) * step
        return stride(from: 0, through: top + step / 2, by: step).map { $0 }
    }
}

/// Lines over a shared x axis (time, or percentile rank), with axes, ticks and a legend.
struct LineChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        /// Dashed, for a secondary series (e.g. the baseline in a comparison).
        var dashed = false
        /// Palette entry; nil takes the series' position, so a baseline can share its counterpart's colour.
        var colorIndex: Int?
    }

    var title: String
    var series: [Series]
    var xLabel: String
    var formatY: (Double) -> String
    /// Fixed x ticks with labels; nil spreads round values with `formatX`.
    var xTicks: [(value: Double, label: String)]?
    var formatX: (Double) -> String = { SVG.number($0) }
    /// Vertical lines at these x values, labelled (e.g. the knee of a capacity search).
    var markers: [(x: Double, label: String)] = []
    /// The drawing's size in its own pixels (CSS scales it to the page): a small chart, one of several
    /// side by side, is drawn smaller rather than shrunk, so its text stays as large.
    var width = 900.0
    var height = 280.0

    private let left = 70.0, right = 20.0, bottom = 48.0
    private static let legendRow = 15.0

    var svg: String {
        let drawn = series.enumerated().filter { !$0.element.points.isEmpty }
        let legend = SVG.legendLayout(drawn.map(\.element.name), from: left + 10, limit: width - right)
        // Each legend row beyond the first pushes the plot down and the chart grows by as much.
        let extra = Double(max(0, legend.rows - 1)) * Self.legendRow
        let top = 36 + extra, height = self.height + extra
        let points = series.flatMap(\.points)
        let xMin = xTicks?.first?.value ?? points.map(\.x).min() ?? 0
        let xMaxData = xTicks?.last?.value ?? points.map(\.x).max() ?? 1
        let xMax = xMaxData > xMin ? xMaxData : xMin + 1
        let yTicks = SVG.ticks(upTo: points.map(\.y).max() ?? 0)
        let yMax = yTicks.last ?? 1
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - y / yMax * plotHeight }

        var parts = [#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(Markup.escape(title))">"#,
                     SVG.text(title, width: width - 20, fontSize: 14, bold: true, attributes: #"class="title" x="10" y="20""#)]
        for tick in yTicks {
            let y = SVG.number(py(tick))
            parts.append(#"<line class="grid" x1="\#(left)" x2="\#(width - right)" y1="\#(y)" y2="\#(y)"/>"#)
            parts.append(#"<text class="tick" x="\#(left - 6)" y="\#(y)" text-anchor="end" dominant-baseline="middle">\#(Markup.escape(formatY(tick)))</text>"#)
        }
        let xTickList = xTicks ?? SVG.ticks(upTo: xMax - xMin, count: 8).map { (xMin + $0, formatX(xMin + $0)) }
        for tick in xTickList where tick.value <= xMax + 1e-9 {
            parts.append(#"<text class="tick" x="\#(SVG.number(px(tick.value)))" y="\#(height - bottom + 16)" text-anchor="middle">\#(Markup.escape(tick.label))</text>"#)
        }
        parts.append(#"<line class="axis" x1="\#(left)" x2="\#(width - right)" y1="\#(top + plotHeight)" y2="\#(top + plotHeight)"/>"#)
        parts.append(#"<text class="label" x="\#(left + plotWidth / 2)" y="\#(height - 6)" text-anchor="middle">\#(Markup.escape(xLabel))</text>"#)

        for marker in markers where marker.x >= xMin && marker.x <= xMax {
            let x = SVG.number(px(marker.x))
            parts.append(#"<line class="marker" x1="\#(x)" x2="\#(x)" y1="\#(top)" y2="\#(top + plotHeight)"/>"#)
            parts.append(SVG.text(marker.label, width: width - right - px(marker.x) - 4, fontSize: 11,
                                  attributes: #"class="legend" x="\#(x)" y="\#(top + 12)" dx="4""#))
        }
        for (position, (index, line)) in zip(legend.positions, drawn) {
            let color = SVG.color(line.colorIndex ?? index)
            let path = line.points.enumerated().map { offset, point in
                (offset == 0 ? "M" : "L") + "\(SVG.number(px(point.x))),\(SVG.number(py(point.y)))"
            }.joined(separator: " ")
            let dash = line.dashed ? #" stroke-dasharray="6 4""# : ""
            parts.append(#"<path class="series" d="\#(path)" stroke="\#(color)"\#(dash)><title>\#(Markup.escape(line.name))</title></path>"#)
            let legendY = top - Double(legend.rows - 1 - position.row) * Self.legendRow
            // The swatch is drawn like the line, dashed or not.
            parts.append(#"<line x1="\#(SVG.number(position.x))" x2="\#(SVG.number(position.x + 12))" y1="\#(SVG.number(legendY - 3))" y2="\#(SVG.number(legendY - 3))" stroke="\#(color)" stroke-width="3"\#(line.dashed ? #" stroke-dasharray="4 2""# : "")/>"#)
            parts.append(SVG.text(line.name, width: width - right - position.x - 16, fontSize: 11, middle: true,
                                  attributes: #"class="legend" x="\#(SVG.number(position.x + 16))" y="\#(SVG.number(legendY))""#))
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}

/// Horizontal bars, each split into named segments (a step's phases, or one finding's impact).
struct StackedBarChart {
    struct Bar {
        var label: String
        var segments: [(name: String, value: Double)]
    }

    var title: String
    var bars: [Bar]
    /// Segment names in legend (and colour) order.
    var segmentNames: [String]
    var formatValue: (Double) -> String
    /// Room for the labels, left of the bars.
    var left = 220.0
    /// Cut a label too long for its room in the middle (names whose ends differ), else at the end (sentences).
    var elideMiddle = true

    private let width = 900.0, rowHeight = 26.0, right = 90.0

    var svg: String {
        // One segment needs no legend: the title names it.
        let legend = SVG.legendLayout(segmentNames.count > 1 ? segmentNames : [], from: left, limit: width - 10)
        let top = 30 + Double(max(1, legend.rows)) * 18
        let height = top + Double(bars.count) * rowHeight + 16
        let maximum = bars.map { $0.segments.reduce(0) { $0 + $1.value } }.max() ?? 0
        let scale = maximum > 0 ? (width - left - right) / maximum : 0
        var parts = [#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(Markup.escape(title))">"#,
                     SVG.text(title, width: width - 20, fontSize: 14, bold: true, attributes: #"class="title" x="10" y="20""#)]
        for (index, (name, position)) in zip(segmentNames, legend.positions).enumerated() {
            let y = 30 + Double(position.row) * 18
            parts.append(#"<rect x="\#(SVG.number(position.x))" y="\#(SVG.number(y))" width="12" height="12" fill="\#(SVG.color(index))"/>"#)
            parts.append(#"<text class="legend" x="\#(SVG.number(position.x + 16))" y="\#(SVG.number(y + 10))">\#(Markup.escape(name))</text>"#)
        }
        for (row, bar) in bars.enumerated() {
            let y = top + Double(row) * rowHeight
            // The label column is `left` wide: a longer label is cut, whole in its tooltip.
            parts.append(SVG.text(bar.label, width: left - 18, fontSize: 11, middle: elideMiddle,
                                  attributes: #"class="tick" x="\#(left - 8)" y="\#(SVG.number(y + rowHeight / 2))" text-anchor="end" dominant-baseline="middle""#))
            var x = left
            for segment in bar.segments where segment.value > 0 {
                let color = SVG.color(segmentNames.firstIndex(of: segment.name) ?? 0)
                let barWidth = max(1, segment.value * scale)
                parts.append(#"<rect class="bar" x="\#(SVG.number(x))" y="\#(SVG.number(y + 4))" width="\#(SVG.number(barWidth))" height="\#(rowHeight - 8)" fill="\#(color)"><title>\#(Markup.escape("\(bar.label) · \(segment.name): \(formatValue(segment.value))"))</title></rect>"#)
                x += barWidth
            }
            let total = bar.segments.reduce(0) { $0 + $1.value }
            parts.append(#"<text class="tick" x="\#(SVG.number(x + 6))" y="\#(SVG.number(y + rowHeight / 2))" dominant-baseline="middle">\#(Markup.escape(formatValue(total)))</text>"#)
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
