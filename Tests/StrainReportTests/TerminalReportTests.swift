import Foundation
import StrainContract
import StrainProfile
@testable import StrainReport
import StrainTestSupport
import Testing

/// Reports on a real run: requests to the test nginx measured into an artifact, with the profile
/// such a run would have used.
enum ReportFixture {
    static let profileText = """
    {
      name: "nginx-browse",
      target: { baseURL: "http://127.0.0.1:1" },
      scenarios: [
        { name: "browse", load: { rate: "300/s", duration: "200ms" },
          steps: [{ name: "home", path: "/index.html" }, { name: "user", path: "/user.json" }, { name: "broken", path: "/status/500" }] },
      ],
      thresholds: {
        "browse.home.latency": ["p(99) < 5s"],
        "http.errors": ["rate < 1%"],
        "browse.tls": ["p(99) < 1s"],
      },
    }
    """

    static func profile() throws -> Profile {
        try ProfileLoader.parse(profileText, path: "nginx-browse.json5", baseDirectory: URL(fileURLWithPath: "/tmp"))
    }

    /// A diagnosis as the diagnoser writes it, for the renderers (the diagnoser's own tests check how it is found).
    static let diagnosis = Diagnosis(
        startedAt: Date(timeIntervalSince1970: 1_700_000_000), endedAt: Date(timeIntervalSince1970: 1_700_000_030),
        requests: 12_000,
        findings: [
            Finding(step: .slowQueries, check: .seqScan, title: "Sequential scan on orders", object: "orders(customer_email)",
                    evidence: ["1,000 calls, 12.3 ms mean", "Rows Removed by Filter: 299,990 per call"],
                    impact: Finding.Impact(totalSeconds: 12.3, perRequestSeconds: 0.00102, share: 0.41), severity: .critical,
                    fix: "CREATE INDEX CONCURRENTLY ON orders (customer_email);"),
            Finding(step: .connectionPools, check: .idleInTransaction, title: "Connections left idle in transaction",
                    object: "application_name=shop", evidence: ["3 sessions idle in transaction for up to 41 s"],
                    impact: Finding.Impact(totalSeconds: 2.5), severity: .warning,
                    fix: "Commit or roll back before returning a connection to the pool.\nSet idle_in_transaction_session_timeout = '10s'."),
        ],
        notes: [Diagnosis.StepNote(step: .metrics, summary: "CPU 35%, no memory pressure"),
                Diagnosis.StepNote(step: .profile, summary: "skipped: steps 2 and 3 explain the latency")])
}

struct TerminalReportTests {
    @Test func rendersARealRun() throws {
        let artifact = try RealRun.nginx(iterations: 30).record()
        let report = RunReport(artifact: artifact, profile: try ReportFixture.profile())
        let text = TerminalReport.render(report)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        #expect(lines[0].hasPrefix("strain run \"unnamed\" — completed after "))
        #expect(text.contains("Scenario browse (http): 30 iterations"))
        // The asked rate comes from the profile's plan.
        #expect(try #require(lines.first { $0.hasPrefix("  home ") }).contains("300.0/s"))
        // Latency and service percentiles, phases, traffic and errors with the first example.
        for word in ["p50", "p90", "p95", "p99", "p99.9", "max", "latency", "service", "dns", "connect", "ttfb",
                     "bytes in", "200×30", "500×30", "status", "HTTP 500 from broken"] {
            #expect(text.contains(word), "missing \(word)")
        }
        #expect(!text.contains("\u{1B}["), "no colours unless asked for")

        // The latency table is aligned: its last column is right-aligned, so every line ends at the same column.
        let header = try #require(lines.firstIndex { $0.hasPrefix("  step") && $0.contains("p99.9") })
        let table = lines[header...(header + 6)]
        #expect(Set(table.map(\.count)).count == 1, "\(table.joined(separator: "\n"))")

        // Thresholds with their observed values; the unmeasured one fails rather than passing silently.
        #expect(text.contains("Thresholds: 2 of 3 failed"))
        #expect(lines.contains { $0.hasPrefix("  ok") && $0.contains("browse.home.latency: p(99) < 5s") })
        #expect(lines.contains { $0.hasPrefix("  FAIL") && $0.contains("http.errors: rate < 1%") && $0.hasSuffix("33.3%") })
        #expect(lines.contains { $0.hasPrefix("  FAIL") && $0.hasSuffix("no tls was measured") })
    }

    @Test func invalidAndInterruptedRunsSayItFirst() throws {
        var artifact = try RealRun.nginx(iterations: 5).record()
        artifact.validity = Validity(valid: false, reasons: ["generator CPU at 99% for 12s", "scheduler lag p99 80ms"])
        artifact.status = .interrupted
        let text = TerminalReport.render(RunReport(artifact: artifact, thresholdsNote: "no profile"))
        let lines = text.split(separator: "\n").map(String.init)
        let warning = try #require(lines.firstIndex { $0.contains("RUN INVALID") })
        #expect(warning < 5, "the warning comes before any figure")
        #expect(lines[warning + 1] == "   - generator CPU at 99% for 12s")
        #expect(lines[warning + 2] == "   - scheduler lag p99 80ms")
        #expect(text.contains("The run was interrupted"))
        #expect(text.contains("Thresholds: not evaluated (no profile)"))
    }

