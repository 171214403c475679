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
        #expect(slow.check == .slowDependency)
        #expect(slow.object == "payments")
        #expect(slow.title == "Slow dependency payments: 160 ms per call (median)")
        #expect(slow.evidence.contains("median: connect 100 µs, first byte 160 ms, total 160 ms"))
        #expect(abs(slow.impact.totalSeconds - 0.48) < 1e-9)
    }

    @Test func failingDependency() throws {
        let found = run([Self.dependency("search", totals: [0.001, 0.001, 0.001, 0.002, 0.002], failures: 3)]).findings
        let failing = try #require(found.first)
        #expect(failing.check == .dependencyErrors)
        #expect(failing.severity == .critical)
        #expect(failing.evidence.contains("first failure: curl error 7 (Couldn't connect to server)"))
    }

    @Test func underLoadADependencyThatExplainsTheRestIsCharged() throws {
        // 1000 requests of 200 ms; the captured window's database time is about 11 ms per request.
        let postgres = B.postgres()
        let result = run([Self.dependency("payments", totals: [0.15, 0.15, 0.15])], load: B.load(requests: 1000, seconds: 200),
                         postgres: postgres)
        let slow = try #require(result.findings.first)
        #expect(slow.check == .slowDependency)
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
        #expect(finding.check == .hotFrames)
        #expect(finding.object == "pid 4242: do_syscall_64")
        #expect(finding.evidence.contains("38.8% do_syscall_64 [[kernel.kallsyms]]"))
        #expect(finding.severity == .info)
    }

    @Test func problemsInEarlierStepsComeFirst() {
        let cpu = Finding(step: .metrics, check: .cpuSaturation, title: "CPU saturated", object: "CPU", evidence: [],
                          impact: .init(totalSeconds: 3), severity: .critical, fix: "")
        let result = run(B.evidence(profiler: Self.profile), earlier: [cpu])
        #expect(result.findings.isEmpty)
        #expect(result.summary == "skipped: steps 1–4 found 1 problem(s) to fix first")
    }

    @Test func unexplainedRequestTimeSaysWhatToProfile() throws {
        let finding = try #require(run(B.evidence(), load: B.load(requests: 1000, seconds: 100)).findings.first)
        #expect(finding.check == .profileTheCode)
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
        #expect(finding.check == .hotFrames)
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

/// Whether an endpoint waits on a slow dependency or computes, whatever the machine's speed: the
/// demo's endpoints, with the CPU-heavy report as fast as on a quick release build, as slow as a
/// debug build on a slow machine (its mean then matches the dependency's by size), and on a busy
/// host, where some requests wait for a core and others do not.
struct DependencyOrComputeTests {
    typealias B = EvidenceBuilder

    static func load(report mean: Double, fastTenth: Double) -> LoadContext {
        LoadContext(endpoints: [
            .init(scenario: "recommendations", step: "recommend", kind: .http, requests: 150, totalSeconds: 150 * 0.152,
                  fastTenthSeconds: 0.151),
            .init(scenario: "report", step: "report", kind: .http, requests: 75, totalSeconds: 75 * mean, fastTenthSeconds: fastTenth),
            .init(scenario: "catalogue", step: "product", kind: .http, requests: 600, totalSeconds: 600 * 0.0004,
                  fastTenthSeconds: 0.0003),
        ])
    }

    @Test(arguments: [
        // report's mean and 10th percentile per request, the service's CPU (+ run queue) over the window
        (0.008, 0.007, 0.65),  // fast machine, release build
        (0.040, 0.036, 3.2),   // the repository's machine
        (0.150, 0.140, 11.5),  // slow machine: same size as the dependency's call
        (0.110, 0.038, 8.0),   // busy host: some requests wait for a core, the fast tenth does not
    ])
    func theEndpointThatComputesIsNotChargedToTheDependency(mean: Double, fastTenth: Double, cpu: Double) throws {
        let evidence = B.evidence(dependencies: [DependenciesCheckTests.dependency("recommendations", totals: [0.150, 0.150, 0.152])],
                                  profiler: ProfileCheckTests.profile, service: ServiceProcessEvidence(pid: 4242, cpuSeconds: cpu))
        let input = CheckInput(evidence: evidence, load: Self.load(report: mean, fastTenth: fastTenth), options: CheckOptions())
        let breakdowns = RequestBreakdown.all(input)
        #expect(try #require(breakdowns.first { $0.endpoint == "report/report" }).dependency == nil)
        #expect(try #require(breakdowns.first { $0.endpoint == "recommendations/recommend" }).dependency?.name == "recommendations")

        let step5 = ProfileCheck.run(input, earlier: []).findings
        #expect(step5.map(\.check) == [.hotFrames])
        #expect(step5.first?.object == "report/report in pid 4242: do_syscall_64")
        let slow = DependenciesCheck.run(input).findings.first { $0.check == .slowDependency }
        #expect(abs((slow?.impact.totalSeconds ?? 0) - 150 * 0.150) < 1e-6)
    }

    /// A saturated host: the service's threads waited 20 s for a core, which with its 8 s on a CPU
    /// is about the endpoint's wait for its call (22.8 s). The wait for a core is step 1's; the
    /// endpoint that waits on the dependency keeps it.
    @Test func aBusyHostsWaitForACoreDoesNotTakeAnEndpointFromItsDependency() throws {
        let evidence = B.evidence(dependencies: [DependenciesCheckTests.dependency("recommendations", totals: [0.150, 0.150, 0.152])],
                                  profiler: ProfileCheckTests.profile,
                                  service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 8, runQueueSeconds: 20))
        let input = CheckInput(evidence: evidence, load: Self.load(report: 0.110, fastTenth: 0.038), options: CheckOptions())
        let breakdowns = RequestBreakdown.all(input)
        #expect(try #require(breakdowns.first { $0.endpoint == "recommendations/recommend" }).dependency?.name == "recommendations")
        #expect(DependenciesCheck.run(input).findings.contains { $0.check == .slowDependency })
    }

    /// A saturated host, as in a fresh-clone CI run with both cores busy: the CPU-heavy report took
    /// 293 ms, about a call to the dependency (152 ms) plus the rest, and its fast requests were no
    /// faster than the dependency's. Measured, its requests kept a thread runnable 90% of their time:
    /// they computed (and waited for a core), they did not wait for a call. The endpoint that calls
    /// the dependency, runnable 5% of its time, keeps it.
    @Test func anEndpointRunnableThroughTheCallsTimeIsNotChargedToTheDependency() throws {
        let load = LoadContext(endpoints: [
            .init(scenario: "recommendations", step: "recommend", kind: .http, requests: 150, totalSeconds: 150 * 0.160,
                  fastTenthSeconds: 0.152),
            .init(scenario: "report", step: "report", kind: .http, requests: 75, totalSeconds: 75 * 0.293, fastTenthSeconds: 0.200),
            .init(scenario: "catalogue", step: "product", kind: .http, requests: 600, totalSeconds: 600 * 0.050,
                  fastTenthSeconds: 0.010),
        ])
        let rates = ["recommendations/recommend": 0.05, "report/report": 0.9, "catalogue/product": 0.6]
        let evidence = B.evidence(dependencies: [DependenciesCheckTests.dependency("recommendations", totals: [0.150, 0.150, 0.152])],
                                  profiler: ProfileCheckTests.profile,
                                  service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 3, runQueueSeconds: 1, runnableSeconds: 40,
                                                                  runnablePerRequestInFlight: rates))
        let input = CheckInput(evidence: evidence, load: load, options: CheckOptions())
        let breakdowns = RequestBreakdown.all(input)
        let report = try #require(breakdowns.first { $0.endpoint == "report/report" })
        #expect(report.dependency == nil)
        #expect(report.computing == true)
        #expect(try #require(breakdowns.first { $0.endpoint == "recommendations/recommend" }).dependency?.name == "recommendations")
        // Without the measured rates, size alone charged the report to the dependency.
        var unmeasured = evidence
        unmeasured.service?.runnablePerRequestInFlight = nil
        let bySize = RequestBreakdown.all(CheckInput(evidence: unmeasured, load: load, options: CheckOptions()))
        #expect(bySize.first { $0.endpoint == "report/report" }?.dependency?.name == "recommendations")
    }
}

