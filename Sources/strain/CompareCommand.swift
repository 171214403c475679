import Foundation
import StrainReport

enum CompareCommand: Command {
    static let name = "compare"
    static let summary = "compare a run against a baseline, with a noise band"
    static let usage = "usage: strain compare BASE NEW [--format FORMAT] [--out FILE] [--color]"
    static let help = """
    \(usage)

    Compares two runs written by 'strain run' (folders or their run.json), step by step: latency p50,
    p90 and p99, error rate and throughput. A change is a regression only when it is worse by more than
    the noise band: the larger of 3σ of the interval-to-interval variation (from both timelines) and a
    floor (10% of the baseline, at least 500µs for latency; 0.1 percentage points for the error rate).

    options:
      --format FORMAT   terminal (default), markdown, json, html or junit
      --out FILE        write the comparison to FILE instead of standard output
      --color           colour the terminal format (off by default)

    exit status: 0 no regression, 3 regression against the baseline, 4 one of the runs is invalid,
    2 bad usage or an unreadable run, 5 the output could not be written.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        let format: ReportFormat
        do {
            arguments = try Arguments(words, flags: ["--color"], options: ["--format", "--out"])
            format = try ReportOptions.format(arguments)
            guard arguments.positionals.count == 2 else {
                throw UsageError(description: "expected two runs, BASE and NEW; got \(arguments.positionals.count)")
            }
        } catch {
            output.error("strain compare: \(error)\n\(usage)")
            return .badInput
        }
        let comparison: RunComparison
        do {
            // Thresholds play no part in a comparison.
            let reports = try arguments.positionals.map { (path) throws(ReportInputError) in
                try RunFolder(path: path).report(thresholds: .skip)
            }
            comparison = RunComparison(base: reports[0], new: reports[1])
        } catch {
            output.error("strain compare: \(error)")
            return .badInput
        }
        do {
            let text = try ComparisonReport.render(comparison, as: format, color: arguments.flag("--color"))
            try ReportOptions.emit(text, format: format, to: arguments.value("--out"), output: output)
        } catch {
            output.error("strain compare: \(error)")
            return .infrastructure
        }
        return switch comparison.verdict {
        case .noRegression: .ok
        case .regression: .regression
        case .invalid: .invalidRun
        }
    }
}
