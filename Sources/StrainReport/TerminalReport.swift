import StrainContract

/// ANSI styling for terminal output, or none: colour is opt-in (a TTY), never in CI logs or files.
struct TerminalStyle {
    let color: Bool

    func bad(_ text: String) -> String { wrap(text, .bad) }
    func good(_ text: String) -> String { wrap(text, .good) }
    func bold(_ text: String) -> String { wrap(text, .bold) }

    private func wrap(_ text: String, _ style: TerminalText.Style) -> String {
        color ? style.marker + text + TerminalText.Style.reset.marker : text
    }
}

/// A run rendered for the terminal: plain text with aligned columns, durations humanised.
public enum TerminalReport {
    public static func render(_ report: RunReport, color: Bool = false) -> String {
        let style = TerminalStyle(color: color)
        let headline = RunHeadline(report: report)
        var lines = [style.bold(headline.title) + " — " + headline.when] + headline.provenance
        if let invalidity = headline.invalidity {
            lines += ["", style.bad("!! " + invalidity[0])] + invalidity.dropFirst().map { style.bad("   - " + $0) }
        }
        for warning in headline.warnings {
            lines += ["", style.bad("!! " + warning)]
        }
        for scenario in report.artifact.scenarios {
            let tables = ScenarioTables(scenario, report: report)
            lines += ["", style.bold("Scenario " + tables.title)]
            for (heading, table) in tables.sections {
                if let heading { lines += ["", "  " + heading] }
                lines += table.plain(indent: "  ")
            }
        }
        if report.artifact.scenarios.isEmpty {
            lines += ["", "No scenario recorded any request."]
        }
        lines += [""] + thresholds(report, style: style)
        if let diagnosis = report.diagnosis {
            lines += ["", DiagnosisReport.terminal(diagnosis, color: color)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The threshold verdict, failing ones highlighted.
    static func thresholds(_ report: RunReport, style: TerminalStyle) -> [String] {
        guard let results = report.thresholds else {
            return ["Thresholds: not evaluated" + (report.thresholdsNote.map { " (\($0))" } ?? "")]
        }
        guard !results.isEmpty else { return ["Thresholds: none in the profile"] }
        let failed = results.filter { !$0.passed }.count
        let summary = failed == 0 ? style.good("all \(results.count) passed")
            : style.bad("\(failed) of \(results.count) failed")
        let table = ThresholdTable(results).table
        let rows = table.plain(indent: "  ")
        return ["Thresholds: " + summary, rows[0]] + zip(results, rows.dropFirst()).map { result, line in
            result.passed ? line : style.bad(line)
        }
    }
}

/// The threshold verdict as a table: one row per threshold with its observed value.
struct ThresholdTable {
    let table: TextTable

    init(_ results: [ThresholdResult]) {
        var table = TextTable(columns: [.init(title: "", alignment: .left), .init(title: "threshold", alignment: .left),
                                        .init(title: "observed", alignment: .right)])
        for result in results {
            let abort = result.abortOnFail ? " (abortOnFail)" : ""
            table.append([result.passed ? "ok" : "FAIL", result.threshold + abort, result.observedText])
        }
        self.table = table
    }
}