    /// Two new connections took 40 and 60 µs to connect over 100 requests: the chart charges each
    /// request 1 µs of connect time, not the 50 µs a new connection took.
    @Test func connectionPhasesAreAmortisedOverAllRequestsInTheBreakdown() throws {
        let html = HTMLReport.render(RunReport(artifact: KnownRun.artifact))
        let chart = try #require(html.components(separatedBy: "<svg ").first { $0.contains("Where the time goes") })
        #expect(chart.contains("DNS, connect and TLS amortised over all requests"))
        #expect(chart.contains("browse.home · connect: 1µs"), "\(chart)")
        #expect(chart.contains("browse.home · ttfb: 200µs"))
    }

    @Test func aGeneratorBoundRunSaysItsThroughputIsTheGenerators() throws {
        var artifact = KnownRun.artifact
        artifact.validity.generatorBound = "generator-bound: worker 1 was busy 80% of the time in a closed-model run"
        for text in [TerminalReport.render(RunReport(artifact: artifact), color: false), MarkdownReport.render(RunReport(artifact: artifact)),
                     HTMLReport.render(RunReport(artifact: artifact))] {
            #expect(text.contains("The run was generator-bound: worker 1 was busy 80% of the time in a closed-model run."))
        }
    }

    /// Arrivals never sent are in no percentile: every format says so before any figure.
    @Test func droppedArrivalsAreCalledOutBeforeTheFigures() throws {
        var artifact = KnownRun.artifact
        artifact.scenarios[0].steps[0].counters[Counter.dropped.name] = 1_234
        for text in [TerminalReport.render(RunReport(artifact: artifact), color: false), MarkdownReport.render(RunReport(artifact: artifact)),
                     HTMLReport.render(RunReport(artifact: artifact))] {
            #expect(text.contains("1,234 arrivals of scenario"))
            #expect(text.contains("Its latency percentiles leave them out"))
        }
        let text = TerminalReport.render(RunReport(artifact: artifact), color: false)
        #expect(try #require(text.range(of: "1,234 arrivals")).lowerBound < #require(text.range(of: "Scenario browse")).lowerBound)
        #expect(!TerminalReport.render(RunReport(artifact: KnownRun.artifact), color: false).contains("never sent"))
        // A name from the profile in a warning is text in Markdown, never markup.
        artifact.scenarios[0].name = "a <b> | c"
        let markdown = MarkdownReport.render(RunReport(artifact: artifact))
        #expect(markdown.contains(#"scenario "a &lt;b&gt; \| c" were never sent"#), "\(markdown)")
    }

    @Test func colourIsOptIn() throws {
        let artifact = try RealRun.nginx(iterations: 5).record()
        let text = TerminalReport.render(RunReport(artifact: artifact, profile: try ReportFixture.profile()), color: true)
        #expect(TerminalText.visible(text, keepingStyles: true).contains("\u{1B}[1;31m  FAIL"))
    }
}

struct DiagnosisReportTests {
    @Test func terminalListsFindingsInRankOrder() throws {
        let text = DiagnosisReport.terminal(ReportFixture.diagnosis)
        #expect(text.hasPrefix("Diagnosis: 2 findings, ranked by total time attributable (window 30.0s, 12,000 requests)\n"))
        let first = try #require(text.range(of: "#1 [critical] Sequential scan on orders — orders(customer_email)"))
        let second = try #require(text.range(of: "#2 [warning] Connections left idle in transaction — application_name=shop"))
        #expect(first.lowerBound < second.lowerBound)
        for part in ["12.3s total · 1.02ms per request · 41.0% of request time", "     - Rows Removed by Filter: 299,990 per call",
                     "   fix: CREATE INDEX CONCURRENTLY ON orders (customer_email);",
                     "   fix: Commit or roll back before returning a connection to the pool.\n        Set idle_in_transaction_session_timeout",
                     "checklist step 2: Slow queries (check seq-scan)",
                     "  1. Metrics: CPU, memory, I/O, network: CPU 35%, no memory pressure",
                     "  5. Profile the code: skipped: steps 2 and 3 explain the latency"] {
            #expect(text.contains(part), "missing \(part)")
        }
        // The overview table ranks with per-request and share columns.
        #expect(text.contains("  1  critical  2. Slow queries"))
    }

