import Foundation
import Testing

/// `strain compare` through the built binary: every exit status it can return.
@Suite("strain compare")
struct CompareCommandTests {
    @Test func theSameSystemIsNoRegression() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("new").path])
        #expect(outcome.status == 0, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        #expect(outcome.stdout.contains("no regression (5 metrics)"))
        #expect(outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("  shop.buy") }.allSatisfy { $0.hasSuffix("within noise") })
    }

    @Test func aSlowerRunIsARegression() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("slow", latency: 3000).path])
        #expect(outcome.status == 3, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        #expect(outcome.stdout.contains("REGRESSION in 3 of 5 metrics"))
        let p50 = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("  shop.buy  p50") })
        #expect(p50.contains("1.00ms   3.00ms  +200.") && p50.hasSuffix("REGRESSION"), "\(p50)")
    }

    @Test func anInvalidRunExitsFour() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base", valid: false).path,
                                             try fixtures.run("slow", latency: 3000).path])
        #expect(outcome.status == 4)
        #expect(outcome.stdout.contains("cannot compare: the base run is invalid (3 apparent regressions)"))
    }

    @Test func runsWithNoStepInCommonExitTwo() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("other", step: "pay").path])
        #expect(outcome.status == 2, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("the runs have no step in common: shop.buy (base only), shop.pay (new only)"))
    }

    @Test(arguments: [
        (["compare"], "expected two runs, BASE and NEW; got 0"),
        (["compare", "BASE", "BASE", "--false-alarm-rate", "5%"], "--false-alarm-rate: expected a probability from 0.0001 to below 1"),
        // So small that no change could ever count: the gate would pass everything.
        (["compare", "BASE", "BASE", "--false-alarm-rate", "1e-320"], #"expected a probability from 0.0001 to below 1 (e.g. 0.05), got "1e-320""#),
        (["compare", "BASE", "BASE", "--false-alarm-rate", "0x1p-3"], #"expected a probability from 0.0001 to below 1 (e.g. 0.05), got "0x1p-3""#),
        (["compare", "BASE"], "expected two runs, BASE and NEW; got 1"),
        (["compare", "BASE", "BASE/nothing"], "nothing/run.json: no such run artifact"),
        (["compare", "BASE", "BASE", "--profile", "x"], "unknown option --profile"),
    ])
    func badInputExitsTwo(arguments: [String], message: String) throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let base = try fixtures.run("base")
        let outcome = try StrainProcess.run(arguments.map { $0.replacingOccurrences(of: "BASE", with: base.path) })
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "stderr: \(outcome.stderr)")
    }

    @Test func anUnwritableOutputExitsFive() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let base = try fixtures.run("base")
        let outcome = try StrainProcess.run(["compare", base.path, base.path, "--format", "junit", "--out", "/nonexistent/junit.xml"])
        #expect(outcome.status == 5)
    }

    @Test(arguments: [("markdown", "**❌ REGRESSION in 3 of 5 metrics**"), ("json", #""verdict" : "regression""#),
                      ("html", #"<tr class="fail">"#), ("junit", #"<testsuite name="comparison" tests="5" failures="3" skipped="0" time="10.000">"#)])
    func everyFormat(format: String, marker: String) throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let outcome = try StrainProcess.run(["compare", try fixtures.run("base").path, try fixtures.run("slow", latency: 3000).path,
                                             "--format", format])
        #expect(outcome.status == 3)
        #expect(outcome.stdout.contains(marker), "\(outcome.stdout.prefix(400))")
    }
}
