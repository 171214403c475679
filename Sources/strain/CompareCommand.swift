import Foundation
import StrainReport

enum CompareCommand: Command {
    static let name = "compare"
    static let summary = "compare a run against a baseline with a rank test"
    static let usage = "usage: strain compare BASE NEW [--false-alarm-rate P] [--format FORMAT] [--out FILE] [--color]"
    static let help = """
    \(usage)

    Compares two runs written by 'strain run' (folders or their run.json), step by step: latency p50,
    p90 and p99, error rate and throughput. Each metric's 1 s values in the two runs (whole intervals
    only, at least 5 per run) go through a one-sided Mann-Whitney U test; a change is a regression when
    the test finds the new run worse at a 5% false-alarm rate shared over all the metrics compared
    (Bonferroni) and the whole-run change exceeds a floor: 10% of the baseline (at least 500µs for
    latency), 0.1 percentage points for the error rate.

    options:
      --false-alarm-rate P  chance of a false regression when nothing changed, over all the metrics
                        (default 0.05; 0.0001 ≤ P < 1)
      --format FORMAT   \(ReportFormat.choices)
      --out FILE        write the comparison to FILE instead of standard output ("-": standard output)
      --color           colour the terminal format (off by default)

    exit status: 0 no regression, 3 regression against the baseline, 4 one of the runs is invalid,
    2 bad usage, an unreadable run, runs with no step in common or too short to judge, 5 the output
    could not be written.
    """

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        let format: ReportFormat
        var rule = ComparisonRule()
        do {
            arguments = try Arguments(words, flags: ["--color"], options: ["--false-alarm-rate", "--format", "--out"])
            format = try ReportOptions.format(arguments)
            if let text = arguments.value("--false-alarm-rate") {
                // Below 0.0001 (the finest p the table shows) no change of a few dozen intervals is ever
                // significant: the gate would pass everything while seeming to judge.
                guard text.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE-+".contains($0)) }),
                      let rate = Double(text), rate >= 0.0001, rate < 1 else {
                    throw UsageError(description: "--false-alarm-rate: expected a probability from 0.0001 to below 1 (e.g. 0.05), got \"\(text)\"")
                }
                rule.falseAlarmRate = rate
            }
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
            comparison = RunComparison(base: reports[0], new: reports[1], rule: rule)
        } catch {
            output.error("strain compare: \(error)")
            return .badInput
        }
        do {
            let text = try ComparisonReport.render(comparison, as: format, color: arguments.flag("--color"))
            try ReportOptions.emit(text, format: format, styled: arguments.flag("--color"), to: arguments.outputFile, output: output)
        } catch {
            output.error("strain compare: \(error)")
            return .infrastructure
        }
        switch comparison.verdict {
        case .nothingInCommon:
            output.error("strain compare: the runs have no step in common: " + comparison.unmatched.joined(separator: ", "))
        case .tooShort:
            output.error("strain compare: too few whole intervals to judge any metric: each run needs "
                         + "\(rule.minimumIntervals) seconds with requests per step")
        case .noRegression, .regression, .invalid: break
        }
        return Gate.exitStatus(of: comparison)
    }
}
