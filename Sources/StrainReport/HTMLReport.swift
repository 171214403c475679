import Foundation
import StrainContract

/// One self-contained HTML file: inline CSS and SVG, no script, no external asset, so it opens
/// offline, attaches to a CI job and prints.
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        let headline = RunHeadline(report: report)
        var body = [header(report, headline: headline)]
        if let invalidity = headline.invalidity {
            body.append(#"<section class="alert"><strong>\#(Markup.escape(invalidity[0]))</strong><ul>"#
                        + invalidity.dropFirst().map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul></section>")
        }
        for warning in headline.warnings {
            body.append(#"<section class="alert"><strong>\#(Markup.escape(warning))</strong></section>"#)
        }
        body.append(thresholds(report))
        body.append(#"<section id="overview"><h2>Overview</h2>"# + table(RunOverview(report).table) + "</section>")
        body.append(charts(report))
        if let diagnosis = report.diagnosis { body.append(findings(diagnosis)) }
        body.append(scenarios(report))
        return page(title: headline.title, body: body)
    }

    /// A diagnosis's findings as a page of their own (`diagnosis.html`, from `strain diagnose` or a run
    /// with a diagnose section), as self-contained as a run's report.
    public static func render(_ diagnosis: Diagnosis) -> String {
        let title = "Diagnosis"
        // The run verdicts' colours: red with a critical finding, amber with warnings, green otherwise.
        let counts = Finding.Severity.allCases.reversed().compactMap { severity -> String? in
            let count = diagnosis.findings.filter { $0.severity == severity }.count
            return count > 0 ? "\(count) \(severity.rawValue)" : nil
        }
        let colour = diagnosis.findings.contains { $0.severity == .critical } ? "failed"
            : diagnosis.findings.contains { $0.severity == .warning } ? "invalid" : "passed"
        let window = "window \(Format.instant(diagnosis.startedAt)) → \(Format.instant(diagnosis.endedAt))"
        let header = #"<header><h1>\#(title)</h1><span class="verdict \#(colour)">\#(counts.isEmpty ? "no findings" : counts.joined(separator: " · "))</span>"#
            + #"<p class="meta">\#(Markup.escape(window))</p></header>"#
        return page(title: title, body: [header, findings(diagnosis)])
    }

    static func page(title: String, body: [String]) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Markup.escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    static let style = """
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #111827; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
    h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 18px 0 6px; } .meta { color: #4b5563; margin: 2px 0; }
    .verdict { display: inline-block; font-weight: 600; padding: 2px 10px; border-radius: 4px; margin: 6px 0; }
    .passed { background: #dcfce7; color: #166534; } .failed { background: #fee2e2; color: #991b1b; } .invalid { background: #fef3c7; color: #92400e; }
    .alert { border: 2px solid #dc2626; background: #fef2f2; padding: 8px 14px; margin: 14px 0; border-radius: 4px; }
    table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; max-width: 100%; }
    th, td { padding: 3px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; white-space: nowrap; }
    th { background: #f9fafb; font-weight: 600; }
    td.l { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 6em; } th.l { text-align: left; }
    code { overflow-wrap: anywhere; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 0 16px; }
    tr.fail td { color: #991b1b; font-weight: 600; }
    svg.chart { width: 100%; height: auto; display: block; margin: 8px 0 16px; }
    svg .title { font-size: 14px; font-weight: 600; fill: #111827; } svg .tick, svg .legend { font-size: 11px; fill: #374151; }
    svg .label { font-size: 12px; fill: #374151; } svg .grid { stroke: #e5e7eb; } svg .axis { stroke: #9ca3af; }
    svg .series { fill: none; stroke-width: 2; } svg .marker { stroke: #111827; stroke-dasharray: 4 3; }
    .finding { border: 1px solid #e5e7eb; border-left: 4px solid #9ca3af; padding: 6px 14px; margin: 10px 0; border-radius: 4px; }
    .finding.critical { border-left-color: #dc2626; } .finding.warning { border-left-color: #ea580c; }
    .finding h3 { margin: 6px 0; } pre { background: #f3f4f6; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
    """

    private static func header(_ report: RunReport, headline: RunHeadline) -> String {
        let (verdictClass, verdictText): (String, String) = switch report.verdict {
        case .passed: ("passed", report.thresholds == nil ? "completed; thresholds not evaluated" : "passed")
        case .thresholdsFailed: ("failed", "\(report.failedThresholds.count) threshold(s) failed")
        case .invalid: ("invalid", "run invalid")
        case .failed, .interrupted, .incomplete, .stoppedEarly: ("failed", report.verdict.headline)
        }
        return #"<header><h1>\#(Markup.escape(headline.title))</h1><span class="verdict \#(verdictClass)">\#(Markup.escape(verdictText))</span>"#
            + #"<p class="meta">\#(Markup.escape(headline.when))</p>"#
            + headline.provenance.map { #"<p class="meta">\#(Markup.escape($0))</p>"# }.joined() + "</header>"
    }

    static func table(_ table: TextTable, failingRows: Set<Int> = []) -> String {
        let head = table.columns.map { #"<th\#($0.alignment == .left ? #" class="l""# : "")>\#(Markup.escape($0.title))</th>"# }.joined()
        let rows = table.rows.enumerated().map { index, cells in
            let cells = zip(table.columns, cells).map { column, cell in
                #"<td\#(column.alignment == .left ? #" class="l""# : "")>\#(Markup.escape(cell))</td>"#
            }.joined()
            return "<tr\(failingRows.contains(index) ? #" class="fail""# : "")>\(cells)</tr>"
        }.joined(separator: "\n")
        return "<table><thead><tr>\(head)</tr></thead><tbody>\n\(rows)\n</tbody></table>"
    }

    private static func thresholds(_ report: RunReport) -> String {
        var html = #"<section id="thresholds"><h2>Thresholds</h2>"#
        if let results = report.thresholds, !results.isEmpty {
            let failing = Set(results.indices.filter { !results[$0].passed })
            html += table(ThresholdTable(results).table, failingRows: failing)
        } else {
            html += "<p>\(Markup.escape(report.thresholds == nil ? "Not evaluated" + (report.thresholdsNote.map { ": \($0)" } ?? "") : "None in the profile"))</p>"
        }
        return html + "</section>"
    }

    private static func charts(_ report: RunReport) -> String {
        var html = [#"<section id="charts"><h2>Charts</h2>"#]
        let steps = report.artifact.scenarios.flatMap { scenario in scenario.steps.map { (scenario, $0) } }
        if let timeline = report.timeline, !timeline.total.isEmpty {
            html.append(TimelineCharts.throughput(timeline).svg)
            // One chart per step, each on its own scale: an HTTP page and a SQL lookup differ by orders
            // of magnitude, and pooled percentiles would describe neither.
            let perStep = steps.compactMap { scenario, step -> String? in
                let key = TimelineDigest.key(scenario: scenario.name, step: step.name)
                guard let points = timeline.steps[key], points.contains(where: { $0.requests > 0 }) else { return nil }
                var chart = TimelineCharts.latency(points, title: "\(key) (\(scenario.kind.rawValue))")
                (chart.width, chart.height) = (440, 230)
                return chart.svg
            }
            if !perStep.isEmpty {
                html.append(#"<h3>Latency over time, per step</h3><div class="grid">"# + perStep.joined(separator: "\n") + "</div>")
            }
        } else {
            html.append("<p>No timeline was recorded, so there are no charts over time.</p>")
        }
        html.append(percentileCurve(steps.map { ("\($0.0.name).\($0.1.name)", $0.1.latency) }, title: "Latency percentiles (whole run)").svg)
        html.append(phaseBreakdown(steps).svg)
        return html.joined(separator: "\n") + "</section>"
    }

    /// Latency against percentile rank on a "nines" axis, so the tail gets as much room as the median.
    /// Entries from `dashedFrom` on are drawn dashed in the colours of the first ones (a baseline under
    /// its counterparts).
    static func percentileCurve(_ histograms: [(name: String, histogram: Histogram)], title: String, dashedFrom: Int? = nil) -> LineChart {
        let ranks: [Double] = [0, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.7, 99.8, 99.9, 99.95, 99.99]
        func nines(_ percent: Double) -> Double { -log10(1 - percent / 100) }
        let series = histograms.enumerated().filter { !$0.element.histogram.isEmpty }.map { index, entry in
            LineChart.Series(name: entry.name, points: ranks.map { (nines($0), Double(entry.histogram.percentile($0)) / 1e6) },
                             dashed: dashedFrom.map { index >= $0 } ?? false,
                             colorIndex: dashedFrom.flatMap { $0 > 0 ? index % $0 : nil })
        }
        return LineChart(title: title, series: series, xLabel: "percentile", formatY: { Format.duration(seconds: $0) },
                         xTicks: [(0, "0"), (1, "90"), (2, "99"), (3, "99.9"), (4, "99.99")])
    }

    /// Where an average request's time goes, per step: scheduling delay (latency beyond service
    /// time), each recorded phase, and the rest of the service time. DNS, connect and TLS happen only
    /// on new connections, so their time is spread over every response (amortised), not drawn as if
    /// each request paid it; the title says so.
    static func phaseBreakdown(_ steps: [(ScenarioResult, StepResult)]) -> StackedBarChart {
        // The total overlaps the other phases, and the scheduler's lag is the generator's, not the request's.
        let phaseNames = StepFigures.phaseNames(in: steps.map(\.1)).filter { $0 != Phase.total.name && $0 != Phase.schedulerLag.name }
        let perConnection: Set<String> = [Phase.dns.name, Phase.connect.name, Phase.tls.name]
        let delay = "scheduling delay", rest = "rest of service time"
        let bars = steps.map { scenario, step in
            let responses = Double(step.service.count)
            let phases = phaseNames.map { name -> (String, Double) in
                guard let histogram = step.phases[name], !histogram.isEmpty, responses > 0 else { return (name, 0) }
                let perRequest = perConnection.contains(name) ? histogram.mean * Double(histogram.count) / responses : histogram.mean
                return (name, perRequest / 1e6)
            }
            let service = step.service.mean / 1e6
            let segments = [(delay, max(0, step.latency.mean / 1e6 - service))] + phases
                + [(rest, max(0, service - phases.reduce(0) { $0 + $1.1 }))]
            return StackedBarChart.Bar(label: "\(scenario.name).\(step.name)", segments: segments)
        }
        return StackedBarChart(title: "Where the time goes (mean per request; DNS, connect and TLS amortised over all requests)", bars: bars,
                               segmentNames: [delay] + phaseNames + [rest], formatValue: { Format.duration(seconds: $0) })
    }

    static func findings(_ diagnosis: Diagnosis) -> String {
        var html = [#"<section id="findings"><h2>Findings</h2>"#, "<p>\(Markup.escape(DiagnosisReport.summary(diagnosis))).</p>"]
        if !diagnosis.findings.isEmpty {
            let bars = diagnosis.findings.enumerated().map { index, finding in
                StackedBarChart.Bar(label: "#\(index + 1) " + finding.title, segments: [("total time", finding.impact.totalSeconds)])
            }
            html.append(StackedBarChart(title: "Impact: total time attributable", bars: bars, segmentNames: ["total time"],
                                        formatValue: { Format.duration(seconds: $0) }, left: 400, elideMiddle: false).svg)
            html.append(table(DiagnosisReport.overview(diagnosis)))
        }
        for (index, finding) in diagnosis.findings.enumerated() {
            var article = #"<article class="finding \#(finding.severity.rawValue)"><h3>#\#(index + 1) \#(Markup.escape(finding.title))</h3>"#
            article += #"<p><strong>\#(finding.severity.rawValue)</strong> · step \#(finding.step.rawValue), \#(Markup.escape(finding.step.title)) · <code>\#(Markup.escape(finding.object))</code></p>"#
            article += "<p><strong>Impact:</strong> \(Markup.escape(DiagnosisReport.impact(finding.impact)))</p>"
            if !finding.evidence.isEmpty {
                article += "<ul>" + finding.evidence.map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul>"
            }
            article += "<p><strong>Fix:</strong></p><pre>\(Markup.escape(finding.fix))</pre></article>"
            html.append(article)
        }
        if !diagnosis.notes.isEmpty {
            html.append("<h3>Checklist</h3><ol>" + Finding.Step.allCases.map { step in
                let notes = diagnosis.notes.filter { $0.step == step }.map(\.summary)
                return "<li><strong>\(Markup.escape(step.title))</strong>: \(Markup.escape(notes.isEmpty ? "no note" : notes.joined(separator: "; ")))</li>"
            }.joined() + "</ol>")
        }
        return html.joined(separator: "\n") + "</section>"
    }

    private static func scenarios(_ report: RunReport) -> String {
        var html = [#"<section id="scenarios"><h2>Scenarios</h2>"#]
        for scenario in report.artifact.scenarios {
            let tables = ScenarioTables(scenario, report: report)
            html.append("<h3>\(Markup.escape(tables.title))</h3>")
            // The overview table at the top already has each step's requests, rates and errors.
            for (heading, table) in tables.details {
                html.append("<p><strong>\(Markup.escape(heading.prefix(1).uppercased() + heading.dropFirst()))</strong></p>")
                html.append(self.table(table))
            }
        }
        return html.joined(separator: "\n") + "</section>"
    }
}

/// The charts drawn from a timeline, shared by the run and comparison reports.
enum TimelineCharts {
    /// Requests per second achieved, with what the open model's schedule asked drawn over it, and
    /// errors. Rates from whole intervals only: a run's last sliver would chart as a spike or a drop.
    /// Closed-model steps ask no rate, so their requests are a line of their own.
    static func throughput(_ timeline: TimelineDigest) -> LineChart {
        // Sums in Double: a timeline read from a file can claim counts whose sum overflows UInt64.
        var asked: [Double: Double] = [:], open: [Double: Double] = [:], closed: [Double: Double] = [:]
        for point in timeline.steps.values.joined() where !point.partial {
            if let iterations = point.asked {
                // Every iteration of a scenario asks one request of each of its steps.
                asked[point.start, default: 0] += iterations
                open[point.start, default: 0] += Double(point.requests)
            } else {
                closed[point.start, default: 0] += Double(point.requests)
            }
        }
        let whole = timeline.total.filter { !$0.partial && $0.duration > 0 }
        func perSecond(_ values: [Double: Double]) -> [(x: Double, y: Double)] {
            whole.compactMap { point in values[point.start].map { (point.start, $0 / point.duration) } }
        }
        var series: [LineChart.Series] = []
        if !asked.isEmpty {
            series.append(.init(name: "asked requests/s (open model)", points: perSecond(asked), dashed: true, colorIndex: 5))
            series.append(.init(name: "achieved requests/s (open model)", points: perSecond(open), colorIndex: 0))
        }
        if !closed.isEmpty {
            series.append(.init(name: asked.isEmpty ? "requests/s" : "requests/s (closed model)", points: perSecond(closed), colorIndex: 2))
        }
        series.append(.init(name: "errors/s", points: whole.map { ($0.start, Double($0.failures) / $0.duration) }, colorIndex: 1))
        return LineChart(title: asked.isEmpty ? "Throughput and errors" : "Throughput: asked and achieved, and errors", series: series,
                         xLabel: "seconds since start", formatY: { Format.number($0) }, formatX: { Format.number($0) + "s" })
    }

    /// p50, p90 and p99 of one step's latency, interval by interval.
    static func latency(_ points: [TimelineDigest.Point], title: String) -> LineChart {
        let measured = points.filter { $0.requests > 0 }
        return LineChart(title: title, series: [
            .init(name: "p50", points: measured.compactMap { point in point.p50.map { (point.start, $0) } }),
            .init(name: "p90", points: measured.compactMap { point in point.p90.map { (point.start, $0) } }),
            .init(name: "p99", points: measured.compactMap { point in point.p99.map { (point.start, $0) } }),
        ], xLabel: "seconds since start", formatY: { Format.duration(seconds: $0) }, formatX: { Format.number($0) + "s" })
    }
}
