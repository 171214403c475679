import Foundation
import StrainDiagnose
import Testing

/// `strain report` through the built binary: every exit status it can return.
@Suite("strain report")
struct ReportCommandTests {
    static let passing = #"    "shop.buy.latency": ["p(99) < 10ms"], "errors": ["rate <= 1%"],"#
    static let failing = #"    "shop.latency": ["p(99) < 500us"], "http.errors": ["count == 0"],"#

    @Test(arguments: ["report", "compare"])
    func helpCommandAndHelpFlagAgree(command: String) throws {
        let viaHelp = try StrainProcess.run(["help", command])
        let viaFlag = try StrainProcess.run([command, "--help"])
        #expect(viaHelp.status == 0 && viaFlag.status == 0)
        #expect(viaHelp.stdout == viaFlag.stdout)
        #expect(viaHelp.stdout.hasPrefix("usage: strain \(command) "))
        #expect(viaHelp.stdout.contains("exit status: 0 "))
    }

    @Test func withoutAProfileThresholdsAreNotEvaluated() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("plain")
        let outcome = try StrainProcess.run(["report", run.path])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.contains("Scenario shop (http): 1,000 iterations"))
        #expect(outcome.stdout.contains("Thresholds: not evaluated (its run.json predates recorded thresholds; pass --profile)"))
        #expect(!outcome.stdout.contains("\u{1B}["))
    }

    @Test func thresholdsHoldOrFail() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run", failures: 1)
        let passing = try fixtures.profile("passing.json5", thresholds: Self.passing)
        let failing = try fixtures.profile("failing.json5", thresholds: Self.failing)

        let held = try StrainProcess.run(["report", run.path, "--profile", passing.path])
        #expect(held.status == 0, "stdout: \(held.stdout)\nstderr: \(held.stderr)")
        #expect(held.stdout.contains("Thresholds: all 2 passed"))

        let failed = try StrainProcess.run(["report", run.appendingPathComponent("run.json").path, "--profile", failing.path])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("Thresholds: 2 of 2 failed"))
        #expect(failed.stdout.contains("FAIL  shop.latency: p(99) < 500µs"))
        #expect(failed.stdout.contains("FAIL  http.errors: count == 0"))
    }

    /// Without --profile, the thresholds the run recorded judge it: the folder alone gives the same
    /// answer after its profile has been edited or removed.
    @Test func theRecordedThresholdsJudgeTheRunWhateverBecameOfItsProfile() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.profile("recorded.json5", thresholds: Self.failing)
        let run = try fixtures.run("run", profile: profile)
        #expect(try StrainProcess.run(["report", run.path]).status == 1)

        try fixtures.profile("recorded.json5", thresholds: Self.passing)
        let edited = try StrainProcess.run(["report", run.path])
        #expect(edited.status == 1)
        #expect(edited.stdout.contains("Thresholds: 1 of 2 failed"), "\(edited.stdout)")

        try FileManager.default.removeItem(at: profile)
        #expect(try StrainProcess.run(["report", run.path]).status == 1)
    }

    /// An invalid run outranks failed thresholds: its numbers cannot be trusted either way.
    @Test func anInvalidRunExitsFour() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("invalid", valid: false)
        let failing = try fixtures.profile("failing.json5", thresholds: Self.failing)
        let outcome = try StrainProcess.run(["report", run.path, "--profile", failing.path])
        #expect(outcome.status == 4)
        #expect(outcome.stdout.contains("!! RUN INVALID"))
        #expect(outcome.stdout.contains("   - generator CPU at 100% for 8s"))
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// Usage mistakes and unreadable inputs: exit 2 with a message saying what and where. RUN and
    /// PROFILE stand for the fixture's paths.
    @Test(arguments: [
        BadInput(arguments: ["report"], message: "strain report: no run given"),
        BadInput(arguments: ["report", "RUN", "RUN"], message: "one run at a time, got 2"),
        BadInput(arguments: ["report", "RUN", "--format", "htm"], message: #"unknown format "htm"; use terminal, markdown, json, html, junit; did you mean html?"#),
        BadInput(arguments: ["report", "RUN", "--fromat", "html"], message: "unknown option --fromat; did you mean --format?"),
        BadInput(arguments: ["report", "RUN/missing"], message: "missing/run.json: no such run artifact"),
        BadInput(arguments: ["report", "RUN", "--profile", "PROFILE/unknown-metric.json5"],
                 message: #"unknown-metric.json5:6:"#),
        BadInput(arguments: ["report", "RUN", "--profile", "PROFILE/unknown-metric.json5"],
                 message: #"unknown metric "latncy"; use one of latency, service_time"#),
        BadInput(arguments: ["report", "RUN", "--profile", "PROFILE/unknown-scenario.json5"],
                 message: #"unknown scope "basket"; use http, postgres, a scenario name or scenario.step"#),
    ])
    func badInputExitsTwo(_ example: BadInput) throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        _ = try fixtures.profile("unknown-metric.json5", thresholds: #"    "shop.latncy": ["p(99) < 1s"],"#)
        _ = try fixtures.profile("unknown-scenario.json5", thresholds: #"    "basket.latency": ["p(99) < 1s"],"#)
        let arguments = example.arguments.map {
            $0.replacingOccurrences(of: "RUN", with: run.path).replacingOccurrences(of: "PROFILE", with: fixtures.directory.path)
        }
        let outcome = try StrainProcess.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(example.message), "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    /// A diagnosis.json naming a check this build does not know (another Strain's, or edited) is bad
    /// input, said with the file, the key and the id, rather than a report that drops or mislabels it.
    @Test func aDiagnosisWithAnUnknownCheckExitsTwo() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let diagnosis = Diagnosis(startedAt: start, endedAt: start.addingTimeInterval(10), requests: 1000,
                                  findings: [OutputsEndToEndTests.finding], notes: [])
        let json = String(decoding: try DiagnosisJSON.encode(diagnosis), as: UTF8.self)
        let file = run.appendingPathComponent("diagnosis.json")
        try json.replacingOccurrences(of: #""check" : "seq-scan""#, with: #""check" : "seq-scan-v2""#)
            .write(to: file, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["report", run.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(#"\#(file.path): not a Strain diagnosis: invalid value at 'findings[0].check': "#
                                        + #"unknown check "seq-scan-v2"; this build knows cpu-saturation,"#), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    /// Database contents in a diagnosis (a column named with a bidi override, an escape sequence in a
    /// statement, a line feed in the ranking basis) reach every output escaped: JSON printed to a
    /// terminal stays valid JSON, terminal text written to a file holds no escape sequence, Markdown
    /// starts no line or tag of its own.
    @Test func databaseTextInADiagnosisIsEscapedInJSONOnStdoutTerminalFilesAndMarkdown() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var finding = OutputsEndToEndTests.finding
        finding.title = "Sequential scan on bidi\u{202E}evil"
        finding.evidence = ["filter (\"esc\u{1B}]0;pwned\u{7}\u{1B}[31mRED\" = $1)", "C1 \u{85}"]
        let diagnosis = Diagnosis(startedAt: start, endedAt: start.addingTimeInterval(10), requests: 1000,
                                  rankingBasis: "by time\n# forged heading <script>alert(1)</script>", findings: [finding], notes: [])
        try DiagnosisJSON.write(diagnosis, to: run.appendingPathComponent("diagnosis.json"))

        let json = try StrainProcess.run(["report", run.path, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" || $0 == "\u{85}" })
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let findings = (parsed?["diagnosis"] as? [String: Any])?["findings"] as? [[String: Any]]
        #expect(findings?.first?["title"] as? String == finding.title, "the same text, as JSON escapes")

        let terminalFile = run.appendingPathComponent("report.txt")
        let terminal = try StrainProcess.run(["report", run.path, "--out", terminalFile.path])
        #expect(terminal.status == 0, "\(terminal.stderr)")
        let text = try String(contentsOf: terminalFile, encoding: .utf8)
        #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{7}" || $0 == "\u{202E}" })
        #expect(text.contains("esc\\u{1B}]0;pwned\\u{7}"))
        #expect(text.contains("Ranked by time\\u{A}# forged heading"))

        let markdown = try StrainProcess.run(["report", run.path, "--format", "markdown"])
        #expect(!markdown.stdout.contains("<script>"))
        #expect(!markdown.stdout.split(separator: "\n").contains { $0.hasPrefix("# forged") })
    }

    /// A window that ends before it starts (a hand-edited file) is refused, as evidence.json's is.
    @Test func aDiagnosisEndingBeforeItStartsExitsTwo() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let file = run.appendingPathComponent("diagnosis.json")
        try DiagnosisJSON.write(Diagnosis(startedAt: start, endedAt: start.addingTimeInterval(-10), requests: 1000, findings: [], notes: []),
                                to: file)
        let outcome = try StrainProcess.run(["report", run.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("\(file.path): not a Strain diagnosis: invalid value at 'endedAt': "), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("is before startedAt"))
    }

    @Test func anUnwritableOutputExitsFive() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        let outcome = try StrainProcess.run(["report", run.path, "--format", "html", "--out", "/nonexistent/folder/report.html"])
        #expect(outcome.status == 5)
        #expect(outcome.stderr.contains("/nonexistent/folder/report.html"))
    }

    /// `--out -` is standard output, as curl's `-o -` is, not a file called "-"; a command that writes a
    /// folder refuses it.
    @Test func dashAsTheOutputIsStandardOutputForOneFileAndRefusedForAFolder() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let run = try fixtures.run("run")
        for command in [["report", run.path], ["compare", run.path, run.path]] {
            let outcome = try StrainProcess.run(command + ["--format", "markdown", "--out", "-"], directory: fixtures.directory)
            #expect(outcome.status == 0, "\(command[0]): \(outcome.stderr)")
            #expect(outcome.stdout.hasPrefix("# strain "), "\(command[0]): \(outcome.stdout.prefix(200))")
            #expect(!FileManager.default.fileExists(atPath: fixtures.directory.appendingPathComponent("-").path))
        }
        let diagnose = try StrainProcess.run(["diagnose", "--evidence", run.path, "--out", "-"], directory: fixtures.directory)
        #expect(diagnose.status == 2)
        #expect(diagnose.stderr.contains("--out -: a diagnosis writes several files, so it needs a folder"), "\(diagnose.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixtures.directory.appendingPathComponent("-").path))
    }

    @Test(arguments: [("markdown", "# strain run \"shop\": ✅ passed"), ("json", #""kind" : "run""#),
                      ("html", "<!doctype html>"), ("junit", #"<testsuites name="strain run &quot;shop&quot;" tests="4" failures="0" time="10.000">"#)])
    func everyFormatToAFile(format: String, opening: String) throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.profile("passing.json5", thresholds: Self.passing)
        let run = try fixtures.run("run", profile: profile)
        let out = fixtures.directory.appendingPathComponent("report.\(format)")
        let summary = fixtures.directory.appendingPathComponent("summary.md")
        let outcome = try StrainProcess.run(["report", run.path, "--format", format, "--out", out.path],
                                            environment: ["GITHUB_STEP_SUMMARY": summary.path])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
        let text = try String(contentsOf: out, encoding: .utf8)
        #expect(text.contains(opening), "\(text.prefix(300))")
        // Only Markdown goes to the CI job summary.
        #expect(FileManager.default.fileExists(atPath: summary.path) == (format == "markdown"))
        if format == "markdown" {
            #expect(try String(contentsOf: summary, encoding: .utf8) == text + "\n")
        }
    }
}
