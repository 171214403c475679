import Foundation
import StrainContract

/// `strain compare` in every report format.
public enum ComparisonReport {
    public static func render(_ comparison: RunComparison, as format: ReportFormat, color: Bool = false) throws -> String {
        switch format {
        case .terminal: terminal(comparison, color: color)
        case .markdown: markdown(comparison)
        case .json: try JSONReport.encode(Document(comparison))
        case .html: html(comparison)
        case .junit: junit(comparison)
        }
    }

    static func title(_ comparison: RunComparison) -> String {
        "strain compare: \(describe(comparison.base)) → \(describe(comparison.new))"
    }

    private static func describe(_ report: RunReport) -> String {
        "\(report.artifact.profile?.name ?? "run") at \(Format.instant(report.artifact.startedAt))"
    }

    static func verdictText(_ comparison: RunComparison) -> String {
        let regressions = comparison.regressions.count
        let untested = comparison.deltas.filter { $0.outcome == .tooFewIntervals }.count
        let judged = comparison.deltas.count - untested
        switch comparison.verdict {
        case .invalid:
            let which = [("base", comparison.base), ("new", comparison.new)].filter { !Gate.comparable($0.1) }.map { name, report in
                "the \(name) run " + (!report.artifact.validity.valid ? "is invalid"
                    : report.artifact.status == .failed ? "failed" : "is incomplete (only a checkpoint: killed, or still running)")
            }
            return "cannot compare: " + which.joined(separator: " and ")
                + (regressions > 0 ? " (\(regressions) apparent regression\(regressions == 1 ? "" : "s"))" : "")
        case .nothingInCommon: return "cannot compare: the runs have no step in common"
        case .tooShort:
            return "cannot compare: too few whole intervals (each run needs \(comparison.rule.minimumIntervals) per step)"
        case .regression: return "REGRESSION in \(regressions) of \(judged) metrics"
        case .noRegression:
            return "no regression (\(judged) metrics)" + (untested > 0 ? "; \(untested) not judged: too few intervals" : "")
        }
    }

    /// Notes under the table: the method, unmatched steps, invalid runs.
    static func notes(_ comparison: RunComparison) -> [String] {
        let rule = comparison.rule
        var notes = ["Method: \(ComparisonRule.method) (1 s values of each metric), at level "
                     + "\(Format.number(comparison.level)) per metric (a \(Format.percent(rule.falseAlarmRate)) false-alarm rate "
                     + "shared over \(comparison.deltas.count) metrics); a significant change counts only beyond the floor: "
                     + "\(Format.percent(rule.relativeFloor)) of the baseline (at least \(Format.duration(seconds: rule.latencyFloor)) "
                     + "for latency; \(Format.percent(rule.errorRateFloor)) for the error rate)."]
        notes += comparison.unmatched.map { "Not compared: \($0)." }
        for (name, report) in [("base", comparison.base), ("new", comparison.new)] where !report.artifact.validity.valid {
            notes.append("The \(name) run is invalid: " + report.artifact.validity.reasons.joined(separator: "; "))
        }
        // Names and reasons come from run files: one line each, whatever they hold.
        return notes.map(TerminalText.oneLine)
    }

    static func table(_ deltas: [MetricDelta]) -> TextTable {
        var table = TextTable(["step", "metric", "base", "new", "change", "floor", "p", "verdict"])
        table.columns[1].alignment = .left
        table.columns[7].alignment = .left
        for delta in deltas {
            table.append([delta.step, delta.metric.rawValue, delta.baseText, delta.newText, delta.changeText, delta.floorText,
                          delta.pValueText,
                          delta.outcome == .regression ? "REGRESSION" : delta.outcome.rawValue.replacingOccurrences(of: "_", with: " ")])
        }
        return table
    }

    static func terminal(_ comparison: RunComparison, color: Bool) -> String {
        let style = TerminalStyle(color: color)
        let verdict = verdictText(comparison)
        var lines = [style.bold(title(comparison)), comparison.verdict == .noRegression ? style.good(verdict) : style.bad(verdict), ""]
        let rows = table(comparison.deltas).plain(indent: "  ")
        lines.append(rows[0])
        lines += zip(comparison.deltas, rows.dropFirst()).map { $0.outcome == .regression ? style.bad($1) : $1 }
        lines += [""] + notes(comparison)
        return lines.joined(separator: "\n") + "\n"
    }