struct WaitingInsideTheServiceTests {
    typealias B = EvidenceBuilder

    /// 1000 requests of 100 ms over 6 s, nothing explained, the service on the CPU for 2 s of them:
    /// the time is spent waiting inside, and hot frames are not the headline.
    @Test func unexplainedTimeOffTheCPUIsWaitingNotHotCode() throws {
        let evidence = B.evidence(profiler: ProfileCheckTests.profile, service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 2))
        let findings = ProfileCheck.run(CheckInput(evidence: evidence, load: B.load(requests: 1000, seconds: 100),
                                                   options: CheckOptions()), earlier: []).findings
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.check == .waitingInsideService)
        #expect(finding.title == "Requests wait inside the service: 100 s off the CPU")
        #expect(finding.object == "shop/orders in pid 4242")
        #expect(finding.evidence.contains("pid 4242 used 2 s of CPU over the window, its threads waited 0 µs for a core and "
                                          + "were running or runnable for 0 µs (sampled); the endpoints whose time that fits: none"))
        #expect(finding.evidence.contains { $0.hasPrefix("shop/orders: 16.7 requests in flight on average (Little's law") })
        #expect(finding.evidence.contains { $0.hasPrefix("on-CPU frame of the whole process (all endpoints, not only these): 38.8% do_syscall_64") })
        #expect(abs(finding.impact.totalSeconds - 100) < 1e-9)
    }

    /// One endpoint computing, another queueing for the service's own pool: one finding each. The
    /// service's 1 s wait for a core is step 1's: 5 ms out of each request of the endpoint that
    /// waits; the one that computes keeps its own (it waits for a core because it computes).
    @Test func computingAndWaitingEndpointsGetAFindingEach() throws {
        let load = LoadContext(endpoints: [
            .init(scenario: "report", step: "report", kind: .http, requests: 100, totalSeconds: 100 * 0.05),
            .init(scenario: "checkout", step: "pay", kind: .http, requests: 100, totalSeconds: 100 * 0.4),
        ])
        let evidence = B.evidence(profiler: ProfileCheckTests.profile,
                                  service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 3.5, runQueueSeconds: 1))
        let findings = ProfileCheck.run(CheckInput(evidence: evidence, load: load, options: CheckOptions()), earlier: []).findings
        #expect(findings.map(\.check) == [.hotFrames, .waitingInsideService])
        #expect(findings.map(\.object) == ["report/report in pid 4242: do_syscall_64", "checkout/pay in pid 4242"])
        #expect(zip(findings.map(\.impact.totalSeconds), [5, 39.5]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    /// A host that keeps the service from a core: what step 5 makes of each endpoint, with the
    /// figures of real runs (one core hogged, other sessions building: load averages of 10–14).
    struct BusyHost: Sendable, CustomTestStringConvertible {
        var testDescription: String
        /// Name, requests and mean time per request of each endpoint.
        var endpoints: [(name: String, requests: UInt64, mean: Double)]
        var cpu: Double
        var runQueue: Double
        var runnable: Double
        var checks: [CheckID]
        var object: String?
        var impact: Double?
        /// An endpoint and a part of its breakdown's text.
        var breakdown: (endpoint: String, contains: String)?
        /// Threads each endpoint's requests kept runnable while in flight, when measured.
        var rates: [String: Double]? = nil
        var severity: Finding.Severity? = nil
    }

    static let busyHosts: [BusyHost] = [
        // pyshop: its threads ran 0.39 s of the 10.9 s they were ready to. Every endpoint waits for
        // a core (step 1's); only inventory, queueing for its own pool far above that, waits
        // inside, and nothing is hot code. The 10.51 s wait for a core over 686 requests: product's
        // whole 12 ms, then 16.1 ms each.
        BusyHost(testDescription: "pyshop: only the pool wait stands out",
                 endpoints: [("product", 300, 0.012), ("export", 110, 0.030), ("pay", 56, 0.025), ("stock", 220, 0.218)],
                 cpu: 0.39, runQueue: 0.21, runnable: 10.9, checks: [.waitingInsideService], object: "stock/stock in pid 4242",
                 impact: 220 * (0.218 - (10.51 - 300 * 0.012) / 386), breakdown: ("stock/stock", "+ waiting for a core 17.9 ms")),
        // demo-shop: its threads ran 3.08 s of 81 s, so the CPU-heavy report takes 663 ms instead
        // of 40, mostly waiting for a core. It stands out, and its time at that share of a core is
        // most of the service's CPU: hot code.
        BusyHost(testDescription: "demo-shop: the CPU-heavy report is still hot code",
                 endpoints: [("product", 600, 0.0478), ("orders", 150, 0.0973), ("report", 73, 0.663)],
                 cpu: 3.08, runQueue: 0.363, runnable: 81.1, checks: [.hotFrames], object: "report/report in pid 4242: do_syscall_64"),
        // The healthy demo-shop: its threads ran 0.36 s of 14.8 s. Checkout, whose statements are
        // not charged to it, stands out; at that share of a core its 52 ms could be CPU, but only a
        // quarter of the service's: it waits for a core like every request.
        BusyHost(testDescription: "healthy demo-shop: nothing reaches step 5",
                 endpoints: [("product", 600, 0.012), ("pay", 76, 0.052)], cpu: 0.36, runQueue: 0.069, runnable: 14.8, checks: []),
        // pyshop's receipts in incident mode: their 40 ms (a small-write stall the access log cannot
        // show) at the 17% share of a core the service got would be 0.37 s, most of its 0.53 s of
        // CPU — but its other 1,046 requests took at least 0.48 ms each: waiting, not hot code.
        BusyHost(testDescription: "pyshop incident: a stall is not CPU because its size fits",
                 endpoints: [("product", 700, 0.012), ("stock", 346, 0.020), ("receipts", 54, 0.040)],
                 cpu: 0.53, runQueue: 0.068, runnable: 3.1, checks: [.waitingInsideService], object: "receipts/receipts in pid 4242"),
        // The same in a fresh-clone CI run: the service ran 0.67 s of the 5.67 s it was ready to
        // (12%); the access log's fastest endpoint takes 2.7 ms, all of it within the alike wait for
        // a core, so no floor is left to read. At that share receipts' 23.8 ms would need 31% of
        // the CPU: not where the CPU went, and what the wait for a core leaves of it is below the bar.
        BusyHost(testDescription: "pyshop incident in CI: a stall is not where the CPU went",
                 endpoints: [("product", 600, 0.0027), ("export", 300, 0.0027), ("stock", 203, 0.108), ("receipts", 73, 0.0238)],
                 cpu: 0.67, runQueue: 0.0697, runnable: 5.67, checks: [.waitingInsideService],
                 object: "stock/stock in pid 4242"),
        // demo-shop in the third CI run (one core hogged): its threads ran 3.21 s of the 7.05 s
        // they were ready to (46%); the report (76 × 69.7 ms) would need 2.41 s of that CPU at that
        // share, and product's 4.24 ms is 3.49 ms of wait for a core and 0.75 ms else.
        BusyHost(testDescription: "demo-shop in CI: the report is hot code at a 46% share",
                 endpoints: [("product", 600, 0.00424), ("orders", 300, 0.00510), ("search", 150, 0.0045), ("report", 76, 0.0697)],
                 cpu: 3.21, runQueue: 0.0103, runnable: 7.05, checks: [.hotFrames], object: "report/report in pid 4242: do_syscall_64"),
        // A service whose own hot endpoint saturates the host: it is hot code, its wait for a core
        // its code's cost (all its 120 ms count), and the fast endpoint's wait is the host's.
        BusyHost(testDescription: "a service saturating the host itself",
                 endpoints: [("product", 1000, 0.015), ("report", 100, 0.120)], cpu: 12, runQueue: 4, runnable: 25,
                 checks: [.hotFrames], object: "report/report in pid 4242: do_syscall_64", impact: 100 * 0.120),
        // demo-shop with another session's benchmark beside the hog: its threads ran 2.84 s of the
        // 5.65 s they were ready to (50%), and every endpoint took several times its usual time (the
        // search, whose time is its statement's, left out).
        // Inferred from the total CPU, the checkout (21.3 ms, all unexplained) fitted and the report
        // (58.5 ms) did not; measured, the report's requests kept a thread runnable most of their
        // time and the checkout's hardly: the report is the hot code.
        BusyHost(testDescription: "demo-shop at a 50% share: measured rates name the report",
                 endpoints: [("product", 600, 0.00437), ("orders", 225, 0.00711), ("pay", 75, 0.0213), ("report", 75, 0.0585)],
                 cpu: 2.84, runQueue: 0.0578, runnable: 5.65, checks: [.hotFrames], object: "report/report in pid 4242: do_syscall_64",
                 rates: ["product/product": 0.6, "orders/orders": 0.6, "pay/pay": 0.05, "report/report": 0.7]),
        // The healthy pyshop in a fresh-clone CI run: its threads ran 0.9 s of the 4.01 s they were
        // ready to (22%). The checkout's 32 ms stands out, off the CPU, but nothing piles up (0.13
        // requests in flight in the run; 0.33 over this table's 6 s window): on a host this busy
        // that may be the host's, so it is information.
        BusyHost(testDescription: "healthy pyshop in CI: a wait that does not queue on a saturated host is information",
                 endpoints: [("product", 301, 0.0085), ("stock", 359, 0.0046), ("receipt", 136, 0.0057), ("pay", 61, 0.0321)],
                 cpu: 0.9, runQueue: 0.0596, runnable: 4.01, checks: [.waitingInsideService], object: "pay/pay in pid 4242",
                 rates: ["pay/pay": 0.1], severity: .info),
        // The pool-hold fault on a host as busy: 220 requests of 218 ms pile up (8 in flight over
        // this table's 6 s window; 2.4 in the run's 20 s): a warning.
        BusyHost(testDescription: "pyshop: a pool that queues is a warning on a saturated host",
                 endpoints: [("product", 300, 0.012), ("export", 110, 0.030), ("pay", 56, 0.025), ("stock", 220, 0.218)],
                 cpu: 0.39, runQueue: 0.21, runnable: 10.9, checks: [.waitingInsideService], object: "stock/stock in pid 4242",
                 severity: .warning),
    ]

    @Test(arguments: busyHosts)
    func onABusyHost(_ host: BusyHost) throws {
        let load = LoadContext(endpoints: host.endpoints.map { endpoint in
            .init(scenario: endpoint.name, step: endpoint.name, kind: .http, requests: endpoint.requests,
                  totalSeconds: Double(endpoint.requests) * endpoint.mean)
        })
        let evidence = B.evidence(profiler: ProfileCheckTests.profile,
                                  service: ServiceProcessEvidence(pid: 4242, cpuSeconds: host.cpu, runQueueSeconds: host.runQueue,
                                                                  runnableSeconds: host.runnable, runnablePerRequestInFlight: host.rates))
        let input = CheckInput(evidence: evidence, load: load, options: CheckOptions())
        let findings = ProfileCheck.run(input, earlier: []).findings
        #expect(findings.map(\.check) == host.checks)
        if let object = host.object { #expect(findings.first?.object == object) }
        if let impact = host.impact { #expect(abs((findings.first?.impact.totalSeconds ?? 0) - impact) < 1e-6) }
        if let severity = host.severity { #expect(findings.first?.severity == severity) }
        if let breakdown = host.breakdown {
            let text = try #require(RequestBreakdown.all(input).first { $0.endpoint == breakdown.endpoint }).description
            #expect(text.contains(breakdown.contains), "\(text)")
        }
    }

    @Test func unexplainedTimeOnTheCPUIsHotCode() throws {
        let evidence = B.evidence(profiler: ProfileCheckTests.profile, service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 90))
        let finding = try #require(ProfileCheck.run(CheckInput(evidence: evidence, load: B.load(requests: 1000, seconds: 100),
                                                               options: CheckOptions()), earlier: []).findings.first)
        #expect(finding.check == .hotFrames)
        #expect(finding.severity == .warning)
    }

    /// A few milliseconds of computing per request is reported, as information, on any machine.
    @Test func aFewMillisecondsUnexplainedIsInformation() throws {
        let evidence = B.evidence(profiler: ProfileCheckTests.profile, service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 7))
        let finding = try #require(ProfileCheck.run(CheckInput(evidence: evidence, load: B.load(requests: 1000, seconds: 8),
                                                               options: CheckOptions()), earlier: []).findings.first)
        #expect(finding.check == .hotFrames)
        #expect(finding.severity == .info)
    }
}

