import Foundation
import StrainDiagnose
import StrainContract
import StrainPQ
import StrainTestSupport
import Testing

/// The demo end to end: demo-shop with its faults switched on or off, loaded by `strain run
/// profiles/demo.json5` (shortened), and the diagnosis it writes. Each test has its own database
/// and its own shop, so nothing one test does (an index it creates) reaches another.
@Suite(.serialized, .oneLoadAtATime)
struct DemoAcceptanceTests {
    static let duration = "15s"

    @Test func everyFaultIsFoundInItsStepAndRankedByWhatItCostsThenTheIndexFixRemovesItsFinding() throws {
        let demo = try DemoEnvironment(faults: "all")
        let before = try demo.run()
        let findings = before.diagnosis.findings
        for (rank, finding) in findings.enumerated() {
            print("demo acceptance — #\(rank + 1) \(finding.severity) \(finding.check): \(finding.title) — \(finding.object) — "
                  + String(format: "%.2f s", finding.impact.totalSeconds))
        }

        let index = try #require(findings.first { $0.check == .missingIndex })
        #expect(index.step == .slowQueries)
        #expect(index.object == "public.orders(customer_email)")
        #expect(index.fix.hasPrefix("CREATE INDEX CONCURRENTLY") && index.fix.hasSuffix("ON public.orders (customer_email);"))

        let nPlusOne = try #require(findings.first { $0.check == .nPlusOne })
        #expect(nPlusOne.step == .slowQueries)
        #expect(nPlusOne.object == "SELECT product_id, quantity FROM order_items WHERE order_id = $1")
        #expect(nPlusOne.title.hasSuffix("per request of order-history/orders"))
        #expect(nPlusOne.evidence.contains { $0.hasPrefix("list statement: SELECT id, status, total_cents FROM orders WHERE customer_id = $1") })

        let leak = try #require(findings.first { $0.check == .idleInTransaction })
        #expect(leak.step == .connectionPools)
        #expect(leak.object.hasPrefix("app \"demo-shop\""))
        #expect(findings.filter { $0.check == .idleInTransaction }.count == 1)
        print("demo acceptance — leak: " + leak.evidence.filter { $0.contains("in total") || $0.hasPrefix("request time") }
            .joined(separator: "; "))

        let dependency = try #require(findings.first { $0.check == .slowDependency })
        #expect(dependency.step == .dependencies)
        #expect(dependency.object == "recommendations")

        for note in before.diagnosis.notes where note.step >= .dependencies {
            print("demo acceptance — step \(note.step.rawValue) note: \(note.summary)")
        }
        // Step 5 has a finding per cause: the CPU-heavy report's is the one naming its endpoint.
        for finding in findings where finding.step == .profile {
            print("demo acceptance — step 5: \(finding.check): \(finding.title) — \(finding.object)\n    "
                  + finding.evidence.joined(separator: "\n    "))
        }
        let profile = try #require(findings.first { $0.step == .profile && $0.object.contains("report/report") })
        if before.profiled {
            #expect(profile.check == .hotFrames)
            #expect(profile.evidence.contains { $0.contains("computeReport") })
        } else {
            #expect(profile.check == .profileTheCode)
        }

        // What each fault costs users: its endpoint's service time over the run. The leak's is the
        // time requests waited for the pool it starves, as the shop counted it: the checkout
        // endpoint's service time is mostly its own transaction's work (the connection time held —
        // declined checkouts × the leak hold — is evidence, not a cost).
        let costs = before.faultCosts()
        let ranked: [(name: String, cost: Double, rank: Int)] = [
            ("unindexed-search", costs.search, findings.firstIndex(of: index)!),
            ("n-plus-one", costs.orderHistory, findings.firstIndex(of: nPlusOne)!),
            ("pool-leak", costs.leak, findings.firstIndex(of: leak)!),
            ("slow-downstream", costs.recommendations, findings.firstIndex(of: dependency)!),
            ("cpu-heavy", costs.report, findings.firstIndex(of: profile)!),
        ]
        print("demo acceptance — fault, cost from the run, rank (impact): " + ranked.map { fault in
            "\(fault.name) \(String(format: "%.1f", fault.cost)) s #\(fault.rank + 1) "
                + "(\(String(format: "%.1f", findings[fault.rank].impact.totalSeconds)) s)"
        }.joined(separator: ", "))
        // The costs are measured at the endpoints, the impacts from the diagnoser's evidence: they
        // agree in size, not to the digit. A fault costing twice another must rank above it;
        // closer ones may come in either order.
        for first in ranked {
            for second in ranked where second.name != first.name && first.cost >= 2 * second.cost {
                #expect(first.rank < second.rank, "\(first.name) costs \(first.cost) s, \(second.name) \(second.cost) s")
            }
        }

        // The fix, verified: `strain verify` builds the index, reruns the profile, compares the runs
        // step by step and drops the index again.
        let indexesBefore = try demo.indexes(on: "orders")
        let verify = try StrainProcess.run(["verify", before.folder.path, "--finding", String(ranked[0].rank + 1), "--yes"],
                                           environment: ["DEMO_PG": demo.conninfo])
        let verifyFolder = URL(fileURLWithPath: before.folder.path + "-verify-\(ranked[0].rank + 1)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: verifyFolder
            .appendingPathComponent("verify.json"))) as? [String: Any], "strain verify exited \(verify.status): \(verify.stderr)")
        // On the shared 2-core test machine either run may have started iterations late (exit 4, said
        // in verify.json): the comparison, which is what is tested, still stands.
        let invalidity = result["invalidity"] as? [String] ?? []
        #expect(LateStarts.isCleanExit(verify.status, invalidity: invalidity), "strain verify exited \(verify.status): \(verify.stderr)")
        #expect(try demo.indexes(on: "orders") == indexesBefore, "verify left an index behind")
        let after = try DiagnosisJSON.read(Diagnosis.self, from: verifyFolder.appendingPathComponent("after/diagnosis.json"))
        #expect(!after.findings.contains { $0.check == .missingIndex })
        // The search's median from the intended send time, interval by interval: the index takes it
        // from a scan of 300k orders to a lookup.
        let search = try #require((result["comparison"] as? [[String: Any]])?
            .first { $0["step"] as? String == "search.by-email" && $0["metric"] as? String == "p50" })
        let (searchBefore, searchAfter) = (search["base"] as? Double ?? 0, search["new"] as? Double ?? .infinity)
        print("demo acceptance — verify: search/by-email p50 \(String(format: "%.2f", searchBefore * 1000)) ms before the index, "
              + "\(String(format: "%.2f", searchAfter * 1000)) ms after (\(search["outcome"] ?? "?"))")
        #expect(searchBefore > 3 * searchAfter)
        #expect(search["outcome"] as? String == "improvement")
    }

    @Test func aHealthyShopHasNoFindingAboveInfo() throws {
        let demo = try DemoEnvironment(faults: "none")
        let stackBefore = try demo.stackCPUSeconds()
        let result = try demo.run()
        let window = result.artifact.endedAt.timeIntervalSince(result.artifact.startedAt)
        let stackShare = ServiceStack.share(ofCPUSeconds: try demo.stackCPUSeconds() - stackBefore, window: window)
        print("demo acceptance — healthy shop and its backends used \(String(format: "%.1f", stackShare * 100))% of the host's CPU")
        let problems = ServiceStack.problems(result.diagnosis.findings, stackShare: stackShare)
        #expect(problems.isEmpty, "\(problems.map { "\($0.check): \($0.title) — \($0.evidence)" })")
    }
}

