import Foundation
import Testing
@testable import StrainDiagnose

struct SlowQueriesCheckTests {
    typealias B = EvidenceBuilder

    static let orders = RelationInfo(schema: "fx", name: "orders", rows: 200_000, bytes: 13_656_064, indexes: [["id"]])
    static let lookup = "SELECT id, total FROM fx.orders WHERE customer_email = $1 AND status = $2"
    static let definition = "CREATE INDEX ON fx.orders (customer_email, status)"

    /// The captured window, with the e-mail lookup (query id 42) taking its place and `plan` as its plan.
    private func evidence(plan: String? = PlanFixtures.sequentialScanGeneric, analyzed: Bool = false, tempBlocks: Int64 = 0,
                          trials: [IndexTrial] = [], hypopg: Bool = true,
                          deallocations: (Int64, Int64) = (0, 0)) -> Evidence {
        let lookup = B.statement(42, Self.lookup, calls: 577, milliseconds: 11_239.5, rows: 216, tempBlocks: tempBlocks)
        let start = B.snapshot("start", StatementFixtures.start.statements, deallocations: deallocations.0)
        let end = B.snapshot("end", StatementFixtures.end.statements.filter { $0.queryID != 6118623111818684787 } + [lookup],
                             deallocations: deallocations.1)
        let plans = plan.map { [StatementPlan(queryID: 42, generic: !analyzed, analyzed: analyzed, json: $0, error: nil)] } ?? []
        return B.evidence(postgres: B.postgres(snapshots: [start, end], plans: plans, relations: [Self.orders],
                                               trials: trials, hypopg: hypopg))
    }

    private func run(_ evidence: Evidence, load: LoadContext? = nil) -> CheckResult {
        SlowQueriesCheck.run(CheckInput(evidence: evidence, load: load, options: CheckOptions()))
    }

    private func trial(costAfter: Double, used: Bool = true) -> IndexTrial {
        IndexTrial(queryID: 42, definition: Self.definition, costBefore: 4634.91, costAfter: costAfter, used: used, error: nil)
    }

    @Test func missingIndexVerifiedWithHypoPGComesWithTheExactStatement() throws {
        let found = run(evidence(trials: [trial(costAfter: 11.9)])).findings
        let finding = try #require(found.first { $0.check == .missingIndex })
        #expect(finding.title == "Missing index on fx.orders(customer_email, status) (verified with HypoPG)")
        #expect(finding.object == "fx.orders(customer_email, status)")
        #expect(finding.fix == "CREATE INDEX CONCURRENTLY orders_customer_email_status_idx ON fx.orders (customer_email, status);")
        #expect(finding.severity == .critical)
        #expect(abs(finding.impact.totalSeconds - 11.2395) < 1e-9)
        #expect(finding.evidence.contains("verified with HypoPG: the planner uses the index, estimated cost 4635 → 11.9"))
        #expect(finding.evidence.contains { $0.hasPrefix("generic plan: Seq Scan on fx.orders (200,000 rows, 13 MiB) keeps <0.1% of the rows") })
    }

    @Test(arguments: [
        (Optional(IndexTrial(queryID: 42, definition: definition, costBefore: 4634.91, costAfter: 3000, used: true, error: nil)), true,
         "HypoPG: the planner uses the index but the cost falls by less than half (estimated cost 4635 → 3000)"),
        (Optional(IndexTrial(queryID: 42, definition: definition, costBefore: 4634.91, costAfter: 4634.91, used: false, error: nil)), true,
         "not verified: with the hypothetical index the planner still does not use it"),
        (nil, false, "not verified: HypoPG is not installed in this database"),
    ] as [(IndexTrial?, Bool, String)])
    func unverifiedSuggestionsSayWhy(trial: IndexTrial?, hypopg: Bool, line: String) throws {
        let found = run(evidence(trials: trial.map { [$0] } ?? [], hypopg: hypopg)).findings
        let finding = try #require(found.first { $0.check == .missingIndex })
        #expect(finding.title == "Missing index on fx.orders(customer_email, status)")
        #expect(finding.evidence.contains(line))
    }

