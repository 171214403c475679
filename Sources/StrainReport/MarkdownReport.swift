/// A run as GitHub-flavoured Markdown, sized for a CI job summary or a pull-request comment: the
/// verdict and thresholds first, the main tables visible, the detail folded away.
public enum MarkdownReport {
    public static func render(_ report: RunReport) -> String {
        let headline = RunHeadline(report: report)
        var lines = ["# \(headline.title): \(verdict(report))", "", headline.when + "  ", headline.provenance.joined(separator: "  \n")]
        if let invalidity = headline.invalidity {
            lines += ["", "> [!CAUTION]", "> **\(invalidity[0])**"] + invalidity.dropFirst().map { "> - " + $0 }
        }
        for warning in headline.warnings {
            lines += ["", "> [!WARNING]", "> " + warning]
        }
        lines += ["", "## Thresholds", ""]
        if let results = report.thresholds, !results.isEmpty {
            var table = TextTable(columns: [.init(title: "", alignment: .left), .init(title: "threshold", alignment: .left),
                                            .init(title: "observed", alignment: .right)])
            for result in results {
                table.append([result.passed ? "✅" : "❌", Markdown.code(result.threshold) + (result.abortOnFail ? " (abortOnFail)" : ""),
                              result.observedText])
            }
            lines += table.markdown()
        } else {
            lines.append(report.thresholds == nil ? "Not evaluated" + (report.thresholdsNote.map { ": \($0)." } ?? ".") : "None in the profile.")
        }
        for scenario in report.artifact.scenarios {
            let tables = ScenarioTables(scenario, report: report)
            lines += ["", "## " + tables.title, ""] + tables.overview.markdown()
            lines += ["", "Latency (from the intended start) and service time:", ""] + tables.latency.markdown()
            if !tables.errors.isEmpty {
                lines += ["", "Errors:", ""] + tables.errors.markdown()
            }
            let details = [("Phases", tables.phases), ("Traffic", tables.traffic)].filter { !$0.1.isEmpty }
            if !details.isEmpty {
                lines += ["", "<details><summary>\(details.map(\.0).joined(separator: " and "))</summary>"]
                for (_, table) in details { lines += [""] + table.markdown() }
                lines += ["", "</details>"]
            }
        }
        if let diagnosis = report.diagnosis {
            lines += ["", DiagnosisReport.markdown(diagnosis, level: 2)]
        }
        return lines.joined(separator: "\n").trimmingTrailingNewlines() + "\n"
    }

    static func verdict(_ report: RunReport) -> String {
        switch report.verdict {
        case .passed: report.thresholds == nil ? "completed" : "✅ passed"
        case .thresholdsFailed: "❌ \(report.failedThresholds.count) of \(report.thresholds?.count ?? 0) thresholds failed"
        case .invalid: "⚠️ run invalid"
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