    static func markdown(_ comparison: RunComparison) -> String {
        let icon = switch comparison.verdict {
        case .noRegression: "✅"
        case .regression: "❌"
        case .invalid, .nothingInCommon, .tooShort: "⚠️"
        }
        var lines = ["# \(Markdown.line(title(comparison)))", "", "**\(icon) \(verdictText(comparison))**", ""] + table(comparison.deltas).markdown()
        lines += [""] + notes(comparison).map { "- " + Markdown.line($0) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func junit(_ comparison: RunComparison) -> String {
        var suite = JUnitSuite(name: "comparison")
        suite.cases = comparison.deltas.map { delta in
            let summary = "\(delta.baseText) → \(delta.newText) (\(delta.changeText), floor \(delta.floorText), p = \(delta.pValueText))"
            return JUnitCase(className: "strain.compare.\(delta.step)", name: delta.metric.rawValue, seconds: comparison.new.duration,
                             outcome: delta.outcome == .regression ? .failed(message: "regression: " + summary, detail: summary)
                                 : .passed(output: summary))
        }
        var validity = JUnitSuite(name: "validity")
        validity.cases = [("base", comparison.base), ("new", comparison.new)].map { name, report in
            let check = report.artifact.validity
            return JUnitCase(className: "strain.compare", name: "\(name) run self-check", seconds: report.duration,
                             outcome: check.valid ? .passed() : .failed(message: "run invalid", detail: check.reasons.joined(separator: "\n")))
        }
        return JUnitSuite.document(name: title(comparison), seconds: comparison.new.duration, suites: [validity, suite])
    }

    static func html(_ comparison: RunComparison) -> String {
        let verdictClass = switch comparison.verdict {
        case .noRegression: "passed"
        case .regression: "failed"
        case .invalid, .nothingInCommon, .tooShort: "invalid"
        }
        var body = [#"<header><h1>\#(Markup.escape(title(comparison)))</h1><span class="verdict \#(verdictClass)">\#(Markup.escape(verdictText(comparison)))</span></header>"#]
        let failing = Set(comparison.deltas.indices.filter { comparison.deltas[$0].outcome == .regression })
        body.append(#"<section id="deltas"><h2>Metrics</h2>"# + HTMLReport.table(table(comparison.deltas), failingRows: failing)
                    + "<ul>" + notes(comparison).map { "<li>\(Markup.escape($0))</li>" }.joined() + "</ul></section>")
        var charts = [#"<section id="charts"><h2>Charts</h2>"#]
        let steps = { (report: RunReport, label: String) in
            report.artifact.scenarios.flatMap { scenario in scenario.steps.map { ("\(label) \(scenario.name).\($0.name)", $0.latency) } }
        }
        let newSteps = steps(comparison.new, "new")
        charts.append(HTMLReport.percentileCurve(newSteps + steps(comparison.base, "base"), title: "Latency percentiles: new and base (dashed)",
                                                 dashedFrom: newSteps.count).svg)
        if let base = comparison.base.timeline, let new = comparison.new.timeline {
            // Step by step, never pooled: steps of different kinds differ by orders of magnitude.
            var seen: Set<String> = []
            let steps = comparison.deltas.map(\.step).filter { seen.insert($0).inserted }
            let series = steps.enumerated().flatMap { index, step in
                [LineChart.Series(name: "new \(step)", points: (new.steps[step] ?? []).compactMap { point in point.p99.map { (point.start, $0) } },
                                  colorIndex: index),
                 LineChart.Series(name: "base \(step)", points: (base.steps[step] ?? []).compactMap { point in point.p99.map { (point.start, $0) } },
                                  dashed: true, colorIndex: index)]
            }
            charts.append(LineChart(title: "p99 latency over time per step: new and base (dashed)", series: series,
                                    xLabel: "seconds since start", formatY: { Format.duration(seconds: $0) },
                                    formatX: { Format.number($0) + "s" }).svg)
        }
        body.append(charts.joined(separator: "\n") + "</section>")
        return HTMLReport.page(title: title(comparison), body: body)
    }

    /// The JSON form of a comparison (`kind: "comparison"`), versioned with the run report.
    struct Document: Encodable {
        struct Side: Encodable {
            var profile: ProfileInfo?
            var startedAt: Date
            var durationSeconds: Double
            var validity: Validity
        }

        var format = JSONReport.formatVersion
        var kind = "comparison"
        var verdict: ComparisonVerdict
        var base: Side
        var new: Side
        var rule: ComparisonRule
        var method = ComparisonRule.method
        var level: Double
        var deltas: [MetricDelta]
        var unmatched: [String]

        init(_ comparison: RunComparison) {
            func side(_ report: RunReport) -> Side {
                Side(profile: report.artifact.profile, startedAt: report.artifact.startedAt, durationSeconds: report.duration,
                     validity: report.artifact.validity)
            }
            verdict = comparison.verdict
            base = side(comparison.base)
            new = side(comparison.new)
            rule = comparison.rule
            level = comparison.level
            deltas = comparison.deltas
            unmatched = comparison.unmatched
        }
    }
}