    /// A CREATE UNIQUE INDEX CONCURRENTLY that failed leaves an INVALID index the planner never uses:
    /// the fix rebuilds it (creating another may not even get its name); another invalid index on the
    /// table is only listed.
    @Test func anInvalidIndexOnTheColumnIsRebuiltNotCreatedAgain() throws {
        var evidence = evidence(trials: [trial(costAfter: 11.9)])
        evidence.postgres!.relations[0].invalidIndexes = [InvalidIndex(name: "Orders_email_idx", columns: [#""customer_email""#]),
                                                          InvalidIndex(name: "orders_total_idx", columns: ["total"])]
        let finding = try #require(run(evidence).findings.first { $0.check == .missingIndex })
        #expect(finding.title == #"Invalid index fx."Orders_email_idx" on fx.orders(customer_email, status): the planner cannot use it"#)
        #expect(finding.fix == #"REINDEX INDEX CONCURRENTLY fx."Orders_email_idx";"#)
        #expect(finding.evidence.contains("INVALID indexes, which the planner never uses (a CREATE INDEX CONCURRENTLY that failed, "
                                          + #"or one still running): fx."Orders_email_idx" ("customer_email"), fx.orders_total_idx (total)"#),
                "\(finding.evidence)")

        evidence.postgres!.relations[0].invalidIndexes = [InvalidIndex(name: "orders_total_idx", columns: ["total"])]
        let other = try #require(run(evidence).findings.first { $0.check == .missingIndex })
        #expect(other.fix == "CREATE INDEX CONCURRENTLY orders_customer_email_status_idx ON fx.orders (customer_email, status);")
    }

    /// Two lengths of an IN list are two statements to PostgreSQL 15, and each found the same missing
    /// index: one finding, ranked on their time together, its severity from their share together.
    @Test func statementsOneIndexServesAreOneFinding() {
        func finding(_ statement: String, seconds: Double, share: Double, check: CheckID = .missingIndex) -> Finding {
            Finding(step: .slowQueries, check: check, title: "Missing index on public.t(k)", object: "public.t(k)",
                    evidence: ["statement: \(statement)"], impact: Finding.Impact(totalSeconds: seconds, perRequestSeconds: seconds / 100, share: share),
                    severity: .warning, fix: "CREATE INDEX CONCURRENTLY t_k_idx ON public.t (k);")
        }
        let input = CheckInput(evidence: B.evidence(), load: B.load(requests: 100, seconds: 10), options: CheckOptions())
        let merged = SlowQueriesCheck.oneFindingPerIndex([
            finding("SELECT * FROM t WHERE k IN ($1, $2)", seconds: 1.5, share: 0.15),
            finding("SELECT now()", seconds: 9, share: 0.9, check: .topStatement),
            finding("SELECT * FROM t WHERE k IN ($1, $2, $3)", seconds: 1, share: 0.1),
        ], input)
        #expect(merged.map(\.check) == [.missingIndex, .topStatement])
        let index = merged[0]
        #expect(index.impact.totalSeconds == 2.5)
        #expect(abs((index.impact.share ?? 0) - 0.25) < 1e-9)
        #expect(index.severity == .critical)
        #expect(index.evidence == ["statement: SELECT * FROM t WHERE k IN ($1, $2)",
                                   "the same index serves another statement: SELECT * FROM t WHERE k IN ($1, $2, $3) "
                                   + "(1 s of its own, in this finding's total)"])
    }

    /// `pg_class.reltuples` is a float a superuser can set to anything (1e30), and a replayed
    /// evidence.json can say 1e308: the scan's evidence says so rather than trapping on Int64.
    @Test(arguments: [(1e30, "1e+30 rows"), (1e308, "1e+308 rows")])
    func aTableWithMoreRowsThanAnInt64HoldsIsStillDescribed(rows: Double, text: String) throws {
        var evidence = evidence()
        evidence.postgres!.relations[0].rows = rows
        let found = run(evidence).findings
        let finding = try #require(found.first { $0.check == .missingIndex })
        #expect(finding.evidence.contains { $0.hasPrefix("generic plan: Seq Scan on fx.orders (\(text), 13 MiB)") }, "\(finding.evidence)")
    }

    @Test func sequentialScanWithAFilterNoIndexServesIsStillReported() throws {
        // The captured plan with its filter put through a function, which a plain index cannot serve.
        let plan = PlanFixtures.sequentialScanGeneric.replacing(
            "((orders.customer_email = $1) AND (orders.status = $2))", with: "(lower(orders.customer_email) = $1)")
        let found = run(evidence(plan: plan)).findings
        #expect(!found.contains { $0.check == .missingIndex })
        let finding = try #require(found.first { $0.check == .seqScan })
        #expect(finding.object == "fx.orders")
        #expect(finding.evidence.contains("existing indexes: (id)"))
    }

    @Test func sortOnDiskIsASpill() throws {
        let found = run(evidence(plan: PlanFixtures.sortOnDiskAnalyzed, analyzed: true, tempBlocks: 1426)).findings
        let spill = try #require(found.first { $0.check == .diskSpill })
        #expect(spill.object == Self.lookup)
        #expect(spill.evidence.contains("wrote 1,426 temporary blocks (11.1 MiB) during the window"))
        #expect(spill.evidence.contains("Sort: external merge on disk"))
        #expect(spill.fix.contains("work_mem"))
    }

    @Test func hashJoinInBatchesIsASpill() throws {
        let found = run(evidence(plan: PlanFixtures.hashBatchesAnalyzed, analyzed: true)).findings
        let spill = try #require(found.first { $0.check == .diskSpill })
        #expect(spill.evidence.contains("Hash: 128 batches (the hash table did not fit in work_mem)"))
    }

    @Test func rowEstimatesFarOffAreReportedFromAnalyzedPlans() throws {
        let found = run(evidence(plan: PlanFixtures.misestimateAnalyzed, analyzed: true)).findings
        let misestimate = try #require(found.first { $0.check == .rowMisestimate })
        #expect(misestimate.evidence.contains("Gather: estimated 99 rows, actual 20,000 per loop (202× off)"))
        #expect(misestimate.fix.contains("CREATE STATISTICS"))
    }

    @Test func capturedNPlusOneIsFoundWithoutALoad() throws {
        let found = run(evidence()).findings
        let nPlusOne = try #require(found.first { $0.check == .nPlusOne })
        #expect(nPlusOne.object == "SELECT title FROM books WHERE id = $1 + $2 + $3")
        #expect(nPlusOne.title == "N+1 queries: one statement runs 9.99 times per call of the list statement")
        #expect(nPlusOne.impact.perRequestSeconds == nil)
    }

    @Test func withALoadImpactIsPerRequestAndAShareOfRequestTime() throws {
        let load = B.load(requests: 619, seconds: 30)
        let found = run(evidence(trials: [trial(costAfter: 11.9)]), load: load).findings
        let index = try #require(found.first { $0.check == .missingIndex })
        #expect(abs(index.impact.perRequestSeconds! - 11.2395 / 619) < 1e-9)
        #expect(abs(index.impact.share! - 11.2395 / 30) < 1e-9)
        let nPlusOne = try #require(found.first { $0.check == .nPlusOne })
        #expect(nPlusOne.title == "N+1 queries: one statement runs 9.99 times per request of shop/orders")
    }

    /// 100 requests of 100 ms each list 10 books and fetch them one by one: 1000 calls of 50 µs.
    /// The N+1 costs those calls' execution and one round trip each — not 10/11 of the endpoint's
    /// 10 s, most of which is other work.
    @Test(arguments: [(nil, 0.05), (0.0001, 0.15), (0.001, 1.05)] as [(Double?, Double)])
    func nPlusOneCostsItsExecutionAndARoundTripPerCall(roundTrip: Double?, impact: Double) throws {
        let statements = [B.statement(1, "SELECT id FROM books WHERE shelf = $1", calls: 100, milliseconds: 20, rows: 1000),
                          B.statement(2, "SELECT title FROM books WHERE id = $1", calls: 1000, milliseconds: 50, rows: 1000)]
        var postgres = B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", statements)])
        postgres.roundTripSeconds = roundTrip
        let found = run(B.evidence(postgres: postgres), load: B.load(requests: 100, seconds: 10)).findings
        let nPlusOne = try #require(found.first { $0.check == .nPlusOne })
        #expect(abs(nPlusOne.impact.totalSeconds - impact) < 1e-9)
        #expect(nPlusOne.evidence.contains { $0.hasPrefix(roundTrip == nil ? "each call also costs a network round trip, which was not measured"
                                                                             : "each call also costs a round trip") })
    }

    /// The same N+1 (1000 calls, 50 ms of execution, 100 µs round trips: 0.15 s estimated) where
    /// sampling saw sessions on the statement for longer — a client in a transaction between calls —
    /// costs what was seen; seen for less (a client between calls without a transaction looks
    /// idle), it keeps the estimate. Matched by query id, or by normalised text without one.
    @Test(arguments: [(StatementOccupancy(queryID: 2, fingerprint: nil, seconds: 0.9, samples: 45), 0.9),
                      (StatementOccupancy(queryID: nil, fingerprint: "select title from books where id = ?", seconds: 0.9, samples: 45), 0.9),
                      (StatementOccupancy(queryID: 2, fingerprint: nil, seconds: 0.05, samples: 3), 0.15),
                      (StatementOccupancy(queryID: 7, fingerprint: nil, seconds: 0.9, samples: 45), 0.15)])
    func nPlusOneCostsWhatSessionsWereSeenSpendingOnItWhenThatIsMore(occupancy: StatementOccupancy, impact: Double) throws {
        let statements = [B.statement(1, "SELECT id FROM books WHERE shelf = $1", calls: 100, milliseconds: 20, rows: 1000),
                          B.statement(2, "SELECT title FROM books WHERE id = $1", calls: 1000, milliseconds: 50, rows: 1000)]
        var postgres = B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", statements)])
        postgres.roundTripSeconds = 0.0001
        postgres.statementOccupancy = [occupancy]
        let found = run(B.evidence(postgres: postgres), load: B.load(requests: 100, seconds: 10)).findings
        let nPlusOne = try #require(found.first { $0.check == .nPlusOne })
        #expect(abs(nPlusOne.impact.totalSeconds - impact) < 1e-9)
        let seen = nPlusOne.evidence.first { $0.hasPrefix("sessions were seen on it") }
        #expect((seen != nil) == (occupancy.queryID != 7), "\(nPlusOne.evidence)")
        #expect((seen?.contains("its calls cost the clients that much") ?? false) == (impact == 0.9))
    }

    /// The same N+1 from an autocommit client: between its calls the session is idle, not in a
    /// transaction. A call takes 150 µs (50 µs execution, 100 µs round trip), so idle samples up to
    /// 2.25 ms after the statement are the client between calls and count; the longer idle ones are
    /// a pooled connection between requests and do not — nor do their first 2 ms: between 1 and 2 ms
    /// the idle time still grows by 0.1 s, a hundred periods idle that long (one per request),
    /// which put 0.2 s into the 0.6 s found within 2 ms.
    @Test func anAutocommitClientsTimeBetweenCallsIsTheIdleTimeShortlyAfterEachCall() throws {
        let statements = [B.statement(1, "SELECT id FROM books WHERE shelf = $1", calls: 100, milliseconds: 20, rows: 1000),
                          B.statement(2, "SELECT title FROM books WHERE id = $1", calls: 1000, milliseconds: 50, rows: 1000)]
        var postgres = B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", statements)])
        postgres.roundTripSeconds = 0.0001
        // Within 0.25, 0.5, 1, 1.5, 2, 3 and 4 ms of the statement's end.
        postgres.statementOccupancy = [StatementOccupancy(queryID: 2, fingerprint: nil, seconds: 0.02, samples: 1,
                                                          idleSecondsWithin: [0.2, 0.4, 0.5, 0.55, 0.6, 0.9, 1.6])]
        let found = run(B.evidence(postgres: postgres), load: B.load(requests: 100, seconds: 10)).findings
        let nPlusOne = try #require(found.first { $0.check == .nPlusOne })
        #expect(abs(nPlusOne.impact.totalSeconds - 0.42) < 1e-9)
        #expect(nPlusOne.evidence.contains { $0.contains("and idle outside a transaction between its calls (up to 2.25 ms after one, "
                                                         + "15 times a call's execution and round trip) for about 400 ms") },
                "\(nPlusOne.evidence)")
    }

    @Test func statementWithoutProblemsIsOnlyInformation() throws {
        let statements = [B.statement(1, "SELECT name FROM products WHERE id = $1", calls: 9000, milliseconds: 450, rows: 9000)]
        let evidence = B.evidence(postgres: B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", statements)]))
        let found = run(evidence).findings
        #expect(found.map(\.check) == [.topStatement])
        #expect(found.first?.severity == .info)
    }

    /// 0.8 s per call but under 2% of the database's time, behind six busier statements.
    @Test func aStatementSlowPerCallIsReportedWhateverItsShare() throws {
        let busy = (1...6).map { B.statement(Int64($0), "SELECT name FROM t\($0) WHERE id = $1", calls: 50_000,
                                             milliseconds: 15_000, rows: 50_000) }
        let slow = B.statement(99, "SELECT sum(total) FROM orders", calls: 2, milliseconds: 1600, rows: 2)
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", busy + [slow]))
        #expect(window.explainCandidates().contains { $0.queryID == 99 })
        let evidence = B.evidence(postgres: B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", busy + [slow])]))
        let finding = try #require(run(evidence).findings.first { $0.object == "SELECT sum(total) FROM orders" })
        #expect(finding.title == "Slow statement: 800 ms per call")
        #expect(finding.severity >= .info)
    }

    @Test func aStatementThatCouldNotBeExplainedSaysWhyAndClaimsNothingAboutItsPlan() throws {
        let statements = [B.statement(1, "SELECT count(*) FROM events WHERE at > now() - interval $1", calls: 900,
                                      milliseconds: 450, rows: 900)]
        let plan = StatementPlan(queryID: 1, generic: true, analyzed: false, json: nil,
                                 error: #"ERROR:  syntax error at or near "$1" (SQLSTATE 42601)"#)
        let evidence = B.evidence(postgres: B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", statements)],
                                                       plans: [plan]))
        let finding = try #require(run(evidence).findings.first)
        #expect(finding.evidence.contains { $0.hasPrefix("could not be explained: EXPLAIN failed: ERROR:  syntax error") })
        #expect(!finding.fix.contains("Nothing wrong"))
    }

    @Test func evictionsDuringTheWindowAreSaid() {
        let summary = run(evidence(deallocations: (3, 15))).summary
        #expect(summary.contains("pg_stat_statements evicted 12 entries during the window"))
    }

    @Test func phaseMarksSplitTheExecutionTime() {
        let statement = { (calls: Int64, milliseconds: Double) in
            B.statement(1, "SELECT 1", calls: calls, milliseconds: milliseconds, rows: calls)
        }
        let snapshots = [B.snapshot("start", [statement(1, 0)]), B.snapshot("ramp", [statement(10, 200)]),
                         B.snapshot("steady", [statement(50, 1500)]), B.snapshot("end", [statement(90, 4000)])]
        let summary = run(B.evidence(postgres: B.postgres(snapshots: snapshots))).summary
        #expect(summary.contains("execution time by phase: before the first phase 200 ms, ramp 1.3 s, steady 2.5 s"))
    }

    @Test func withoutSnapshotsTheStepSaysSo() {
        let result = run(B.evidence(postgres: B.postgres(snapshots: [])))
        #expect(result.findings.isEmpty)
        #expect(result.summary == "no pg_stat_statements snapshots")
    }
}