/// A database of its own, seeded, with the downstream and the shop running against it.
private final class DemoEnvironment {
    private let fixture: FixtureDatabase
    var database: String { fixture.name }
    var conninfo: String { fixture.conninfo }
    private let downstream: DemoShopProcess
    private let shop: DemoShopProcess
    private let directory: URL

    init(faults: String) throws {
        fixture = try FixtureDatabase(prefix: "demo")
        let (database, conninfo) = (fixture.name, fixture.conninfo)
        try DemoShopProcess.seed(postgres: conninfo)
        downstream = try DemoShopProcess(["downstream"])
        shop = try DemoShopProcess(["serve", "--postgres", conninfo, "--downstream", "\(downstream.url)/recommendations",
                                    "--faults", faults])
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-\(database)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// CPU time used so far by the shop and by the database backends serving this test's database.
    func stackCPUSeconds() throws -> Double {
        try ServiceStack.cpuSeconds(service: shop.pid, database: database)
    }

    /// A table's indexes, by name.
    func indexes(on table: String) throws -> [String] {
        let rows = try PGConnection(conninfo: conninfo)
            .execute("SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", parameters: [table])
        return (0..<rows.rowCount).compactMap { rows.value(row: $0, column: "indexname") }
    }

    struct Run {
        let folder: URL
        let diagnosis: Diagnosis
        let artifact: RunArtifact
        /// perf sampled the shop (it is installed and may trace other processes).
        let profiled: Bool
        /// Seconds the shop's requests waited for its connection pool during the run, as the shop counted them.
        let poolWaitSeconds: Double

        func step(_ scenario: String) -> StepResult? { artifact.scenarios.first { $0.name == scenario }?.steps.first }

        /// Mean service time of a scenario's (only) step, in seconds.
        func meanServiceSeconds(_ scenario: String) -> Double { (step(scenario)?.service.mean ?? 0) / 1_000_000 }

        func serviceSeconds(_ scenario: String) -> Double {
            meanServiceSeconds(scenario) * Double(step(scenario)?.requests ?? 0)
        }

        /// Each fault's cost in the run, in seconds.
        func faultCosts() -> (search: Double, orderHistory: Double, leak: Double, recommendations: Double, report: Double) {
            (serviceSeconds("search"), serviceSeconds("order-history"), poolWaitSeconds,
             serviceSeconds("recommendations"), serviceSeconds("report"))
        }
    }

    /// `strain run` on profiles/demo.json5 pointed at this shop, for a shorter time.
    func run() throws -> Run {
        let profile = try String(contentsOf: StrainProcess.packageRoot.appendingPathComponent("profiles/demo.json5"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:18091", with: downstream.url)
            .replacingOccurrences(of: "http://127.0.0.1:18090", with: shop.url)
            .replacingOccurrences(of: "duration: \"40s\"", with: "duration: \"\(DemoAcceptanceTests.duration)\"")
            .replacingOccurrences(of: "\"./strain.schema.json\"",
                                  with: "\"\(StrainProcess.packageRoot.appendingPathComponent("profiles/strain.schema.json").path)\"")
        let profileURL = directory.appendingPathComponent("demo.json5")
        try profile.write(to: profileURL, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("out-\(UInt32.random(in: 0...UInt32.max))")
        let poolWaitBefore = try shop.poolWaitSeconds()
        let outcome = try StrainProcess.run(["run", profileURL.path, "--out", out.path, "--diagnose-pid", String(shop.pid), "--quiet"],
                                            environment: ["DEMO_PG": conninfo])
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        // On the shared 2-core test machine the driver may start iterations late, which makes the
        // run invalid as a measurement (exit 4); the diagnosis, which is what is tested, still stands.
        #expect(LateStarts.isCleanExit(outcome.status, invalidity: artifact.validity.reasons),
                "strain run exited \(outcome.status): \(outcome.stderr)")
        let evidence = try DiagnosisJSON.read(Evidence.self, from: out.appendingPathComponent("evidence.json"))
        return Run(folder: out, diagnosis: try DiagnosisJSON.read(Diagnosis.self, from: out.appendingPathComponent("diagnosis.json")),
                   artifact: artifact, profiled: !(evidence.profiler?.frames.isEmpty ?? true),
                   poolWaitSeconds: try shop.poolWaitSeconds() - poolWaitBefore)
    }
}
