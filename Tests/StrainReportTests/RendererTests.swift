import Foundation
import FoundationXML
import StrainContract
@testable import StrainReport
import Testing

/// A run folder as `strain run` leaves it, from real requests to the test nginx, with a diagnosis.
struct RecordedRun {
    let folder: URL
    let report: RunReport

    init(iterations: Int = 150) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-report-\(UUID().uuidString)")
        try RealRun.nginx(iterations: iterations).record(into: folder)
        try DiagnosisJSON.write(ReportFixture.diagnosis, to: folder.appendingPathComponent(RunFile.diagnosis.name))
        report = try RunFolder(url: folder).report(thresholds: .from(try ReportFixture.profile()))
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}

struct MarkdownReportTests {
    @Test func rendersARealRun() throws {
        let run = try RecordedRun()
        defer { run.remove() }
        let text = MarkdownReport.render(run.report)
        for part in ["# strain run \"unnamed\": ❌ 2 of 3 thresholds failed", "## Thresholds",
                     "| ✅ | `browse.home.latency: p(99) < 5s` |", "| ❌ | `http.errors: rate < 1%` | 33.3% |",
                     "| ❌ | `browse.tls: p(99) < 1s` | no tls was measured |",
                     "## Overview", "| step | kind | requests | rate | asked | errors | p50 | p99 | max | statuses |",
                     "| browse.broken | http | 150 | ", "| 150 (100.0%) |", "| 500×150 |",
                     "<details><summary>browse (http): 150 iterations: latency, phases, traffic, errors</summary>",
                     "| step | measure | p50 | p90 | p95 | p99 | p99.9 | max |",
                     "| step | error | count | first example |", "| broken | status | 150 | HTTP 500 from broken |",
                     "## Diagnosis", "<details><summary>1. Sequential scan on orders (critical)</summary>",
                     "<details><summary>Diagnosis checklist</summary>"] {
            #expect(text.contains(part), "missing \(part)")
        }
        // The verdict and the thresholds come first, then the overview; the detail is folded after them.
        let order = ["## Thresholds", "## Overview", "## Diagnosis", "<details>"].map { text.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(text.components(separatedBy: "<details>").count == text.components(separatedBy: "</details>").count)
        // Every table row is a whole row: starts and ends with a pipe, as many cells as the header.
        let tableLines = text.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(tableLines.count > 20)
        #expect(tableLines.allSatisfy { $0.hasSuffix("|") })
    }

    /// A run with hundreds of steps and findings still fits a pull-request comment (GitHub refuses
    /// more than 65,536 characters): the head stays whole, the folded detail that does not fit is
    /// left out and counted.
    @Test func aBigRunFitsAPullRequestComment() throws {
        let run = try RecordedRun(iterations: 30)
        defer { run.remove() }
        var report = run.report
        let scenario = report.artifact.scenarios[0]
        report.artifact.scenarios = (0..<300).map { index in
            var copy = scenario
            copy.name = "scenario-\(index)-with-a-name-long-enough-to-matter"
            return copy
        }
        var diagnosis = ReportFixture.diagnosis
        diagnosis.findings = Array(repeating: diagnosis.findings, count: 100).flatMap { $0 }
        report.diagnosis = diagnosis

        let text = MarkdownReport.render(report)
        #expect(text.utf8.count <= MarkdownReport.sizeLimit)
        #expect(MarkdownReport.sizeLimit < 65_536)
        #expect(text.hasPrefix("# strain run \"unnamed\": ❌ 2 of 3 thresholds failed"))
        #expect(text.contains("| ❌ | `http.errors: rate < 1%` | 33.3% |"))
        #expect(text.contains("| scenario-0-with-a-name-long-enough-to-matter.home | http |"))
        #expect(text.contains("more steps left out; see report.html."))
        #expect(text.contains("_Left out to fit a pull-request comment: the details of"))
        #expect(text.components(separatedBy: "<details>").count == text.components(separatedBy: "</details>").count)
    }

    /// Names come from profiles: in Markdown they show as written, never as HTML a renderer would act on.
    @Test func namesInTheMarkdownReportAreNotHTML() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        var report = run.report
        report.artifact.scenarios[0].name = "<script>alert(3)</script>"
        let text = MarkdownReport.render(report)
        #expect(!text.contains("<script>"))
        #expect(text.contains("| &lt;script&gt;alert(3)&lt;/script&gt;.home |"), "\(text)")
        #expect(Markdown.text("a `<b>` & <i>") == "a `<b>` &amp; &lt;i&gt;")
        #expect(Markdown.text("``a ` <b>`` <c> `open <d>") == "``a ` <b>`` &lt;c&gt; `open &lt;d&gt;")
    }

