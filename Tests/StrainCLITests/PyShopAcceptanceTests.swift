import Foundation
import StrainDiagnose
import StrainContract
import StrainPQ
import StrainTestSupport
import Testing

/// The diagnosis on a service it was not built beside: pyshop (scripts/fixtures/pyshop.py), in
/// Python with psycopg2 (literal SQL, implicit transactions), small blocking pools of its own and
/// a thread per connection. Each fault sits on its own endpoint and the service counts the time
/// it spends in each (GET /stats), so every impact is checked against what the service measured,
/// not against what the diagnoser's own evidence says. Each test has its own database and shop.
@Suite(.serialized, .oneLoadAtATime)
struct PyShopAcceptanceTests {
    static let leakHold = 3.0

    @Test func everyFaultIsFoundOnceInItsStepWithTheCostTheServiceMeasured() throws {
        let shop = try PyShopEnvironment(faults: "all")
        let run = try shop.run()
        let findings = run.diagnosis.findings
        let costs = run.counters
        for finding in findings {
            print("pyshop acceptance — #\(findings.firstIndex(of: finding)! + 1) \(finding.severity) \(finding.check): "
                  + "\(finding.title) — \(finding.object) — \(String(format: "%.2f", finding.impact.totalSeconds)) s")
        }
        // How steps 4 and 5 broke each endpoint's time down: what a failure below needs to be read.
        for note in run.diagnosis.notes where note.step >= .dependencies {
            print("pyshop acceptance — step \(note.step.rawValue) note: \(note.summary)")
        }

        // (1) The leak: psycopg2 puts literals in pg_stat_activity, so every leaked session shows a
        // different INSERT; it is one code path and one finding. Its cost is connection time held
        // idle in the transaction, which the service counts from the leak to the reaper's ROLLBACK.
        let leaks = findings.filter { $0.check == .idleInTransaction }
        #expect(leaks.count == 1, "\(leaks.map(\.title))")
        let leak = try #require(leaks.first)
        #expect(leak.step == .connectionPools)
        #expect(leak.object.hasPrefix("app \"pyshop\""))
        #expect(leak.evidence.contains { $0.hasPrefix("last statement: INSERT INTO payments") })

        // (4) Requests queueing for a 2-connection pool held during a sleep: off the CPU, so waiting
        // inside the service, never hot code; one step-5 finding, on the endpoint that waits.
        let profile = findings.filter { $0.step == .profile }
        #expect(profile.count == 1, "\(profile.map { "\($0.check): \($0.object): \($0.evidence)" })")
        let waiting = try #require(profile.first)
        #expect(waiting.check == .waitingInsideService)
        #expect(waiting.object == "inventory/stock in pid \(shop.pid)", "\(waiting.evidence)")

        // (7) A statement slow per call at a small share of the database's time.
        let slowText = "SELECT pg_sleep($1), count(*), sum(total_cents) FROM orders WHERE customer_id = $2"
        let slow = findings.filter { $0.object == slowText }
        #expect(slow.count == 1, "\(slow.map(\.check))")
        let slowStatement = try #require(slow.first)
        #expect(slowStatement.step == .slowQueries)
        #expect(slowStatement.check == .topStatement)
        #expect(slowStatement.title.hasPrefix("Slow statement"))
        if let share = run.databaseShare(of: slowStatement) {
            print("pyshop acceptance — the slow statement took \(share) of database time")
        }

        // (8) `interval '30 days'` normalised to `interval $1` cannot be planned: the finding says
        // so, never that its plan was healthy, and shows the plan of a sample of it captured from
        // pg_stat_activity with its literals.
        let dashboardText = "SELECT status, count(*), sum(total_cents) FROM orders WHERE created_at > now() - interval $1 GROUP BY status"
        let dashboard = findings.filter { $0.object == dashboardText }
        #expect(dashboard.count == 1, "\(dashboard.map(\.check))")
        let unplannable = try #require(dashboard.first)
        #expect(unplannable.step == .slowQueries)
        #expect(unplannable.check == .topStatement)
        #expect(unplannable.evidence.contains { $0.hasPrefix("could not be explained") })
        #expect(unplannable.evidence.contains { $0.contains("the plan is that of a sample captured from pg_stat_activity") },
                "\(unplannable.evidence)")
        #expect(!unplannable.fix.contains("Nothing wrong"))

