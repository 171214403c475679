import Foundation
import StrainContract
@testable import StrainReport
import Testing

/// What a reader sees of names: SVG labels never run past their room (cut, whole in a tooltip), and
/// PostgreSQL statuses read as words.
struct LabelTests {
    static let longName = "checkout-with-a-scenario-name-nobody-would-shorten.step-" + String(repeating: "x", count: 120) + "-end"

    /// The text elements of an SVG: where they start, what they show, and their tooltip if any.
    static func texts(in svg: String) -> [(x: Double, anchor: String?, shown: String, title: String?)] {
        svg.matches(of: /<text ([^>]*)>(?:<title>([^<]*)<\/title>)?([^<]*)<\/text>/).map { match in
            let attributes = String(match.output.1)
            let x = attributes.firstMatch(of: /x="([0-9.]+)"/).flatMap { Double($0.output.1) } ?? 0
            let anchor = attributes.firstMatch(of: /text-anchor="([a-z]+)"/).map { String($0.output.1) }
            return (x, anchor, String(match.output.3), match.output.2.map(String.init))
        }
    }

    @Test func lineChartTitleAndLegendStayInsideTheChart() {
        let names = (0..<6).map { "\($0)-" + Self.longName.prefix(20 + 15 * $0) }
        var chart = LineChart(title: "Latency of " + Self.longName, series: names.map { .init(name: $0, points: [(0, 1), (1, 2)]) },
                              xLabel: "seconds", formatY: { Format.number($0) })
        (chart.width, chart.height) = (440, 230)
        let svg = chart.svg
        let texts = Self.texts(in: svg).filter { $0.anchor == nil }
        #expect(texts.count == 7)
        for text in texts {
            let fontSize = text.shown.hasPrefix("Latency") ? 14.0 : 11
            #expect(text.x + SVG.textWidth(text.shown, fontSize: fontSize, bold: fontSize == 14) <= chart.width,
                    "\(text.shown) runs past the chart")
        }
        // What was cut is whole in its tooltip; nothing is lost.
        let title = texts.first { $0.shown.hasPrefix("Latency") }
        #expect(title?.shown.hasSuffix("…") == true)
        #expect(title?.title == "Latency of " + Self.longName)
        for name in names {
            #expect(texts.contains { $0.shown == name || $0.title == name }, "legend \(name) missing")
        }
        // Six long legend entries wrap onto rows of their own, and the chart grows to keep its plot.
        #expect(Set(svg.matches(of: /<text class="legend" x="[0-9.]+" y="([0-9.]+)"/).map { $0.output.1 }).count > 1)
        #expect(!svg.contains(#"viewBox="0 0 440 230""#))
    }

    @Test func barLabelsAreCutInTheMiddleWithTheWholeNameInATooltip() {
        let chart = StackedBarChart(title: "Where the time goes", bars: [.init(label: Self.longName, segments: [("a", 1)]),
                                                                         .init(label: "short", segments: [("a", 2)])],
                                    segmentNames: ["a"], formatValue: { Format.number($0) })
        let labels = Self.texts(in: chart.svg).filter { $0.anchor == "end" }
        #expect(labels.count == 2)
        let long = labels[0]
        #expect(long.title == Self.longName)
        #expect(long.shown.hasPrefix("checkout-with") && long.shown.hasSuffix("x-end") && long.shown.contains("…"))
        // Right-aligned at the label column's edge: it must fit between the chart's left margin and there.
        #expect(SVG.textWidth(long.shown, fontSize: 11) <= long.x - 10)
        #expect(labels[1].shown == "short" && labels[1].title == nil)
    }

    @Test(arguments: [
        ("00000", ScenarioKind.postgres, "ok"), ("23505", .postgres, "23505 integrity constraint violation"),
        ("40P01", .postgres, "40P01 transaction rollback"), ("ZZ999", .postgres, "ZZ999"), ("200", .http, "200"),
    ])
    func statusLabels(status: String, kind: ScenarioKind, label: String) {
        #expect(StepFigures.statusLabel(status, kind: kind) == label)
    }

    /// Through a renderer: the overview's statuses column of a SQL step.
    @Test func sqlStatusesReadAsOk() {
        var step = StepResult(name: "lookup")
        step.requests = 484
        step.failures = 3
        step.statuses = ["00000": 481, "40P01": 3]
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let artifact = RunArtifact(tool: ToolInfo(version: "test"), profile: nil, host: HostInfo.current(), gitSHA: nil,
                                   startedAt: start, endedAt: start.addingTimeInterval(10), status: .completed,
                                   validity: Validity(valid: true),
                                   scenarios: [ScenarioResult(name: "sql", kind: .postgres, iterations: 484, steps: [step])])
        let text = MarkdownReport.render(RunReport(artifact: artifact))
        #expect(text.contains("| sql.lookup | postgres | 484 |"))
        #expect(text.contains("| ok×481 · 40P01 transaction rollback×3 |"))
        #expect(!text.contains("00000"))
    }
}