    /// run.json is a file from elsewhere: the profile's path, the overrides and the host's name it
    /// records start no line, heading, image or comment in the report (a tracking pixel in a pull
    /// request's comment, a `<!--` hiding the rest), nor a line of the terminal's.
    @Test func runJSONTextInTheHeadlineIsOneLineOfText() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        var report = run.report
        report.artifact.profile = ProfileInfo(name: "p", path: "/x\n\n![t](http://evil.example/p.png)\n<!--", sha256: "0123456789abcdef")
        report.artifact.overrides = ["-d 1s\n\n# OWNED"]
        report.artifact.host.hostname = "vm\u{2028}# host"
        let markdown = MarkdownReport.render(report)
        #expect(!markdown.contains("![t]") && !markdown.contains("<!--") && !markdown.contains("\n# OWNED") && !markdown.contains("\u{2028}"))
        #expect(markdown.contains("profile /x"))
        let terminal = TerminalReport.render(report)
        #expect(!terminal.split(separator: "\n").contains { $0.hasPrefix("# OWNED") || $0.hasPrefix("![t]") || $0.hasPrefix("<!--") })
    }
}

struct JSONReportTests {
    @Test func isVersionedAndReadsBack() throws {
        let run = try RecordedRun()
        defer { run.remove() }
        let text = try JSONReport.render(run.report)
        let decoded = try DiagnosisJSON.decode(JSONReport.self, from: Data(text.utf8))
        // Stable: what is read back writes out byte for byte the same.
        #expect(try decoded.encoded() == text)
        #expect(decoded.format == 1)
        #expect(decoded.kind == "run")
        #expect(decoded.verdict == .thresholdsFailed)
        #expect(decoded.thresholds.evaluated)
        #expect(decoded.thresholds.results.map(\.passed) == [true, false, false])

        let artifactStep = run.report.artifact.scenarios[0].steps[0]
        let step = decoded.scenarios[0].steps[0]
        #expect(step.name == "home")
        #expect(step.requests == 150)
        #expect(step.latency.p99 == Double(artifactStep.latency.percentile(99)) / 1e6)
        #expect(step.latency.p99_9 == Double(artifactStep.latency.percentile(99.9)) / 1e6)
        #expect(step.phases.keys.sorted() == ["connect", "dns", "total", "ttfb"])
        #expect(decoded.scenarios[0].steps[2].errorRate == 1)
        #expect(abs((decoded.scenarios[0].askedRate ?? 0) - 300) < 1e-9)
        #expect(decoded.timeline?.count == run.report.timeline?.total.count)
        #expect(decoded.diagnosis == ReportFixture.diagnosis)
        // Documented key names.
        for key in ["\"p99.9\"", "\"durationSeconds\"", "\"askedRate\"", "\"observed\"", "\"abortOnFail\""] {
            #expect(text.contains(key), "missing \(key)")
        }
    }
}

struct JUnitReportTests {
    /// The test cases of a JUnit document, read with an XML parser (so the file is well-formed too).
    final class Cases: NSObject, XMLParserDelegate {
        struct Case {
            var suite: String
            var className: String
            var name: String
            var failed = false
            var skipped = false
            var time: String?
            /// The failure's `type` and `message`, when it failed.
            var failureType: String?
            var message: String?
            /// The text of its `system-out`.
            var output = ""
        }

        var cases: [Case] = []
        var suiteTimes: [String?] = []
        var documentTime: String?
        private var suite = ""
        private var inOutput = false

