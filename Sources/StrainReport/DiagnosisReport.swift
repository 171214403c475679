import StrainContract

/// A diagnosis rendered for the terminal or as Markdown: the findings in rank order (most total
/// time first), then what each checklist step looked at.
public enum DiagnosisReport {
    public static func terminal(_ diagnosis: Diagnosis, color: Bool = false) -> String {
        let style = TerminalStyle(color: color)
        var lines = [style.bold("Diagnosis: " + summary(diagnosis))]
        if let basis = diagnosis.rankingBasis { lines.append("Ranked \(TerminalText.oneLine(basis))") }
        if !diagnosis.findings.isEmpty {
            lines += [""] + overview(diagnosis).plain(indent: "  ")
        }
        for (index, finding) in diagnosis.findings.enumerated() {
            let severity = "[\(finding.severity.rawValue)]"
            // Titles, objects and evidence quote database contents: one line each, whatever they hold.
            lines += ["", "#\(index + 1) \(finding.severity == .info ? severity : style.bad(severity)) "
                      + style.bold(TerminalText.oneLine(finding.title)) + " — " + TerminalText.oneLine(finding.object)]
            lines.append("   checklist step \(finding.step.rawValue): \(finding.step.title) (check \(finding.check))")
            lines.append("   impact: " + impact(finding.impact))
            if !finding.evidence.isEmpty {
                lines.append("   evidence:")
                lines += finding.evidence.map { "     - " + TerminalText.oneLine($0) }
            }
            lines += indentedBlock("fix", finding.fix)
        }
        if !diagnosis.notes.isEmpty {
            lines += ["", "Checklist:"]
            lines += diagnosis.notes.sorted { $0.step < $1.step }.map { "  \($0.step.rawValue). \($0.step.title): \(TerminalText.oneLine($0.summary))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Markdown; `level` is the heading level of the title (2 inside a run report, 1 on its own).
    public static func markdown(_ diagnosis: Diagnosis, level: Int = 1) -> String {
        let heading = String(repeating: "#", count: level)
        var lines = markdownHead(diagnosis, level: level)
        for (index, finding) in diagnosis.findings.enumerated() {
            lines += ["", "\(heading)# \(index + 1). \(Markdown.line(finding.title))", ""] + markdownBody(finding)
        }
        if !diagnosis.notes.isEmpty {
            lines += ["", "\(heading)# Checklist", ""] + markdownChecklist(diagnosis)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The title, the summary and the ranked overview table.
    static func markdownHead(_ diagnosis: Diagnosis, level: Int) -> [String] {
        var lines = ["\(String(repeating: "#", count: level)) Diagnosis", "", summary(diagnosis) + "."]
        if let basis = diagnosis.rankingBasis { lines += ["", "Ranked " + Markdown.line(basis) + "."] }
        if !diagnosis.findings.isEmpty {
            lines += [""] + overview(diagnosis).markdown()
        }
        return lines
    }

    /// One finding under its heading: where, impact, evidence, fix.
    static func markdownBody(_ finding: Finding) -> [String] {
        var lines = ["**\(finding.severity.rawValue)** · step \(finding.step.rawValue), \(finding.step.title) · "
                     + "\(Markdown.code(finding.object)) · check \(Markdown.code(finding.check.rawValue))"]
        lines += ["", "**Impact:** " + impact(finding.impact)]
        if !finding.evidence.isEmpty {
            lines += ["", "**Evidence:**", ""] + finding.evidence.map { "- " + Markdown.line($0) }
        }
        if finding.fix.contains("\n") {
            lines += ["", "**Fix:**", "", "```", TerminalText.visible(finding.fix).replacingOccurrences(of: "```", with: "` ` `"), "```"]
        } else {
            lines += ["", "**Fix:** " + Markdown.line(finding.fix)]
        }
        return lines
    }

    static func markdownChecklist(_ diagnosis: Diagnosis) -> [String] {
        diagnosis.notes.sorted { $0.step < $1.step }.map { "- **\($0.step.rawValue). \($0.step.title)**: \(Markdown.line($0.summary))" }
    }

    /// "3 findings, ranked by total time (window 30.0s, 12,000 requests)".
    static func summary(_ diagnosis: Diagnosis) -> String {
        let count = diagnosis.findings.count
        var window = "window " + Format.duration(seconds: diagnosis.endedAt.timeIntervalSince(diagnosis.startedAt))
        if let requests = diagnosis.requests { window += ", \(Format.count(requests)) requests" }
        let found = count == 0 ? "no findings" : "\(count) finding\(count == 1 ? "" : "s"), ranked by total time attributable"
        return "\(found) (\(window))"
    }

    /// The ranked overview: one row per finding.
    static func overview(_ diagnosis: Diagnosis) -> TextTable {
        var table = TextTable(columns: [
            .init(title: "#", alignment: .right), .init(title: "severity", alignment: .left),
            .init(title: "step", alignment: .left), .init(title: "finding", alignment: .left),
            .init(title: "object", alignment: .left), .init(title: "total", alignment: .right),
            .init(title: "per request", alignment: .right), .init(title: "share", alignment: .right),
        ])
        for (index, finding) in diagnosis.findings.enumerated() {
            table.append(["\(index + 1)", finding.severity.rawValue, "\(finding.step.rawValue). \(finding.step.title)",
                          finding.title, finding.object, Format.duration(seconds: finding.impact.totalSeconds),
                          finding.impact.perRequestSeconds.map { Format.duration(seconds: $0) } ?? "–",
                          finding.impact.share.map(Format.percent) ?? "–"])
        }
        return table
    }

    /// "12.3s total · 1.02ms per request · 41% of request time".
    static func impact(_ impact: Finding.Impact) -> String {
        var parts = [Format.duration(seconds: impact.totalSeconds) + " total"]
        if let perRequest = impact.perRequestSeconds { parts.append(Format.duration(seconds: perRequest) + " per request") }
        if let share = impact.share { parts.append(Format.percent(share) + " of request time") }
        return parts.joined(separator: " · ")
    }

    /// `label: text`, continuation lines aligned under the text.
    private static func indentedBlock(_ label: String, _ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let prefix = "   \(label): "
        let continuation = String(repeating: " ", count: prefix.count)
        return lines.enumerated().map { ($0 == 0 ? prefix : continuation) + $1 }
    }
}