        // The common ones: the unindexed lookup and the slow downstream.
        let searchText = "SELECT id, status, total_cents FROM orders WHERE customer_email = $1"
        let search = findings.filter { $0.object == "public.orders(customer_email)" || $0.object == searchText }
        #expect(search.count == 1, "\(search.map(\.check))")
        let index = try #require(search.first)
        #expect(index.check == .missingIndex)
        #expect(index.step == .slowQueries)
        #expect(index.fix == "CREATE INDEX CONCURRENTLY orders_customer_email_idx ON public.orders (customer_email);")
        // Step 4 has two faults: the slow downstream and (10) receipts written as a head and a body
        // in two small writes, whose bodies wait for a delayed ACK — one finding each.
        let dependencies = findings.filter { $0.step == .dependencies }
        #expect(dependencies.count == 2, "\(dependencies.map(\.check))")
        let dependency = try #require(dependencies.first { $0.check == .slowDependency })
        #expect(dependency.object == "recommendations")
        let stall = try #require(dependencies.first { $0.check == .smallWriteStall })
        #expect(stall.object == "receipts/receipt")
        #expect(stall.title.hasPrefix("Small-write stalls: responses wait ~4"), "\(stall.title)")
        #expect(stall.evidence.contains { $0.contains("from their first byte to their last") })

        // (6) A page of 50 products fetched one query per row: one N+1 finding on the endpoint that
        // issues it, costed at the repeated statements' own time, round trips and the client's time between
        // them (psycopg2 keeps a transaction open, so the sessions are seen on it between calls).
        let nPlusOnes = findings.filter { $0.check == .nPlusOne }
        #expect(nPlusOnes.count == 1, "\(nPlusOnes.map(\.object))")
        let nPlusOne = try #require(nPlusOnes.first)
        print("pyshop acceptance — n-plus-one evidence: \(nPlusOne.evidence)")
        #expect(nPlusOne.step == .slowQueries)
        #expect(nPlusOne.object == "SELECT name, price_cents FROM products WHERE id = $1")
        #expect(nPlusOne.title == "N+1 queries: one statement runs 50 times per request of pages/page", "\(nPlusOne.title)")
        #expect(nPlusOne.evidence.contains { $0.hasPrefix("list statement: SELECT id FROM products WHERE id > $1 ORDER BY id LIMIT $2") })