        init(_ xml: String) throws {
            super.init()
            let parser = XMLParser(data: Data(xml.utf8))
            parser.delegate = self
            guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
        }

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            switch element {
            case "testsuites": documentTime = attributes["time"]
            case "testsuite":
                suite = attributes["name"] ?? ""
                suiteTimes.append(attributes["time"])
            case "testcase":
                cases.append(Case(suite: suite, className: attributes["classname"] ?? "", name: attributes["name"] ?? "",
                                  time: attributes["time"]))
            case "failure":
                cases[cases.count - 1].failed = true
                cases[cases.count - 1].failureType = attributes["type"]
                cases[cases.count - 1].message = attributes["message"]
            case "skipped": cases[cases.count - 1].skipped = true
            case "system-out": inOutput = true
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == "system-out" { inOutput = false }
        }

        func parser(_ parser: XMLParser, foundCharacters text: String) {
            if inOutput { cases[cases.count - 1].output += text }
        }
    }

    /// Thresholds by default; findings only when asked for (`--junit-findings`), from the severity given.
    @Test func aCasePerThresholdAndPerFindingOnlyWhenAsked() throws {
        let run = try RecordedRun(iterations: 30)
        defer { run.remove() }
        let thresholdsOnly = try Cases(JUnitReport.render(run.report)).cases
        #expect(thresholdsOnly.map(\.suite) == ["validity", "validity", "thresholds", "thresholds", "thresholds"])
        #expect(thresholdsOnly.map(\.failed) == [false, false, false, true, true])

        let all = try Cases(JUnitReport.render(run.report, findingsFrom: .warning)).cases
        #expect(all.map(\.suite) == ["validity", "validity", "thresholds", "thresholds", "thresholds", "findings", "findings"])
        #expect(all.map(\.name) == ["run ran its plan to the end", "generator self-check", "browse.home.latency: p(99) < 5s", "http.errors: rate < 1%",
                                    "browse.tls: p(99) < 1s", "#1 Sequential scan on orders", "#2 Connections left idle in transaction"])
        #expect(all.map(\.failed) == [false, false, false, true, true, true, true])

        // Below the severity asked for, a finding still has its case, passing.
        let criticalOnly = try Cases(JUnitReport.render(run.report, findingsFrom: .critical)).cases
        #expect(criticalOnly.filter { $0.suite == "findings" && $0.failed }.map(\.name) == ["#1 Sequential scan on orders"])
        #expect(criticalOnly.filter { $0.suite == "findings" && !$0.failed }.map(\.name) == ["#2 Connections left idle in transaction"])
    }

    /// Each finding's case carries its check (the class) and its severity: a warning or worse fails
    /// with the severity as the failure's type and leading the message CI lists; an info passes,
    /// its words in the case's output.
    @Test func aFindingCaseCarriesItsCheckAndSeverity() throws {
        var diagnosis = ReportFixture.diagnosis
        diagnosis.findings.append(Finding(step: .slowQueries, check: .topStatement, title: "Statement with the most database time",
                                          object: "SELECT 1", evidence: ["10 calls"], impact: Finding.Impact(totalSeconds: 0.1),
                                          severity: .info, fix: "Nothing wrong was found in its plan."))
        let findings = try Cases(JUnitReport.render(diagnosis)).cases
        #expect(findings.map(\.className) == ["strain.findings.seq-scan", "strain.findings.idle-in-transaction",
                                              "strain.findings.top-statement"])
        #expect(findings.map(\.failed) == [true, true, false])
        #expect(findings.map(\.failureType) == ["critical", "warning", nil])
        #expect(findings.map(\.message) == ["critical seq-scan: Sequential scan on orders",
                                            "warning idle-in-transaction: Connections left idle in transaction", nil])
        #expect(findings[2].output.hasPrefix("info top-statement: Statement with the most database time\nSELECT 1\nimpact: "))
        #expect(findings[2].output.hasSuffix("fix: Nothing wrong was found in its plan."))
    }

    /// Every case, suite and the document say how many seconds they judged: the run's, or the
    /// diagnosis window's for findings.
    @Test func timeAttributes() throws {
        let run = try RecordedRun(iterations: 30)
        defer { run.remove() }
        let parsed = try Cases(JUnitReport.render(run.report, findingsFrom: .warning))
        let runSeconds = String(format: "%.3f", run.report.duration)
        #expect(run.report.duration > 0)
        #expect(parsed.cases.map(\.time) == (Array(repeating: runSeconds, count: 5) + ["30.000", "30.000"]) as [String?])
        #expect(parsed.suiteTimes == [runSeconds, runSeconds, "30.000"] as [String?])
        #expect(parsed.documentTime == runSeconds)
    }

    /// A run that did not run its plan to the end fails its case, saying how it ended.
    @Test(arguments: [(RunStatus.interrupted, "interrupted"), (.failed, "run failed"), (.running, "incomplete (killed, or still running)"),
                      (.stoppedEarly, "stopped early")])
    func aRunThatDidNotEndFailsItsCase(status: RunStatus, message: String) throws {
        let run = try RecordedRun(iterations: 10)
        defer { run.remove() }
        var report = try RunFolder(url: run.folder).report(thresholds: .recorded)
        report.artifact.status = status
        let cases = try Cases(JUnitReport.render(report)).cases
        #expect(cases[0].name == "run ran its plan to the end" && cases[0].failed && cases[0].message == message)
        #expect(MarkdownReport.render(report).hasPrefix("# strain run") && MarkdownReport.render(report).contains(": ❌ \(message)"))
    }

    @Test func thresholdsNotEvaluatedAreSkippedAndAnInvalidRunFails() throws {
        let run = try RecordedRun(iterations: 10)
        defer { run.remove() }
        var report = try RunFolder(url: run.folder).report(thresholds: .recorded)
        report.artifact.validity = Validity(valid: false, reasons: ["scheduler lag <80ms> & \"worse\""])
        let xml = JUnitReport.render(report)
        let cases = try Cases(xml).cases
        #expect(!cases[0].failed && cases[1].failed)
        #expect(cases[2].name == "thresholds" && cases[2].skipped)
        #expect(xml.contains("scheduler lag &lt;80ms&gt; &amp; &quot;worse&quot;"))
    }

    /// U+FFFE and U+FFFF are no XML characters, even escaped: text holding them still parses.
    @Test func noncharactersKeepTheDocumentWellFormed() throws {
        let run = try RecordedRun(iterations: 10)
        defer { run.remove() }
        var report = try RunFolder(url: run.folder).report(thresholds: .recorded)
        report.artifact.validity = Validity(valid: false, reasons: ["lag \u{FFFE} \u{FFFF} \u{1}"])
        let xml = JUnitReport.render(report)
        #expect(try Cases(xml).cases[1].failed)
        #expect(!xml.unicodeScalars.contains("\u{FFFE}") && !xml.unicodeScalars.contains("\u{FFFF}"))
    }
}

