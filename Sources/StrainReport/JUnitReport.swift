import Foundation
import StrainContract

/// JUnit XML, the format CI systems show as test results: one test case per threshold and one for
/// the generator's self-check; with `findingsFrom`, one case per finding too, failing at or above
/// that severity (opt-in: a finding is advice, a threshold is the gate). Cases carry the seconds
/// they judged (`time`): the run for the self-check and the thresholds, the window for the findings.
public enum JUnitReport {
    public static func render(_ report: RunReport, findingsFrom minimum: Finding.Severity? = nil) -> String {
        let title = RunHeadline(report: report).title
        let seconds = report.duration
        var validity = JUnitSuite(name: "validity")
        // How the run ended: a failed, interrupted, killed or early-stopped run did not do what it was asked.
        let ended = report.artifact.status
        validity.cases.append(JUnitCase(
            className: "strain.run", name: "run ran its plan to the end", seconds: seconds,
            outcome: ended == .completed ? .passed()
                : .failed(message: report.verdict == .thresholdsFailed ? "stopped by an abortOnFail threshold" : report.verdict.headline,
                          detail: "status \(ended.rawValue)" + (report.artifact.earlyStop.map { ": \($0.reason)" } ?? ""))))
        let selfCheck = report.artifact.validity
        validity.cases.append(JUnitCase(
            className: "strain.run", name: "generator self-check", seconds: seconds,
            outcome: selfCheck.valid ? .passed() : .failed(message: "run invalid", detail: selfCheck.reasons.joined(separator: "\n"))))

        var thresholds = JUnitSuite(name: "thresholds")
        if let results = report.thresholds {
            thresholds.cases = results.map { result in
                JUnitCase(className: "strain.thresholds", name: result.threshold, seconds: seconds,
                          outcome: result.passed ? .passed(output: "observed \(result.observedText)")
                              : .failed(message: "observed \(result.observedText)", detail: "\(result.threshold)\nobserved: \(result.observedText)"))
            }
        } else {
            thresholds.cases = [JUnitCase(className: "strain.thresholds", name: "thresholds", seconds: 0,
                                          outcome: .skipped(message: report.thresholdsNote ?? "not evaluated"))]
        }

        var suites = [validity, thresholds]
        if let minimum, let diagnosis = report.diagnosis {
            suites.append(findings(diagnosis, from: minimum))
        }
        return JUnitSuite.document(name: title, seconds: seconds, suites: suites)
    }

    /// A diagnosis on its own (`strain diagnose`): the findings suite only.
    public static func render(_ diagnosis: Diagnosis, findingsFrom minimum: Finding.Severity = .warning) -> String {
        JUnitSuite.document(name: "strain diagnose", seconds: window(diagnosis), suites: [findings(diagnosis, from: minimum)])
    }

    /// A case per finding, its class named by the check. One at or above `minimum` fails, the
    /// severity as the failure's type and, with the check, leading its message (what CI lists);
    /// one below passes with the same words as its output, so that an info shows but never fails.
    static func findings(_ diagnosis: Diagnosis, from minimum: Finding.Severity) -> JUnitSuite {
        var suite = JUnitSuite(name: "findings")
        for (index, finding) in diagnosis.findings.enumerated() {
            let summary = "\(finding.severity.rawValue) \(finding.check): \(finding.title)"
            let detail = (["\(finding.object)", "impact: \(DiagnosisReport.impact(finding.impact))"]
                          + finding.evidence.map { "- " + $0 } + ["fix: \(finding.fix)"]).joined(separator: "\n")
            suite.cases.append(JUnitCase(className: "strain.findings.\(finding.check)", name: "#\(index + 1) \(finding.title)",
                                         seconds: window(diagnosis),
                                         outcome: finding.severity >= minimum
                                             ? .failed(message: summary, detail: detail, type: finding.severity.rawValue)
                                             : .passed(output: summary + "\n" + detail)))
        }
        return suite
    }

    private static func window(_ diagnosis: Diagnosis) -> Double {
        max(0, diagnosis.endedAt.timeIntervalSince(diagnosis.startedAt))
    }
}

struct JUnitCase {
    enum Outcome {
        case passed(output: String? = nil)
        /// `type` classifies the failure (a finding's severity), for the CI systems that show it.
        case failed(message: String, detail: String, type: String? = nil)
        case skipped(message: String)
    }

    var className: String
    var name: String
    /// Seconds of measurement the case judged.
    var seconds: Double
    var outcome: Outcome

    var xml: String {
        let open = #"    <testcase classname="\#(Markup.escape(className))" name="\#(Markup.escape(name))" time="\#(JUnitSuite.time(seconds))""#
        switch outcome {
        case .passed(let output?):
            return open + ">\n      <system-out>\(Markup.escape(output))</system-out>\n    </testcase>"
        case .passed:
            return open + "/>"
        case .failed(let message, let detail, let type):
            let typeAttribute = type.map { #" type="\#(Markup.escape($0))""# } ?? ""
            return open + #">\#n      <failure message="\#(Markup.escape(message))"\#(typeAttribute)>\#(Markup.escape(detail))</failure>"#
                + "\n    </testcase>"
        case .skipped(let message):
            return open + #">\#n      <skipped message="\#(Markup.escape(message))"/>\#n    </testcase>"#
        }
    }

    var failed: Bool {
        if case .failed = outcome { true } else { false }
    }

    var skipped: Bool {
        if case .skipped = outcome { true } else { false }
    }
}

struct JUnitSuite {
    var name: String
    var cases: [JUnitCase] = []

    var xml: String {
        let counts = #"tests="\#(cases.count)" failures="\#(cases.filter(\.failed).count)" skipped="\#(cases.filter(\.skipped).count)""#
        // The cases judged the same stretch of time side by side: the suite took the longest of them, not their sum.
        let seconds = cases.map(\.seconds).max() ?? 0
        return #"  <testsuite name="\#(Markup.escape(name))" \#(counts) time="\#(Self.time(seconds))">"# + "\n"
            + cases.map(\.xml).map { $0 + "\n" }.joined() + "  </testsuite>"
    }

    /// Seconds with millisecond precision, as JUnit readers expect ("30.000").
    static func time(_ seconds: Double) -> String {
        String(format: "%.3f", seconds.isFinite ? max(0, seconds) : 0)
    }

    static func document(name: String, seconds: Double, suites: [JUnitSuite]) -> String {
        let all = suites.flatMap(\.cases)
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<testsuites name="\#(Markup.escape(name))" tests="\#(all.count)" failures="\#(all.filter(\.failed).count)" time="\#(time(seconds))">"# + "\n"
            + suites.map(\.xml).joined(separator: "\n") + "\n</testsuites>\n"
    }
}
