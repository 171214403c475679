import Foundation
import Testing
@testable import StrainDiagnose

struct DependenciesCheckTests {
    typealias B = EvidenceBuilder

    static func dependency(_ name: String, totals: [Double], failures: Int = 0) -> DependencyEvidence {
        let probes = totals.enumerated().map { index, total in
            DependencyEvidence.Probe(
                at: B.start.addingTimeInterval(Double(index)), status: index < failures ? 0 : 200,
                timings: .init(nameLookup: 0.00002, connect: 0.0001, tls: 0, firstByte: total - 0.0002, total: total),
                error: index < failures ? "curl error 7 (Couldn't connect to server)" : nil)
        }
        return DependencyEvidence(name: name, url: "http://127.0.0.1:9000/\(name)", probes: probes)
    }

    private func run(_ dependencies: [DependencyEvidence], load: LoadContext? = nil,
                     postgres: PostgresEvidence? = nil) -> CheckResult {
        DependenciesCheck.run(CheckInput(evidence: B.evidence(postgres: postgres, dependencies: dependencies), load: load,
                                         options: CheckOptions()))
    }

    @Test func slowDependencyInWindowModeIsNamedWithItsPhases() throws {
        let found = run([Self.dependency("payments", totals: [0.15, 0.16, 0.17]), Self.dependency("static", totals: [0.001, 0.002])])
            .findings
        let slow = try #require(found.first)
        #expect(found.count == 1)
        #expect(slow.check == "slow-dependency")
        #expect(slow.object == "payments")
        #expect(slow.title == "Slow dependency payments: 160 ms per call (median)")
        #expect(slow.evidence.contains("median: connect 100 µs, first byte 160 ms, total 160 ms"))
        #expect(abs(slow.impact.totalSeconds - 0.48) < 1e-9)
    }

    @Test func failingDependency() throws {
        let found = run([Self.dependency("search", totals: [0.001, 0.001, 0.001, 0.002, 0.002], failures: 3)]).findings
        let failing = try #require(found.first)
        #expect(failing.check == "dependency-errors")
        #expect(failing.severity == .critical)
        #expect(failing.evidence.contains("first failure: curl error 7 (Couldn't connect to server)"))
    }

    @Test func underLoadADependencyThatExplainsTheRestIsCharged() throws {
        // 1000 requests of 200 ms; the captured window's database time is about 11 ms per request.
        let postgres = B.postgres()
        let result = run([Self.dependency("payments", totals: [0.15, 0.15, 0.15])], load: B.load(requests: 1000, seconds: 200),
                         postgres: postgres)
        let slow = try #require(result.findings.first)
        #expect(slow.check == "slow-dependency")
        #expect(abs(slow.impact.totalSeconds - 150) < 1e-6)
        #expect(abs(slow.impact.perRequestSeconds! - 0.15) < 1e-9)
        #expect(abs(slow.impact.share! - 0.75) < 1e-9)
        #expect(result.summary.hasPrefix("shop/orders: 200 ms per request = network 0 µs + database 15 µs + payments 150 ms + unexplained 50 ms"))
    }

    /// The demo's endpoints: only the endpoint whose rest can hold a 151 ms call is charged, with
    /// at most one call per request; the others' smaller rests are theirs.
    @Test func aDependencyExplainsOnlyTheEndpointsWhoseRestCanHoldACall() throws {
        let load = LoadContext(endpoints: [
            .init(scenario: "recommendations", step: "recommend", kind: .http, requests: 400, totalSeconds: 400 * 0.155),
            .init(scenario: "report", step: "report", kind: .http, requests: 200, totalSeconds: 200 * 0.045),
            .init(scenario: "checkout", step: "pay", kind: .http, requests: 200, totalSeconds: 200 * 0.009),
        ])
        let result = run([Self.dependency("recommendations", totals: [0.150, 0.151, 0.152])], load: load)
        let slow = try #require(result.findings.first)
        #expect(result.findings.count == 1)
        #expect(abs(slow.impact.totalSeconds - 400 * 0.151) < 1e-6)
        #expect(slow.evidence.contains { $0.hasPrefix("recommendations/recommend: 155 ms per request") })
        #expect(!slow.evidence.contains { $0.hasPrefix("report/report") || $0.hasPrefix("checkout/pay") })
        #expect(result.summary.contains("report/report: 45 ms per request = network 0 µs + database 0 µs + unexplained 45 ms"))
    }