struct HTMLReportTests {
    @Test func selfContainedWithChartsAndFindings() throws {
        let run = try RecordedRun()
        defer { run.remove() }
        let html = HTMLReport.render(run.report)

        // Offline: no script, no external asset (the SVG namespace is an identifier, not a fetch).
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        // The charts, each with drawn content: throughput, one latency chart per step, percentiles,
        // phases, impact.
        let charts = html.components(separatedBy: "<svg ").dropFirst()
        #expect(charts.count == 7)
        for title in ["Throughput: asked and achieved, and errors", "browse.home (http)", "browse.user (http)", "browse.broken (http)",
                      "Latency percentiles (whole run)",
                      "Where the time goes (mean per request; DNS, connect and TLS amortised over all requests)",
                      "Impact: total time attributable"] {
            let chart = try #require(charts.first { $0.contains(#"aria-label="\#(title)""#) }, "no chart \(title)")
            let drawn = chart.components(separatedBy: #"<path class="series" d="M"#).count - 1
                + chart.components(separatedBy: #"<rect class="bar""#).count - 1
            #expect(drawn > 0, "\(title) is empty")
        }
        // The asked rate is drawn, dashed, over the achieved one; both are real polylines.
        let throughput = try #require(charts.first { $0.contains("Throughput: asked and achieved") })
        for series in ["asked requests/s (open model)", "achieved requests/s (open model)"] {
            let path = try #require(throughput.components(separatedBy: "<path ").first { $0.contains("<title>\(series)</title>") },
                                    "no \(series) series")
            #expect(path.split(separator: "L").count >= 3)
        }
        #expect(throughput.contains(#"stroke-dasharray="6 4"><title>asked requests/s (open model)</title>"#))
        // Latency over time per step, never pooled across steps: one chart per step with its own
        // percentiles, and no chart of all steps together.
        let latencyCharts = charts.filter { $0.contains(#"(http)""#) }
        #expect(latencyCharts.count == 3)
        for chart in latencyCharts {
            #expect(chart.components(separatedBy: #"<path class="series""#).count - 1 == 3)
        }
        #expect(!html.contains("Latency over time\""))
        // One overview table, a row per step; the scenario sections do not repeat it.
        #expect(html.components(separatedBy: #"<section id="overview">"#).count == 2)
        #expect(html.components(separatedBy: "<th>asked</th>").count == 2)
        for row in ["browse.home", "browse.user", "browse.broken"] {
            #expect(html.contains(#"<td class="l">\#(row)</td><td class="l">http</td>"#), "no overview row \(row)")
        }
        // The findings, ranked, with their fixes.
        for part in ["#1 Sequential scan on orders", "#2 Connections left idle in transaction",
                     "CREATE INDEX CONCURRENTLY ON orders (customer_email);", "2 threshold(s) failed", "no tls was measured"] {
            #expect(html.contains(part), "missing \(part)")
        }
    }

    /// `strain diagnose` writes a page as self-contained as a run's: the findings, ranked, their chart and table.
    @Test func aDiagnosisOnItsOwn() {
        let html = HTMLReport.render(ReportFixture.diagnosis)
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            #expect(!html.contains(forbidden), "found \(forbidden)")
        }
        for part in ["<title>Diagnosis</title>", #"<span class="verdict failed">1 critical · 1 warning</span>"#,
                     #"aria-label="Impact: total time attributable""#, "<th>per request</th>",
                     "#1 Sequential scan on orders", "CREATE INDEX CONCURRENTLY ON orders (customer_email);", "<h3>Checklist</h3>"] {
            #expect(html.contains(part), "missing \(part)")
        }
    }

    /// The file opened in headless Chromium: the page renders to a screenshot that is far from blank.
    @Test func rendersInHeadlessChromium() throws {
        let run = try RecordedRun()
        defer { run.remove() }
        let page = run.folder.appendingPathComponent("report.html")
        try HTMLReport.render(run.report).write(to: page, atomically: true, encoding: .utf8)
        let blankPage = run.folder.appendingPathComponent("blank.html")
        try "<!doctype html><html><body></body></html>".write(to: blankPage, atomically: true, encoding: .utf8)

        let shot = try Chromium.screenshot(of: page)
        let blank = try Chromium.screenshot(of: blankPage)
        #expect(shot.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        // PNG width and height (IHDR, big-endian at bytes 16…23): the window asked for.
        let width = shot[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == Chromium.windowWidth)
        // Charts, tables and text compress far worse than an empty white page.
        #expect(shot.count > 5 * blank.count, "screenshot \(shot.count) bytes, blank page \(blank.count) bytes")
        if let keep = ProcessInfo.processInfo.environment["STRAIN_KEEP_SCREENSHOT"] {
            try shot.write(to: URL(fileURLWithPath: keep))
        }
    }
}

/// Headless Chromium, installed by scripts/setup.
enum Chromium {
    static let windowWidth = 1280

    static func screenshot(of page: URL) throws -> Data {
        let output = page.deletingPathExtension().appendingPathExtension("png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--screenshot=\(output.path)", "--window-size=\(windowWidth),2400", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ChromiumMissing(description: "cannot start /usr/bin/chromium (\(error)); scripts/setup installs it")
        }
        process.waitUntilExit()
        return try Data(contentsOf: output)
    }

    struct ChromiumMissing: Error, CustomStringConvertible {
        let description: String
    }
}
