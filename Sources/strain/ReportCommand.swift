import Foundation
import StrainProfile
import StrainReport

enum ReportCommand: Command {
    static let name = "report"
    static let summary = "render a past run as terminal text, Markdown, JSON, HTML or JUnit XML"
    static let usage = "usage: strain report RUN [--format FORMAT] [--out FILE] [--profile FILE] [--color] [--junit-findings]"
    static let help = """
    \(usage)

    Renders a run written by 'strain run'. RUN is the run folder or its run.json; the folder's
    timeline.ndjson (charts, over-time figures) and diagnosis.json (findings) are used when present.

    Thresholds are evaluated with --profile, else with the ones the run recorded in its run.json (the
    profile file itself is never read again); a run.json from before they were recorded says so.

    options:
      --format FORMAT   \(ReportFormat.choices)
      --out FILE        write the report to FILE instead of standard output ("-": standard output)
      --profile FILE    evaluate this profile's thresholds
      --color           colour the terminal format (off by default)
      --junit-findings  the junit format also has a test case per diagnosis finding, failing for a
                        warning or critical one; by default it judges only the self-check and the thresholds

    Markdown is also appended to $GITHUB_STEP_SUMMARY when that is set (a GitHub Actions job summary).

    exit status: 0 the run is valid and every threshold held (or none was evaluated), 1 a threshold
    failed, 4 the run is invalid, 6 it stopped before its plan was done, 130 it was interrupted, 5 it
    failed or the output could not be written (the status the run itself gave), 2 bad usage or an
    unreadable run or profile.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        let format: ReportFormat
        do {
            arguments = try Arguments(words, flags: ["--color", "--junit-findings"], options: ["--format", "--out", "--profile"])
            format = try ReportOptions.format(arguments)
            guard arguments.positionals.count == 1 else {
                throw UsageError(description: arguments.positionals.isEmpty ? "no run given" : "one run at a time, got \(arguments.positionals.count)")
            }
        } catch {
            output.error("strain report: \(error)\n\(usage)")
            return .badInput
        }
        let report: RunReport
        do {
            let profile = try arguments.value("--profile").map { (path) throws(ProfileError) in try ProfileLoader.load(path: path) }
            report = try RunFolder(path: arguments.positionals[0]).report(thresholds: profile.map { .from($0) } ?? .recorded)
        } catch {
            output.error("strain report: \(error)")
            return .badInput
        }
        do {
            let text = try format.render(report, color: arguments.flag("--color"), junitFindings: arguments.flag("--junit-findings"))
            try ReportOptions.emit(text, format: format, styled: arguments.flag("--color"), to: arguments.outputFile, output: output)
        } catch {
            output.error("strain report: \(error)")
            return .infrastructure
        }
        return Gate.exitStatus(of: report)
    }
}

/// Options `strain report` and `strain compare` share.
enum ReportOptions {
    static func format(_ arguments: Arguments) throws(UsageError) -> ReportFormat {
        guard let name = arguments.value("--format") else { return .terminal }
        guard let format = ReportFormat(rawValue: name) else {
            let names = ReportFormat.allCases.map(\.rawValue)
            let hint = Suggestion.closest(to: name, among: names).map { "; did you mean \($0)?" } ?? ""
            throw UsageError(description: "unknown format \"\(name)\"; use \(names.joined(separator: ", "))\(hint)")
        }
        return format
    }

    /// Prints the report or writes it to `path`; Markdown also goes to the CI job summary. Terminal
    /// text is made safe for a terminal in a file too (`cat` shows it there); `styled`: it is in colour.
    static func emit(_ text: String, format: ReportFormat, styled: Bool, to path: String?, output: Output) throws {
        if let path {
            try ReportWriter.write(format == .terminal ? TerminalText.visible(text, keepingStyles: styled) : text,
                                   to: URL(fileURLWithPath: path))
        } else if format == .json {
            try output.printJSON(text)
        } else {
            output.print(text.trimmingTrailingNewline(), styled: styled && format == .terminal)
        }
        if format == .markdown {
            try ReportWriter.appendJobSummary(text, environment: ProcessInfo.processInfo.environment)
        }
    }
}

extension String {
    func trimmingTrailingNewline() -> String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}