        // (5) Each cart line looks up the same setting with the same literal: a repeated lookup to
        // cache, charged to the endpoint that issues it. The bestsellers list returns 20 rows per call
        // at the same rate, so by totals alone the lookup's 20 calls per request look like one query
        // per row of it: it is neither paired with the lookup nor reported at all.
        let lookupText = "SELECT value FROM settings WHERE name = $1"
        let lookups = findings.filter { $0.object == lookupText }
        #expect(lookups.count == 1, "\(lookups.map { "\($0.check): \($0.title) — \($0.evidence)" })")
        let lookup = try #require(lookups.first)
        print("pyshop acceptance — repeated-lookup evidence: \(lookup.evidence)")
        #expect(lookup.check == .repeatedLookup)
        #expect(lookup.step == .slowQueries)
        #expect(lookup.title == "Repeated lookup: the same statement and parameters 20 times per request of cart/view",
                "\(lookup.title)")
        #expect(!lookup.evidence.contains { $0.hasPrefix("list statement:") }, "\(lookup.evidence)")
        let bestsellersText = "SELECT p.id, p.name, p.price_cents FROM products p JOIN stock s"
        let aboutBestsellers = findings.filter { finding in
            finding.severity > .info && (finding.title.contains("bestsellers") || finding.object.hasPrefix(bestsellersText)
                || finding.evidence.contains { $0.hasPrefix("list statement: \(bestsellersText)") })
        }
        #expect(aboutBestsellers.isEmpty, "\(aboutBestsellers.map { "\($0.check): \($0.title) — \($0.object)" })")

        // (3) Visits queue for one counter row held through a 250 ms statement: one lock-contention
        // finding for the table, with the row, the waiting UPDATE and the blocking holder by
        // fingerprint; its wait against the UPDATE's time as the service measured it.
        let locks = findings.filter { $0.check == .lockContention }
        #expect(locks.count == 1, "\(locks.map(\.object))")
        let lock = try #require(locks.first)
        #expect(lock.step == .connectionPools)
        #expect(lock.object == "public.counters")
        #expect(lock.evidence.contains { $0.hasPrefix("waiting (") && $0.contains("UPDATE counters SET visits = visits + 1 WHERE name = 'home'") },
                "\(lock.evidence)")
        #expect(lock.evidence.contains { $0.hasPrefix("blocking (") && $0.contains("pg_sleep") }, "\(lock.evidence)")
        #expect(lock.evidence.contains { $0.hasPrefix("rows waited for (ctid") })
        // The work done while holding the row (250 ms per call) may be named as a slow statement,
        // a fact of its own; the contention is never reported twice.
        #expect(!findings.contains { $0.object == "SELECT pg_sleep($1)" && $0.check != .topStatement })

        // Each impact against the service's own account of the fault.
        let measured: [(name: String, finding: Finding, cost: Double)] = [
            ("pool-hold", waiting, costs.seconds("inventory_pool_wait") + costs.seconds("inventory_hold")),
            ("slow-statement", slowStatement, costs.seconds("slow_export_query")),
            ("interval-literal", unplannable, costs.seconds("dashboard_query")),
            ("unindexed-search", index, costs.seconds("search_query")),
            ("slow-downstream", dependency, costs.seconds("downstream_call")),
            ("n-plus-one", nPlusOne, costs.seconds("page_item_queries")),
            ("hot-row", lock, costs.seconds("visit_update")),
            ("small-writes", stall, costs.seconds("small_write_stall")),
            ("repeated-lookup", lookup, costs.seconds("cart_repeated_lookups")),
        ]
        Self.expectImpactsFollowCosts(measured, in: findings, label: "pyshop acceptance")

        // The leak is ranked by what users waited for it: the payments pool never ran dry, so next
        // to nothing; the connection time it held (the service's count) is evidence, not the rank.
        let poolWait = costs.seconds("payments_pool_wait")
        print("pyshop acceptance — leak: held \(String(format: "%.2f", costs.seconds("leak_held"))) s (service), users waited "
              + "\(String(format: "%.2f", poolWait)) s for its pool; impact \(leak.impact.totalSeconds) s")
        #expect(leak.impact.totalSeconds <= 2 * poolWait + 0.5)
        #expect(leak.evidence.contains { $0.contains("idle in transaction in total") })
    }

    /// Each impact within 2× of what the service measured for its fault, and a fault costing twice
    /// another ranked above it.
    static func expectImpactsFollowCosts(_ measured: [(name: String, finding: Finding, cost: Double)], in findings: [Finding],
                                         label: String) {
        print("\(label) — fault: service's cost vs diagnosed impact (rank): " + measured.map { fault in
            "\(fault.name) \(String(format: "%.2f", fault.cost)) s vs \(String(format: "%.2f", fault.finding.impact.totalSeconds)) s "
                + "(#\(findings.firstIndex(of: fault.finding)! + 1))"
        }.joined(separator: ", "))
        for fault in measured {
            let ratio = fault.finding.impact.totalSeconds / fault.cost
            #expect(fault.cost > 0 && (0.5...2).contains(ratio),
                    "\(fault.name): impact \(fault.finding.impact.totalSeconds) s, the service measured \(fault.cost) s")
        }
        for first in measured {
            for second in measured where first.cost >= 2 * second.cost {
                #expect(findings.firstIndex(of: first.finding)! < findings.firstIndex(of: second.finding)!,
                        "\(first.name) cost \(first.cost) s, \(second.name) \(second.cost) s")
            }
        }
    }

    @Test func aHealthyPyShopHasNoFindingAboveInfo() throws {
        let shop = try PyShopEnvironment(faults: "none")
        let stackBefore = try shop.stackCPUSeconds()
        let run = try shop.run()
        let window = run.artifact.endedAt.timeIntervalSince(run.artifact.startedAt)
        let stackShare = ServiceStack.share(ofCPUSeconds: try shop.stackCPUSeconds() - stackBefore, window: window)
        print("pyshop acceptance — healthy shop and its backends used \(String(format: "%.1f", stackShare * 100))% of the host's CPU")
        print("pyshop acceptance — healthy: time inside the service per endpoint: \(run.counters.endpointSummary)")
        for step in run.artifact.scenarios.flatMap(\.steps) {
            print("pyshop acceptance — healthy: \(step.name) \(step.requests) requests, mean service time "
                  + String(format: "%.1f ms", step.service.mean / 1000))
        }
        for finding in run.diagnosis.findings {
            print("pyshop acceptance — healthy: \(finding.severity) \(finding.check): \(finding.title) — \(finding.object)")
        }
        let problems = ServiceStack.problems(run.diagnosis.findings, stackShare: stackShare)
        #expect(problems.isEmpty, "\(problems.map { "\($0.check): \($0.title) — \($0.evidence)" })")
    }

    /// A leak that empties a pool of its own: with --leak-hold 12 s and a checkout every 125 ms (a
    /// quarter declined, each leaving its connection idle in a transaction), the 8-connection payments
    /// pool runs dry within seconds and checkouts queue for it, while the shop's other pools keep idle
    /// connections. The leak must rank first, costing about what the checkouts waited for the pool
    /// (the service counts it), and step 5 must not send anyone to profile the checkout's code.
    @Test func aLeakThatEmptiesItsPoolCostsTheWaitsForItNotCodeToProfile() throws {
        let shop = try PyShopEnvironment(faults: "leak", leakHold: 12)
        let run = try shop.run(profile: """
            {
              name: "pyshop-leak",
              target: { baseURL: "http://127.0.0.1:18092" },
              // Longer than the run and its drain, so that no checkout times out: the service counts the waits of
              // requests that got a connection, and a timed-out one's (which users waited too) it never finishes.
              defaults: { timeout: "30s" },
              scenarios: [
                { name: "catalogue", load: { rate: "20/s", duration: "12s", maxConnections: 32 },
                  steps: [{ name: "product", path: "/products/${random(1, 1000)}", check: { status: [200] } }] },
                { name: "checkout", load: { rate: "8/s", duration: "12s", maxConnections: 64 },
                  steps: [{ name: "pay", method: "POST", path: "/checkout?customer=${random(1, 20000)}", check: { status: [201, 402] } }] },
              ],
              diagnose: { postgres: "${env.PYSHOP_PG}", idleInTransactionAfter: "1s" },
            }
            """)
        let findings = run.diagnosis.findings
        for finding in findings {
            print("pyshop leak — #\(findings.firstIndex(of: finding)! + 1) \(finding.severity) \(finding.check): \(finding.title) — "
                  + "\(finding.object) — \(String(format: "%.2f", finding.impact.totalSeconds)) s")
        }
        let poolWait = run.counters.seconds("payments_pool_wait")
        let leak = try #require(findings.first { $0.check == .idleInTransaction })
        print("pyshop leak — checkouts waited \(String(format: "%.2f", poolWait)) s for the payments pool (service); "
              + "impact \(leak.impact.totalSeconds) s; \(leak.evidence)")
        #expect(poolWait > 5, "the pool never ran dry: the test no longer makes the case")
        #expect(findings.first == leak)
        #expect(leak.severity == .critical)
        #expect(leak.impact.totalSeconds >= 0.5 * poolWait && leak.impact.totalSeconds <= 2 * poolWait + 0.5)
        let profiled = findings.filter { $0.step == .profile && $0.object.contains("checkout") }
        #expect(profiled.isEmpty, "\(profiled.map { "\($0.title): \($0.evidence)" })")
    }

    /// Incident mode: `strain diagnose` watches the shop while another process loads it, knowing
    /// no request counts. The leak and the slow statement are database facts: both must be found.
    @Test func incidentModeFindsTheLeakAndTheSlowStatement() throws {
        let shop = try PyShopEnvironment(faults: "all")
        let (out, costs) = try shop.incident("incident", window: "12s")
        let findings = try DiagnosisJSON.read(Diagnosis.self, from: out.appendingPathComponent("diagnosis.json")).findings
        for finding in findings {
            print("pyshop incident — \(finding.severity) \(finding.check): \(finding.title) — \(finding.object) — "
                  + "\(String(format: "%.2f", finding.impact.totalSeconds)) s")
        }

        // Without request counts the diagnosis says what it ranked on.
        let diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: out.appendingPathComponent("diagnosis.json"))
        #expect(diagnosis.rankingBasis == Diagnoser.withoutRequestCounts)

        let leaks = findings.filter { $0.check == .idleInTransaction }
        #expect(leaks.count == 1, "\(leaks.map(\.title))")
        let leak = try #require(leaks.first)
        #expect(leak.step == .connectionPools)
        #expect(leak.object.hasPrefix("app \"pyshop\""))
        // Without a load no request time can be measured: the leak says so and ranks last, with the
        // connection time it held as evidence.
        print("pyshop incident — leak: held \(String(format: "%.2f", costs.seconds("leak_held"))) s (service), "
              + "impact \(leak.impact.totalSeconds) s")
        #expect(leak.impact.totalSeconds == 0)
        #expect(leak.evidence.contains { $0.contains("not measurable without a load") })
        #expect(leak.evidence.contains { $0.contains("idle in transaction in total") })

        let slowText = "SELECT pg_sleep($1), count(*), sum(total_cents) FROM orders WHERE customer_id = $2"
        let slow = findings.filter { $0.object == slowText }
        #expect(slow.count == 1, "\(slow.map(\.check))")
        let slowStatement = try #require(slow.first)
        #expect(slowStatement.step == .slowQueries)
        #expect(slowStatement.title.hasPrefix("Slow statement"))
        let exportSeconds = costs.seconds("slow_export_query")
        #expect(exportSeconds > 0 && (0.5...2).contains(slowStatement.impact.totalSeconds / exportSeconds),
                "impact \(slowStatement.impact.totalSeconds) s, the service measured \(exportSeconds) s")
    }

    /// Incident mode with the service's access log (`--access-log`, pyshop's JSON lines): request
    /// counts per endpoint rank the slow downstream by the time requests waited for it, not by what
    /// the diagnoser's probes waited, so it and the unindexed search rank as their measured costs do.
    /// The same evidence diagnosed again without the log shows the ranking it replaces.
    @Test func incidentModeWithTheAccessLogRanksByWhatRequestsWaited() throws {
        let shop = try PyShopEnvironment(faults: "all")
        let (out, costs) = try shop.incident("incident-log", window: "14s", arguments: ["--access-log", shop.accessLog.path])
        let diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: out.appendingPathComponent("diagnosis.json"))
        let findings = diagnosis.findings
        for finding in findings {
            print("pyshop incident with access log — #\(findings.firstIndex(of: finding)! + 1) \(finding.severity) \(finding.check): "
                  + "\(finding.title) — \(finding.object) — \(String(format: "%.2f", finding.impact.totalSeconds)) s")
        }
        let basis = try #require(diagnosis.rankingBasis)
        #expect(basis.hasPrefix("by the time requests waited: access log \(shop.accessLog.path): "), "\(basis)")
        #expect(!basis.contains("skipped"), "\(basis)")
        // Every request the shop counted during the load is in the log's window (the window covers the load).
        let served = costs.endpoints.values.reduce(0) { $0 + $1.requests }
        #expect(Double(diagnosis.requests ?? 0) == served, "log \(diagnosis.requests ?? 0), service \(served)")

        let dependencies = findings.filter { $0.step == .dependencies }
        #expect(dependencies.count == 1, "\(dependencies.map(\.check))")
        let dependency = try #require(dependencies.first)
        #expect(dependency.check == .slowDependency)
        #expect(dependency.evidence.contains { $0.hasPrefix("access log/GET /recommendations: ") })
        let search = findings.filter { $0.object == "public.orders(customer_email)" }
        #expect(search.count == 1, "\(search.map(\.check))")
        let index = try #require(search.first)
        #expect(index.check == .missingIndex)
        // Step 5 is possible in incident mode now: the pool-hold endpoint waits inside the service.
        let profile = findings.filter { $0.step == .profile }
        #expect(profile.count == 1, "\(profile.map { "\($0.check): \($0.object): \($0.evidence)" })")
        let waiting = try #require(profile.first)
        #expect(waiting.check == .waitingInsideService)
        #expect(waiting.object.contains("access log/GET /inventory/:id"))

        let measured: [(name: String, finding: Finding, cost: Double)] = [
            ("slow-downstream", dependency, costs.seconds("downstream_call")),
            ("unindexed-search", index, costs.seconds("search_query")),
            ("pool-hold", waiting, costs.seconds("inventory_pool_wait") + costs.seconds("inventory_hold")),
        ]
        Self.expectImpactsFollowCosts(measured, in: findings, label: "pyshop incident with access log")

        // The same window without the log: the dependency weighs only what the probes waited.
        let blind = shop.directory.appendingPathComponent("incident-blind")
        let replay = try StrainProcess.run(["diagnose", "--evidence", out.appendingPathComponent("evidence.json").path,
                                            "--idle-in-transaction-after", "1s", "--out", blind.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        let without = try DiagnosisJSON.read(Diagnosis.self, from: blind.appendingPathComponent("diagnosis.json")).findings
        let blindDependency = try #require(without.first { $0.check == .slowDependency })
        let blindIndex = try #require(without.first { $0.check == .missingIndex })
        print("pyshop incident without the access log — slow-downstream \(String(format: "%.2f", blindDependency.impact.totalSeconds)) s "
              + "(#\(without.firstIndex(of: blindDependency)! + 1)), unindexed-search "
              + "\(String(format: "%.2f", blindIndex.impact.totalSeconds)) s (#\(without.firstIndex(of: blindIndex)! + 1))")
    }
}