    @Test func underLoadASlowDependencyThatCannotExplainTheRestIsNotCharged() {
        let result = run([Self.dependency("payments", totals: [0.15, 0.15, 0.15])], load: B.load(requests: 100, seconds: 100))
        #expect(result.findings.isEmpty)
    }
}

struct ProfileCheckTests {
    typealias B = EvidenceBuilder

    static let profile = PerfReport.evidence(pid: 4242, report: PerfReportTests.report)

    private func run(_ evidence: Evidence, load: LoadContext? = nil, earlier: [Finding] = []) -> CheckResult {
        ProfileCheck.run(CheckInput(evidence: evidence, load: load, options: CheckOptions()), earlier: earlier)
    }

    @Test func withNothingElseFoundTheHotFramesAreShown() throws {
        let finding = try #require(run(B.evidence(profiler: Self.profile)).findings.first)
        #expect(finding.check == "hot-frames")
        #expect(finding.object == "pid 4242: do_syscall_64")
        #expect(finding.evidence.contains("38.8% do_syscall_64 [[kernel.kallsyms]]"))
        #expect(finding.severity == .info)
    }

    @Test func problemsInEarlierStepsComeFirst() {
        let cpu = Finding(step: .metrics, check: "cpu-saturation", title: "CPU saturated", object: "CPU", evidence: [],
                          impact: .init(totalSeconds: 3), severity: .critical, fix: "")
        let result = run(B.evidence(profiler: Self.profile), earlier: [cpu])
        #expect(result.findings.isEmpty)
        #expect(result.summary == "skipped: steps 1–4 found 1 problem(s) to fix first")
    }

    @Test func unexplainedRequestTimeSaysWhatToProfile() throws {
        let finding = try #require(run(B.evidence(), load: B.load(requests: 1000, seconds: 100)).findings.first)
        #expect(finding.check == "profile-the-code")
        #expect(finding.object == "shop/orders")
        #expect(finding.severity == .warning)
        #expect(abs(finding.impact.totalSeconds - 100) < 1e-9)
        #expect(finding.fix.contains("strain diagnose --pid PID"))
        #expect(finding.evidence.last == "no process was profiled (pass --diagnose-pid / --pid with the service's PID)")
    }

    /// Decided per endpoint: a CPU-bound endpoint next to one waiting on a slow dependency is
    /// profiled, although the dependency explains most of the run's request time.
    @Test func theEndpointLeftUnexplainedIsProfiledWithItsHotFrames() throws {
        let load = LoadContext(endpoints: [
            .init(scenario: "recommendations", step: "recommend", kind: .http, requests: 400, totalSeconds: 400 * 0.155),
            .init(scenario: "report", step: "report", kind: .http, requests: 200, totalSeconds: 200 * 0.045),
            .init(scenario: "catalogue", step: "product", kind: .http, requests: 1600, totalSeconds: 1600 * 0.002),
        ])
        let evidence = B.evidence(dependencies: [DependenciesCheckTests.dependency("recommendations", totals: [0.151])],
                                  profiler: Self.profile)
        let finding = try #require(run(evidence, load: load).findings.first)
        #expect(finding.check == "hot-frames")
        #expect(finding.object == "report/report in pid 4242: do_syscall_64")
        #expect(finding.severity == .warning)
        #expect(abs(finding.impact.totalSeconds - 200 * 0.045) < 1e-9)
        #expect(finding.evidence.first == "report/report: 45 ms per request = network 0 µs + database 0 µs + unexplained 45 ms")
    }

    @Test func explainedRequestTimeNeedsNoProfile() {
        // 200 ms per request, of which a 150 ms dependency accounts for 150: 50 ms is a quarter.
        let evidence = B.evidence(dependencies: [DependenciesCheckTests.dependency("payments", totals: [0.15])], profiler: Self.profile)
        let result = run(evidence, load: B.load(requests: 1000, seconds: 200))
        #expect(result.findings.isEmpty)
        #expect(result.summary.hasPrefix("skipped: every endpoint's time is mostly network, database or dependency time"))
    }
}
