import StrainMetrics

/// JUnit XML, the format CI systems show as test results: one test case per threshold, per
/// finding at or above a severity, and one for the generator's self-check.
public enum JUnitReport {
    public static func render(_ report: RunReport, findingsFrom minimum: Finding.Severity = .warning) -> String {
        let title = RunHeadline(report: report).title
        var validity = JUnitSuite(name: "validity")
        let selfCheck = report.artifact.validity
        validity.cases.append(JUnitCase(
            className: "strain.run", name: "generator self-check",
            outcome: selfCheck.valid ? .passed() : .failed(message: "run invalid", detail: selfCheck.reasons.joined(separator: "\n"))))

        var thresholds = JUnitSuite(name: "thresholds")
        if let results = report.thresholds {
            thresholds.cases = results.map { result in
                JUnitCase(className: "strain.thresholds", name: result.threshold,
                          outcome: result.passed ? .passed(output: "observed \(result.observedText)")
                              : .failed(message: "observed \(result.observedText)", detail: "\(result.threshold)\nobserved: \(result.observedText)"))
            }
        } else {
            thresholds.cases = [JUnitCase(className: "strain.thresholds", name: "thresholds",
                                          outcome: .skipped(message: report.thresholdsNote ?? "not evaluated"))]
        }

        var suites = [validity, thresholds]
        if let diagnosis = report.diagnosis {
            var findings = JUnitSuite(name: "findings")
            for (index, finding) in diagnosis.findings.enumerated() where finding.severity >= minimum {
                let detail = (["\(finding.object)", "impact: \(DiagnosisReport.impact(finding.impact))"]
                              + finding.evidence.map { "- " + $0 } + ["fix: \(finding.fix)"]).joined(separator: "\n")
                findings.cases.append(JUnitCase(className: "strain.findings.\(finding.check)", name: "#\(index + 1) \(finding.title)",
                                                outcome: .failed(message: "\(finding.severity.rawValue): \(finding.title)", detail: detail)))
            }
            suites.append(findings)
        }
        return JUnitSuite.document(name: title, suites: suites)
    }
}

struct JUnitCase {
    enum Outcome {
        case passed(output: String? = nil)
        case failed(message: String, detail: String)
        case skipped(message: String)
    }

    var className: String
    var name: String
    var outcome: Outcome

    var xml: String {
        let open = #"    <testcase classname="\#(Markup.escape(className))" name="\#(Markup.escape(name))""#
        switch outcome {
        case .passed(let output?):
            return open + ">\n      <system-out>\(Markup.escape(output))</system-out>\n    </testcase>"
        case .passed:
            return open + "/>"
        case .failed(let message, let detail):
            return open + #">\#n      <failure message="\#(Markup.escape(message))">\#(Markup.escape(detail))</failure>\#n    </testcase>"#
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
        return #"  <testsuite name="\#(Markup.escape(name))" \#(counts)>"# + "\n"
            + cases.map(\.xml).map { $0 + "\n" }.joined() + "  </testsuite>"
    }

    static func document(name: String, suites: [JUnitSuite]) -> String {
        let all = suites.flatMap(\.cases)
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<testsuites name="\#(Markup.escape(name))" tests="\#(all.count)" failures="\#(all.filter(\.failed).count)">"# + "\n"
            + suites.map(\.xml).joined(separator: "\n") + "\n</testsuites>\n"
    }
}