/// The counters pyshop keeps (GET /stats): seconds per fault and per endpoint, cumulative.
struct PyShopCounters {
    var seconds: [String: Double]
    /// Per endpoint: requests handled and the seconds spent handling them, inside the service.
    var endpoints: [String: (requests: Double, seconds: Double)]

    func seconds(_ key: String) -> Double { seconds[key] ?? 0 }

    func minus(_ earlier: PyShopCounters) -> PyShopCounters {
        PyShopCounters(seconds: seconds.merging(earlier.seconds.mapValues { -$0 }) { $0 + $1 },
                       endpoints: endpoints.merging(earlier.endpoints.mapValues { (-$0.requests, -$0.seconds) }) {
                           ($0.requests + $1.requests, $0.seconds + $1.seconds)
                       })
    }

    /// "search 181 × 20.1 ms, …": each endpoint's mean time inside the service.
    var endpointSummary: String {
        endpoints.filter { $0.value.requests > 0 }.sorted { $0.key < $1.key }.map { name, entry in
            "\(name) \(Int(entry.requests)) × \(String(format: "%.1f", entry.seconds / entry.requests * 1000)) ms"
        }.joined(separator: ", ")
    }
}

/// A database of its own, seeded, with the downstream and pyshop running against it.
private final class PyShopEnvironment {
    static let script = StrainProcess.packageRoot.appendingPathComponent("scripts/fixtures/pyshop.py")

