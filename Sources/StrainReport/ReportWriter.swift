import Foundation
import StrainContract
import StrainProfile

/// The formats every report (a run or a comparison) can be rendered in.
public enum ReportFormat: String, CaseIterable, Sendable {
    case terminal, markdown, json, html, junit

    /// The file `strain run` writes for the format into the run folder; nil for the terminal.
    public var file: RunFile? {
        switch self {
        case .terminal: nil
        case .markdown: .markdownReport
        case .json: .jsonReport
        case .html: .htmlReport
        case .junit: .junitReport
        }
    }

    /// "terminal (default), markdown, json, html or junit", for help texts.
    public static var choices: String {
        let names = allCases.map { $0 == .terminal ? "\($0.rawValue) (default)" : $0.rawValue }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// `junitFindings`: JUnit reports the diagnosis's findings (warning and above) as failures too;
    /// by default only the self-check and the thresholds.
    public func render(_ report: RunReport, color: Bool = false, junitFindings: Bool = false) throws -> String {
        switch self {
        case .terminal: TerminalReport.render(report, color: color)
        case .markdown: MarkdownReport.render(report)
        case .json: try JSONReport.render(report)
        case .html: HTMLReport.render(report)
        case .junit: JUnitReport.render(report, findingsFrom: junitFindings ? .warning : nil)
        }
    }
}

/// Writes the report files of a run folder and, in CI, the job summary.
public enum ReportWriter {
    /// Reads the run folder (run.json, timeline.ndjson, diagnosis.json), evaluates `profile`'s
    /// thresholds, writes report.md, report.json, report.html and junit.xml next to them, appends the
    /// Markdown to `$GITHUB_STEP_SUMMARY` when set, and returns the report (its `verdict` decides the
    /// exit status; `TerminalReport.render` prints it).
    @discardableResult
    public static func writeAll(in folder: RunFolder, profile: Profile?, junitFindings: Bool = false,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RunReport {
        let report = try folder.report(thresholds: profile.map { .from($0) } ?? .recorded)
        for format in ReportFormat.allCases {
            guard let file = format.file else { continue }
            try write(try format.render(report, junitFindings: junitFindings), to: file.url(in: folder.url))
        }
        try appendJobSummary(MarkdownReport.render(report), environment: environment)
        return report
    }

    /// Writes `text` atomically.
    public static func write(_ text: String, to url: URL) throws(FileIOError) {
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Appends Markdown to the GitHub Actions job summary when `GITHUB_STEP_SUMMARY` names one.
    public static func appendJobSummary(_ markdown: String, environment: [String: String]) throws(JobSummaryError) {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return }
        do {
            try AppendedFile.append(Data((markdown + "\n").utf8), to: path)
        } catch {
            throw JobSummaryError(path: path, reason: error.reason)
        }
    }
}

/// The CI job summary could not be written.
public struct JobSummaryError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String {
        "GITHUB_STEP_SUMMARY=\(path): cannot append the report: \(reason)"
    }
}
