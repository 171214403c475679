import StrainContract

/// A run as GitHub-flavoured Markdown, sized for a CI job summary or a pull-request comment: the
/// verdict and thresholds first, then every step in one overview table and the ranked findings;
/// each scenario's detail and each finding folded in a `<details>` block, added while they fit.
public enum MarkdownReport {
    /// GitHub refuses a comment over 65,536 characters; the report stays well under, in UTF-8 bytes
    /// (never fewer than characters), leaving room for a bot's own header.
    public static let sizeLimit = 50_000

    public static func render(_ report: RunReport) -> String {
        let headline = RunHeadline(report: report)
        var lines = ["# \(Markdown.text(headline.title)): \(verdict(report))", "", headline.when + "  ",
                     headline.provenance.map(Markdown.text).joined(separator: "  \n")]
        if let invalidity = headline.invalidity {
            // Reasons and warnings quote names from the profile and messages from servers: never markup.
            lines += ["", "> [!CAUTION]", "> **\(Markdown.escapeCell(invalidity[0]))**"] + invalidity.dropFirst().map { "> - " + Markdown.escapeCell($0) }
        }
        for warning in headline.warnings {
            lines += ["", "> [!WARNING]", "> " + Markdown.escapeCell(warning)]
        }
        lines += ["", "## Thresholds", ""]
        if let results = report.thresholds, !results.isEmpty {
            var table = TextTable(columns: [.init(title: "", alignment: .left), .init(title: "threshold", alignment: .left),
                                            .init(title: "observed", alignment: .right)])
            for result in results {
                table.append([result.passed ? "✅" : "❌", Markdown.code(result.threshold) + (result.abortOnFail ? " (abortOnFail)" : ""),
                              result.observedText])
            }
            lines += fitted(table, within: sizeLimit / 4, what: "thresholds")
        } else {
            lines.append(report.thresholds == nil ? "Not evaluated" + (report.thresholdsNote.map { ": \($0)." } ?? ".") : "None in the profile.")
        }
        if !report.artifact.scenarios.isEmpty {
            lines += ["", "## Overview", ""] + fitted(RunOverview(report).table, within: sizeLimit / 4, what: "steps")
        }
        if let diagnosis = report.diagnosis {
            lines += [""] + fittedLines(DiagnosisReport.markdownHead(diagnosis, level: 2), within: sizeLimit / 8, what: "findings")
        }

        // Folded detail, most useful first, while it fits; the rest is counted in a closing note.
        var folded: [(what: String, lines: [String])] = report.artifact.scenarios.map { scenario in
            let tables = ScenarioTables(scenario, report: report)
            return ("scenario", details(tables.title + ": latency, phases, traffic, errors", tables.details.flatMap { heading, table in
                ["", "**\(heading.prefix(1).uppercased() + heading.dropFirst())**", ""] + table.markdown()
            }))
        }
        if let diagnosis = report.diagnosis {
            folded += diagnosis.findings.enumerated().map { index, finding in
                ("finding", details("\(index + 1). \(finding.title) (\(finding.severity.rawValue))", DiagnosisReport.markdownBody(finding)))
            }
            if !diagnosis.notes.isEmpty { folded.append(("checklist", details("Diagnosis checklist", DiagnosisReport.markdownChecklist(diagnosis)))) }
        }
        // Room for the note on what was left out.
        var size = lines.joined(separator: "\n").utf8.count + 400
        var left: [String: Int] = [:]
        for block in folded {
            let blockSize = block.lines.joined(separator: "\n").utf8.count + 1
            guard left.isEmpty, size + blockSize <= sizeLimit else {
                left[block.what, default: 0] += 1
                continue
            }
            lines += [""] + block.lines
            size += blockSize
        }
        if !left.isEmpty {
            let parts = left.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)\($0.value == 1 ? "" : "s")" }
            lines += ["", "_Left out to fit a pull-request comment: the details of \(parts.joined(separator: ", ")); "
                      + "report.html and `strain report RUN` show everything._"]
        }
        return lines.joined(separator: "\n").trimmingTrailingNewlines() + "\n"
    }

    /// A `<details>` block: the summary line stays visible, the body opens on a click.
    static func details(_ summary: String, _ body: [String]) -> [String] {
        ["<details><summary>\(Markup.escape(TerminalText.visible(TerminalText.oneLine(summary))))</summary>", ""] + body + ["", "</details>"]
    }

    /// The table, cut after the rows that fit in `budget` bytes, with a line saying how many were left out.
    static func fitted(_ table: TextTable, within budget: Int, what: String) -> [String] {
        fittedLines(table.markdown(), within: budget, what: what)
    }

    /// The lines that fit in `budget` bytes, and a line saying how many were left out (`what`: what a line is).
    static func fittedLines(_ lines: [String], within budget: Int, what: String) -> [String] {
        var size = 0
        for (index, line) in lines.enumerated() {
            size += line.utf8.count + 1
            if size > budget {
                return Array(lines[..<index]) + ["", "_… \(lines.count - index) more \(what) left out; see report.html._"]
            }
        }
        return lines
    }

    static func verdict(_ report: RunReport) -> String {
        switch report.verdict {
        case .passed: report.thresholds == nil ? "completed" : "✅ passed"
        case .thresholdsFailed: "❌ \(report.failedThresholds.count) of \(report.thresholds?.count ?? 0) thresholds failed"
        case .invalid: "⚠️ run invalid"
        case .failed, .interrupted, .incomplete, .stoppedEarly: "❌ " + report.verdict.headline
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