    private let fixture: FixtureDatabase
    var database: String { fixture.name }
    var conninfo: String { fixture.conninfo }
    let directory: URL
    private let downstream: ServiceProcess
    private let shop: ServiceProcess

    var pid: Int32 { shop.pid }
    var downstreamURL: String { downstream.url }
    /// pyshop's access log: a JSON line per request, the fields `strain diagnose --access-log` reads.
    var accessLog: URL { directory.appendingPathComponent("access.log") }

    init(faults: String, leakHold: Double = PyShopAcceptanceTests.leakHold) throws {
        fixture = try FixtureDatabase(prefix: "pyshop")
        let (database, conninfo) = (fixture.name, fixture.conninfo)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-\(database)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let seed = try BackgroundProcess(Self.script, ["seed", "--postgres", conninfo], log: directory.appendingPathComponent("seed"))
        guard seed.wait() == 0 else { throw DemoShopError("pyshop seed failed: \(seed.stderr)") }
        downstream = try ServiceProcess(Self.script, ["downstream", "--delay-ms", "250"])
        shop = try ServiceProcess(Self.script, [
            "serve", "--postgres", conninfo, "--downstream", "\(downstream.url)/recommendations", "--faults", faults,
            "--leak-hold", String(leakHold),
            "--access-log", directory.appendingPathComponent("access.log").path,
        ])
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func counters() throws -> PyShopCounters {
        let stats = try BackgroundProcess(Self.script, ["stats", "--url", shop.url], log: directory.appendingPathComponent("stats"))
        guard stats.wait() == 0 else { throw DemoShopError("pyshop stats failed: \(stats.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        let seconds = (object?["seconds"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        let endpoints = (object?["endpoints"] as? [String: [String: Any]] ?? [:]).mapValues { entry in
            ((entry["requests"] as? NSNumber)?.doubleValue ?? 0, (entry["seconds"] as? NSNumber)?.doubleValue ?? 0)
        }
        return PyShopCounters(seconds: seconds, endpoints: endpoints)
    }

    /// CPU time used so far by the shop and by the database backends serving this test's database.
    func stackCPUSeconds() throws -> Double {
        try ServiceStack.cpuSeconds(service: shop.pid, database: database)
    }

    struct Run {
        let diagnosis: Diagnosis
        let artifact: RunArtifact
        /// What the service counted during the run.
        let counters: PyShopCounters

        /// A statement finding's share of the database's execution time, from its evidence line.
        func databaseShare(of finding: Finding) -> String? {
            finding.evidence.first { $0.contains("of database time") }
                .flatMap { $0.split(separator: "(").dropFirst().first?.split(separator: " ").first.map(String.init) }
        }
    }

    /// `strain run` on `profile` (JSON5 text; default profiles/pyshop.json5), pointed at this shop, with its diagnosis.
    func run(profile: String? = nil) throws -> Run {
        let (out, artifact, counters) = try strainRun(duration: "15s", diagnose: true, profile: profile)
        return Run(diagnosis: try DiagnosisJSON.read(Diagnosis.self, from: out.appendingPathComponent("diagnosis.json")),
                   artifact: artifact, counters: counters)
    }

    /// An incident: `strain diagnose` (with `arguments`) watches the shop for `window` while another
    /// process loads it for 8 s. Returns the report folder and what the service counted meanwhile.
    func incident(_ name: String, window: String, arguments: [String] = []) throws -> (out: URL, costs: PyShopCounters) {
        let out = directory.appendingPathComponent(name)
        let before = try counters()
        let diagnose = try BackgroundProcess(StrainProcess.binary, [
            "diagnose", "--postgres", conninfo, "--pid", String(pid),
            "--dependency", "recommendations=\(downstreamURL)/recommendations",
            "--idle-in-transaction-after", "1s", "--window", window, "--out", out.path,
        ] + arguments, log: directory.appendingPathComponent(name))
        // Let the diagnoser take its first snapshot before the load starts.
        Thread.sleep(forTimeInterval: 1.5)
        _ = try strainRun(duration: "8s", diagnose: false)
        let status = diagnose.wait()
        #expect(status == 0, "strain diagnose exited \(status): \(diagnose.stderr)")
        return (out, try counters().minus(before))
    }

    private func strainRun(duration: String, diagnose: Bool, profile text: String? = nil) throws -> (URL, RunArtifact, PyShopCounters) {
        let template = try text ?? String(contentsOf: StrainProcess.packageRoot.appendingPathComponent("profiles/pyshop.json5"),
                                          encoding: .utf8)
        var profile = template
            .replacingOccurrences(of: "http://127.0.0.1:18093", with: downstream.url)
            .replacingOccurrences(of: "http://127.0.0.1:18092", with: shop.url)
            .replacingOccurrences(of: "duration: \"15s\"", with: "duration: \"\(duration)\"")
            .replacingOccurrences(of: "\"./strain.schema.json\"",
                                  with: "\"\(StrainProcess.packageRoot.appendingPathComponent("profiles/strain.schema.json").path)\"")
        if !diagnose, let section = profile.range(of: "  diagnose: {") {
            profile = String(profile[..<section.lowerBound]) + "}\n"
        }
        let profileURL = directory.appendingPathComponent("pyshop-\(UInt32.random(in: 0...UInt32.max)).json5")
        try profile.write(to: profileURL, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("out-\(UInt32.random(in: 0...UInt32.max))")
        let before = try counters()
        let outcome = try StrainProcess.run(["run", profileURL.path, "--out", out.path, "--quiet"]
                                            + (diagnose ? ["--diagnose-pid", String(shop.pid)] : []),
                                            environment: ["PYSHOP_PG": conninfo])
        let counters = try counters().minus(before)
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        // On the shared 2-core test machine the driver may start iterations late, which makes the
        // run invalid as a measurement (exit 4); the diagnosis, which is what is tested, still stands.
        #expect(LateStarts.isCleanExit(outcome.status, invalidity: artifact.validity.reasons),
                "strain run exited \(outcome.status): \(outcome.stderr)")
        return (out, artifact, counters)
    }
}

/// A fixture server started from a test on a port the kernel picks (`--port 0`), ready once it
/// printed "… listening on http://127.0.0.1:PORT"; killed by its PID when the value goes away.
private final class ServiceProcess {
    let process = Process()
    let port: Int

    var url: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments + ["--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { throw DemoShopError("\(executable.lastPathComponent) \(arguments.first ?? "") exited before listening") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: ":").last?.prefix(while: \.isNumber), let port = Int(portText) else {
            throw DemoShopError("unexpected first line from \(executable.lastPathComponent): \(text)")
        }
        self.port = port
    }

    deinit {
        if process.isRunning {
            // SIGKILL: a child inherits the signal mask of the test thread that started it, which may block SIGTERM.
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A process running beside the test, its output in files (LOG.out, LOG.err) so it never blocks on a pipe.
private final class BackgroundProcess {
    let process = Process()
    private let log: URL

    init(_ executable: URL, _ arguments: [String], log: URL) throws {
        self.log = log
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        for suffix in ["out", "err"] {
            FileManager.default.createFile(atPath: log.path + "." + suffix, contents: nil)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log.path + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log.path + ".err"))
        try process.run()
    }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    var stdout: String { (try? String(contentsOfFile: log.path + ".out", encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: log.path + ".err", encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