    @Test func markdownHasATableAndASectionPerFinding() {
        let text = DiagnosisReport.markdown(ReportFixture.diagnosis, level: 2)
        for part in ["## Diagnosis", "| # | severity | step | finding | object | total | per request | share |",
                     "| 1 | critical | 2. Slow queries | Sequential scan on orders | orders(customer_email) | 12.3s | 1.02ms | 41.0% |",
                     "### 1. Sequential scan on orders", "**critical** · step 2, Slow queries · `orders(customer_email)` · check `seq-scan`",
                     "**Impact:** 12.3s total · 1.02ms per request · 41.0% of request time",
                     "- 1,000 calls, 12.3 ms mean", "**Fix:** CREATE INDEX CONCURRENTLY ON orders (customer_email);",
                     "**Fix:**\n\n```\nCommit or roll back", "### Checklist", "- **5. Profile the code**: skipped"] {
            #expect(text.contains(part), "missing \(part)")
        }
    }

    /// Titles, objects, evidence and notes quote database contents: an escape sequence or a line feed in
    /// them shows as text, never hides the lines after it or starts a line of its own.
    @Test func databaseTextCannotStyleOrBreakTheReport() {
        let hostile = "gone\u{1B}[8m<script>x</script>\n#9 [critical] forged \u{1B}[1;31mred\u{1B}[0m"
        let diagnosis = Diagnosis(
            startedAt: ReportFixture.diagnosis.startedAt, endedAt: ReportFixture.diagnosis.endedAt, requests: nil,
            findings: [Finding(step: .slowQueries, check: .seqScan, title: "Slow statement on " + hostile, object: hostile,
                               evidence: ["statement: SELECT * FROM " + hostile], impact: Finding.Impact(totalSeconds: 1),
                               severity: .warning, fix: "ANALYZE t;")],
            notes: [Diagnosis.StepNote(step: .slowQueries, summary: "looked at " + hostile)])
        let terminal = TerminalText.visible(DiagnosisReport.terminal(diagnosis, color: true), keepingStyles: true)
        #expect(!terminal.contains("\u{1B}[8m"))
        #expect(!terminal.contains("\n#9"))
        #expect(terminal.contains(#"gone\u{1B}[8m<script>x</script>\u{A}#9 [critical] forged \u{1B}[1;31mred\u{1B}[0m"#))
        // Strain's own colours stay, and are the only sequences: the database's red is shown, not obeyed.
        #expect(terminal.hasPrefix("\u{1B}[1mDiagnosis:"))
        #expect(terminal.components(separatedBy: "\u{1B}[1;31m").count - 1 == 1, "only the severity is red: \(terminal)")
        let markdown = DiagnosisReport.markdown(diagnosis)
        #expect(!markdown.unicodeScalars.contains("\u{1B}"))
        // Outside code spans (where a renderer shows it literally) the HTML is escaped.
        #expect(!markdown.contains("\n#9"))
        // Backslashes and brackets outside code are escaped too: rendered, they read as written.
        #expect(markdown.contains(#"- statement: SELECT \* FROM gone\\u{1B}\[8m&lt;script&gt;"#))
        #expect(markdown.contains(#"`gone\u{1B}[8m<script>x</script> #9 [critical] forged \u{1B}[1;31mred\u{1B}[0m`"#))
        #expect(markdown.contains(#"## 1. Slow statement on gone\\u{1B}\[8m&lt;script&gt;x&lt;/script&gt;\\u{A}#9 \[critical\] forged"#))
    }

    /// CommonMark reads \` as a backtick that opens no code span, and [..](..) as a link or an image:
    /// untrusted text written either way stays text.
    @Test(arguments: [
        (#"st\`<img src=x onerror=alert(3)>`"#, #"st\\`<img src=x onerror=alert(3)>`"#),
        (#"![i](http://evil.example/i.png)"#, #"!\[i\](http://evil.example/i.png)"#),
        (#"[l](javascript:alert(1))"#, #"\[l\](javascript:alert(1))"#),
        (#"a <b> & c"#, #"a &lt;b&gt; &amp; c"#),
        // Two count(*) would set what lies between in italics and hide both asterisks.
        (#"SELECT count(*) FROM a WHERE n > (SELECT count(*) FROM b)"#, #"SELECT count(\*) FROM a WHERE n &gt; (SELECT count(\*) FROM b)"#),
        // Underscores inside a word make no emphasis and stay; others, and tildes, are escaped.
        (#"order_items _x_ __init__ ~~gone~~ a\_b"#, #"order_items \_x\_ \_\_init\_\_ \~\~gone\~\~ a\\\_b"#),
    ])
    func markdownTextStaysText(untrusted: String, escaped: String) {
        #expect(Markdown.text(untrusted) == escaped)
    }

    @Test func noFindings() {
        let empty = Diagnosis(startedAt: ReportFixture.diagnosis.startedAt, endedAt: ReportFixture.diagnosis.endedAt,
                              requests: nil, findings: [], notes: [])
        #expect(DiagnosisReport.terminal(empty) == "Diagnosis: no findings (window 30.0s)\n")
        #expect(DiagnosisReport.markdown(empty) == "# Diagnosis\n\nno findings (window 30.0s).\n")
    }
}