struct ProcessCPUClockTests {
    @Test func readsUserAndSystemTimeAfterTheCommandName() {
        let stat = "4242 (demo (shop) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
        #expect(ProcessCPUClock.cpuSeconds(stat: stat, ticksPerSecond: 100) == 3)
        #expect(ProcessCPUClock.cpuSeconds(stat: "garbage", ticksPerSecond: 100) == nil)
    }

    @Test func readsTheStateLetter() {
        #expect(ProcessCPUClock.state(stat: "4242 (a (b) c) R 1 4242") == "R")
        #expect(ProcessCPUClock.runnableThreads(pid: getpid()) ?? 0 >= 1)
    }

    @Test func readsTheRunQueueWaitOfASchedstatLine() {
        #expect(ProcessCPUClock.runQueueSeconds(schedstat: "1500000000 250000000 42\n") == 0.25)
    }

    /// This test process: its threads are listed, and the CPU it burns between two readings shows.
    @Test func measuresALiveProcess() throws {
        let start = try #require(ProcessCPUClock.read(pid: getpid()))
        #expect(!start.runQueueSecondsByThread.isEmpty)
        // Spin until the clock ticks (bounded, however busy the machine is).
        var used = ServiceProcessEvidence(pid: getpid(), cpuSeconds: 0)
        let deadline = ContinuousClock.now + .seconds(30)
        while used.cpuSeconds == 0 && ContinuousClock.now < deadline {
            used = try #require(ProcessCPUClock.read(pid: getpid())).since(start, pid: getpid(), runnableSeconds: 0)
        }
        #expect(used.cpuSeconds > 0)
    }
}

/// One slow request among many fast ones is worth knowing, not a warning.
struct ProfileSeverityTests {
    @Test func aSlowEndpointThatWeighsLittleIsInformation() throws {
        let load = LoadContext(endpoints: [
            .init(scenario: "export", step: "export", kind: .http, requests: 1, totalSeconds: 0.046),
            .init(scenario: "catalogue", step: "product", kind: .http, requests: 10_000, totalSeconds: 10_000 * 0.0008),
        ])
        let evidence = EvidenceBuilder.evidence(profiler: ProfileCheckTests.profile,
                                                service: ServiceProcessEvidence(pid: 4242, cpuSeconds: 0.37))
        let finding = try #require(ProfileCheck.run(CheckInput(evidence: evidence, load: load, options: CheckOptions()),
                                                    earlier: []).findings.first)
        #expect(finding.object.hasPrefix("export/export"))
        #expect(finding.severity == .info)
    }
}
