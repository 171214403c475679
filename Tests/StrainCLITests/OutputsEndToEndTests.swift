import Foundation
import StrainDiagnose
import StrainTestSupport
import Testing

/// The report files through the built binary: JUnit judges findings only when asked, and
/// `strain diagnose` writes a self-contained HTML page beside its Markdown.
struct OutputsEndToEndTests {
    static let finding = Finding(step: .slowQueries, check: .seqScan, title: "Sequential scan on orders", object: "orders(customer_email)",
                                 evidence: ["1,000 calls"], impact: Finding.Impact(totalSeconds: 4), severity: .critical,
                                 fix: "CREATE INDEX CONCURRENTLY ON orders (customer_email);")

    @Test func junitReportsFindingsOnlyWithJunitFindings() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try DiagnosisJSON.write(Diagnosis(startedAt: start, endedAt: start.addingTimeInterval(10), requests: 1000,
                                          findings: [Self.finding], notes: []),
                                to: run.appendingPathComponent("diagnosis.json"))

        let plain = try StrainProcess.run(["report", run.path, "--format", "junit"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains("Sequential scan on orders"))
        #expect(plain.stdout.contains(#"failures="0" time="10.000">"#))
        #expect(plain.stdout.contains(#"<testcase classname="strain.run" name="generator self-check" time="10.000"/>"#))

        let withFindings = try StrainProcess.run(["report", run.path, "--format", "junit", "--junit-findings"])
        // The findings fail JUnit cases, never the exit status: that stays the thresholds' and the self-check's.
        #expect(withFindings.status == 0, "\(withFindings.stderr)")
        #expect(withFindings.stdout.contains(#"<testsuite name="findings" tests="1" failures="1" skipped="0" time="10.000">"#))
        #expect(withFindings.stdout.contains(##"name="#1 Sequential scan on orders" time="10.000">"##))
        #expect(withFindings.stdout.contains(##"<testcase classname="strain.findings.seq-scan" name="#1 Sequential scan on orders""##))
        #expect(withFindings.stdout.contains(#"<failure message="critical seq-scan: Sequential scan on orders" type="critical">"#))
    }

    @Test func diagnoseWritesHTMLAndJUnitOnRequest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-outputs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let evidence = StrainProcess.packageRoot.appendingPathComponent("reports/samples/demo/evidence.json")

        let plain = try StrainProcess.run(["diagnose", "--evidence", evidence.path, "--out", directory.appendingPathComponent("plain").path])
        #expect(plain.status == 0, "\(plain.stderr)")
        let page = try String(contentsOf: directory.appendingPathComponent("plain/diagnosis.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!doctype html>"))
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            #expect(!page.contains(forbidden), "found \(forbidden)")
        }
        let markdown = try String(contentsOf: directory.appendingPathComponent("plain/diagnosis.md"), encoding: .utf8)
        // Every finding of the Markdown is in the page, in the same order.
        let titles = markdown.matches(of: /\n## \d+\. ([^\n]+)/).map { String($0.output.1) }
        #expect(titles.count >= 3)
        let positions = titles.map { title in page.range(of: "#\(titles.firstIndex(of: title)! + 1) " + title.replacingOccurrences(of: "\"", with: "&quot;"))?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(plain.stdout.contains(directory.appendingPathComponent("plain/diagnosis.html").path))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plain/junit.xml").path))

        let withJUnit = try StrainProcess.run(["diagnose", "--evidence", evidence.path, "--junit-findings",
                                               "--out", directory.appendingPathComponent("junit").path])
        #expect(withJUnit.status == 0, "\(withJUnit.stderr)")
        let junit = try String(contentsOf: directory.appendingPathComponent("junit/junit.xml"), encoding: .utf8)
        #expect(junit.contains(#"<testsuite name="findings" tests="\#(titles.count)" failures="\#(titles.count)""#))
        #expect(junit.contains("name=\"#1 \(titles[0])\""))
    }
}

extension OutputsEndToEndTests {
    /// Three times slower reads as a factor beside the percentage.
    @Test func compareShowsChangesAsRatios() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("slow", latency: 3000).path,
                                             "--format", "markdown"])
        #expect(outcome.status == 3)
        let p50 = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("| shop.buy | p50 |") })
        #expect(p50.contains("% (3.0×) |"), "\(p50)")

        // The HTML's p99 over time is per step, the base dashed under its counterpart, never pooled.
        let html = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("slow", latency: 3000).path,
                                          "--format", "html"])
        #expect(html.stdout.contains(#"aria-label="p99 latency over time per step: new and base (dashed)""#))
        #expect(html.stdout.contains("<title>new shop.buy</title>"))
        #expect(html.stdout.contains(#"stroke-dasharray="6 4"><title>base shop.buy</title>"#))
    }
}

extension OutputsEndToEndTests {
    /// `strain run` with a diagnose section writes diagnosis.html beside report.html; its junit.xml
    /// has a findings suite only with --junit-findings.
    @Test func runWritesDiagnosisHTMLAndJudgesFindingsOnlyWhenAsked() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = directory.appendingPathComponent("profile.json5")
        try """
        { name: "outputs", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "home", load: { model: "closed", connections: 2, iterations: 40 },
                        steps: [{ path: "/index.html", check: { status: [200] } }] }],
          diagnose: { postgres: "\(TestServers.postgresConninfo)" } }
        """.write(to: profile, atomically: true, encoding: .utf8)
        for (name, flags) in [("plain", [String]()), ("findings", ["--junit-findings"])] {
            let folder = directory.appendingPathComponent(name)
            let outcome = try StrainProcess.run(["run", profile.path, "--quiet", "--out", folder.path] + flags)
            #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
            let page = try String(contentsOf: folder.appendingPathComponent("diagnosis.html"), encoding: .utf8)
            #expect(page.contains(#"<section id="findings">"#))
            #expect(page.contains("<title>Diagnosis</title>") && page.contains("<h1>Diagnosis</h1>"))
            let junit = try String(contentsOf: folder.appendingPathComponent("junit.xml"), encoding: .utf8)
            #expect(junit.contains(#"<testsuite name="findings""#) == !flags.isEmpty, "\(junit)")
            #expect(junit.contains(#"<testsuite name="thresholds""#))
        }
    }
}
