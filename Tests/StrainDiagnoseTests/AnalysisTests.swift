import Foundation
import Testing
@testable import StrainDiagnose

struct StatementWindowTests {
    typealias B = EvidenceBuilder

    @Test func capturedSnapshotsDiffIntoTheWindowsWork() throws {
        let window = StatementWindow(from: StatementFixtures.start, to: StatementFixtures.end)
        // The INSERT ran before the window: no calls in it, so it is left out.
        #expect(window.statements.map(\.queryID) == [6118623111818684787, -2991940491032773451, 2551424277164899451])
        let repeated = window.statements[1]
        #expect(repeated.calls == 6186)
        #expect(repeated.rows == 6186)
        #expect(abs(repeated.seconds - (15.076916 - 0.073671) / 1000) < 1e-9)
        // The lookup appeared during the window: everything it counts is in it.
        #expect(window.statements[0].calls == 577)
        #expect(window.evictions == 0)
        #expect(!window.wasReset)
    }

    @Test func anEntryWithFewerCallsThanBeforeWasEvictedAndIsTakenWhole() {
        let before = B.snapshot("start", [B.statement(1, "SELECT 1", calls: 500, milliseconds: 900, rows: 500)], deallocations: 10)
        let after = B.snapshot("end", [B.statement(1, "SELECT 1", calls: 20, milliseconds: 30, rows: 20)], deallocations: 14)
        let window = StatementWindow(from: before, to: after)
        #expect(window.statements.first?.calls == 20)
        #expect(window.statements.first?.seconds == 0.03)
        #expect(window.evictions == 4)
    }

    @Test func aResetDuringTheWindowIsNoticed() {
        let window = StatementWindow(from: B.snapshot("start", [], reset: "2024-01-01 00:00:00+00"),
                                     to: B.snapshot("end", [], reset: "2024-01-01 00:05:00+00"))
        #expect(window.wasReset)
    }

    @Test func equalTimesAreOrderedByQueryIDSoTheOrderIsStable() {
        let statements = [B.statement(9, "SELECT 9", calls: 1, milliseconds: 5, rows: 1),
                          B.statement(3, "SELECT 3", calls: 1, milliseconds: 5, rows: 1),
                          B.statement(7, "SELECT 7", calls: 1, milliseconds: 8, rows: 1)]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        #expect(window.statements.map(\.queryID) == [7, 3, 9])
    }

    @Test func onlyTopLevelDataStatementsAreExplained() {
        var nested = B.statement(4, "SELECT * FROM inner_table", calls: 5, milliseconds: 80, rows: 5)
        nested.toplevel = false
        let statements = [B.statement(1, "VACUUM orders", calls: 1, milliseconds: 90, rows: 0), nested,
                          B.statement(2, "UPDATE orders SET status = $1 WHERE id = $2", calls: 3, milliseconds: 70, rows: 3),
                          B.statement(3, "/* app */ SELECT * FROM orders", calls: 3, milliseconds: 60, rows: 3)]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        #expect(window.explainCandidates().map(\.queryID) == [2, 3])
        #expect(abs(window.toplevelSeconds - 0.22) < 1e-9)
    }
}

struct SQLTextTests {
    @Test(arguments: [("  /* c */ -- line\n select 1", "SELECT"), ("(SELECT 1) UNION (SELECT 2)", "SELECT"),
                      ("with x as (select 1) select * from x", "WITH"), ("", "")])
    func leadingKeywordSkipsCommentsAndParentheses(sql: String, keyword: String) {
        #expect(SQLText.leadingKeyword(sql) == keyword)
    }

    @Test(arguments: [("SELECT $1, $12, $3", 12), ("SELECT 1", 0), ("SELECT '$x'", 0)])
    func parameterCountIsTheHighestPlaceholder(sql: String, count: Int) {
        #expect(SQLText.parameterCount(sql) == count)
    }

    @Test(arguments: [("SELECT * FROM t WHERE a = 1", true), ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", false),
                      ("WITH x AS (SELECT 1) SELECT * FROM x", false), ("SELECT * INTO copy FROM t", false),
                      ("SELECT * FROM t FOR UPDATE", false), ("INSERT INTO t VALUES (1)", false)])
    func onlyPlainSelectsMayBeAnalysed(sql: String, plain: Bool) {
        #expect(SQLText.isPlainSelect(sql) == plain)
    }

    @Test(arguments: [
        ("ALTER ROLE app WITH PASSWORD 'it''s secret' VALID UNTIL 'never'", "ALTER ROLE app WITH PASSWORD '***' VALID UNTIL 'never'"),
        ("create user x password 'p'", "create user x password '***'"),
        ("CREATE ROLE x LOGIN ENCRYPTED PASSWORD $$s3cr'et$$", "CREATE ROLE x LOGIN ENCRYPTED PASSWORD '***'"),
        ("ALTER USER x PASSWORD $pw$a $$ b$pw$;", "ALTER USER x PASSWORD '***';"),
        (#"ALTER ROLE x PASSWORD E'a\'b\\' LOGIN"#, "ALTER ROLE x PASSWORD '***' LOGIN"),
        (#"ALTER ROLE x PASSWORD U&'d\0061t\+000061' VALID UNTIL 'infinity'"#, "ALTER ROLE x PASSWORD '***' VALID UNTIL 'infinity'"),
        ("ALTER ROLE x PASSWORD u&'d!0061t' UESCAPE '!'", "ALTER ROLE x PASSWORD '***'"),
        ("alter role x password 'never closed", "alter role x password '***'"),
        ("ALTER ROLE a PASSWORD 'one'; ALTER ROLE b PASSWORD 'two'", "ALTER ROLE a PASSWORD '***'; ALTER ROLE b PASSWORD '***'"),
        ("UPDATE users SET password_hash = 'x' WHERE id = 1", "UPDATE users SET password_hash = '***' WHERE id = 1"),
        ("ALTER ROLE x PASSWORD NULL", "ALTER ROLE x PASSWORD NULL"),
        ("SELECT password FROM users WHERE id = $1", "SELECT password FROM users WHERE id = $1"),
    ] as [(String, String)])
    func passwordLiteralsAreMaskedInEverySpelling(sql: String, scrubbed: String) {
        #expect(SQLLiterals.scrubbingPasswords(sql) == scrubbed)
    }

    @Test func briefTextIsOneLineAndBounded() {
        #expect(SQLText.brief("SELECT a,\n       b\nFROM   t") == "SELECT a, b FROM t")
        #expect(SQLText.brief(String(repeating: "x", count: 200), limit: 10) == "xxxxxxxxx…")
    }
}

struct StatementFingerprintTests {
    @Test(arguments: [
        ("SELECT * FROM t WHERE id = 42 AND name = 'it''s'", "select * from t where id = ? and name = ?"),
        ("select *\n  from T where id = $1 and name = $2", "select * from t where id = ? and name = ?"),
        (#"SELECT E'a\'b', U&'d\0061t', $$x$$, $q$y$q$, 1.5e3, -7"#, "select ?, ?, ?, ?, ?, -?"),
        ("SELECT * FROM t WHERE id IN (1, 2, 3) OR id IN ($1,$2)", "select * from t where id in (?) or id in (?)"),
        (#"SELECT "Col1" FROM "Orders" WHERE x2 = 3"#, #"select "Col1" from "Orders" where x2 = ?"#),
    ] as [(String, String)])
    func literalsAndParametersNormaliseAlike(sql: String, fingerprint: String) {
        #expect(StatementFingerprint.normalised(sql) == fingerprint)
    }
}

struct PlanTests {
    @Test func genericPlanParsesWithItsSequentialScan() throws {
        let plan = try PlanNode.parse(explainJSON: PlanFixtures.sequentialScanGeneric)
        #expect(plan.nodeType == "Gather")
        #expect(plan.totalCost == 4634.91)
        let scan = try #require(plan.allNodes.first { $0.nodeType == "Seq Scan" })
        #expect(scan.qualifiedRelation == "fx.orders")
        #expect(scan.filter == "((orders.customer_email = $1) AND (orders.status = $2))")
        #expect(scan.actualRows == nil)
        // A parallel-aware node under a Gather with one worker estimates for one of 1.7 processes.
        #expect(scan.parallelAware)
        #expect(abs(scan.parallelDivisor - 1.7) < 1e-9)
        #expect(abs(scan.totalPlanRows - 1.7) < 1e-9)
        #expect(plan.parallelDivisor == 1)
    }

    @Test func analyzedPlansCarryActualRowsSortsAndBatches() throws {
        let sort = try PlanNode.parse(explainJSON: PlanFixtures.sortOnDiskAnalyzed)
        #expect(sort.sortMethod == "external merge")
        #expect(sort.sortSpaceType == "Disk")
        #expect(sort.actualRows == 200_000)
        let hash = try PlanNode.parse(explainJSON: PlanFixtures.hashBatchesAnalyzed)
        #expect(hash.allNodes.compactMap(\.hashBatches) == [128])
    }

    @Test func hypotheticalIndexesAreRecognised() throws {
        #expect(try PlanNode.parse(explainJSON: PlanFixtures.hypotheticalIndexGeneric).usesHypotheticalIndex)
        #expect(try !PlanNode.parse(explainJSON: PlanFixtures.sequentialScanGeneric).usesHypotheticalIndex)
    }

    @Test func notAPlanIsAnError() {
        #expect(throws: (any Error).self) { try PlanNode.parse(explainJSON: "[]") }
        #expect(throws: (any Error).self) { try PlanNode.parse(explainJSON: "not json") }
    }
}

struct IndexAdvisorTests {
    static let orders = RelationInfo(schema: "fx", name: "orders", rows: 200_000, bytes: 13_656_064, indexes: [["id"]])

    @Test(arguments: [
        ("((orders.customer_email = $1) AND (orders.status = $2))", ["customer_email", "status"]),
        ("(orders.created_at > $1)", ["created_at"]),
        ("((o.created_at >= $1) AND (o.customer_id = $2) AND (o.created_at < $3))", ["customer_id", "created_at"]),
        ("(orders.customer_email = (($2 || $1) || $3))", ["customer_email"]),
        ("((orders.status = 'open'::text) AND (((orders.total)::integer % 10) = 0))", ["status"]),
        (#"("Orders"."Email" = 'a@b.c'::text)"#, ["Email"]),
        // A varchar column compared as text: the cast is a relabelling, and an index on the column serves it.
        ("((customers.email)::text = $1)", ["email"]),
        (#"(((c."E-mail")::text = 'x'::text) AND ((c.code)::text > $2))"#, ["E-mail", "code"]),
        ("((orders.status = 'open'::text) OR (orders.total > 10))", nil),
        ("(lower(orders.customer_email) = $1)", nil),
        ("(orders.shipped_at = orders.created_at)", nil),
        // Parentheses and AND inside a quoted name or a literal are text.
        (#"(mis."z = 1) AND (victim = 2) AND (q" = $1)"#, ["z = 1) AND (victim = 2) AND (q"]),
        (#"(("ord'ers"."cust""omer" = $1) AND (o.note = ') AND (x = 1'::text))"#, [#"cust"omer"#, "note"]),
        (#"("t"".x"."a" = "t"".x"."b")"#, nil),
    ] as [(String, [String]?)])
    func indexableColumnsComeFromComparisonsWithValues(filter: String, columns: [String]?) {
        #expect(IndexAdvisor.indexableColumns(in: filter) == columns)
    }

    @Test func selectiveScanOfALargeTableGetsAnIndex() throws {
        let plan = StatementPlan(queryID: 42, generic: true, analyzed: false, json: PlanFixtures.sequentialScanGeneric, error: nil)
        let suggestion = try #require(IndexAdvisor.suggestions(for: plan, relations: [Self.orders]).first)
        #expect(suggestion.object == "fx.orders(customer_email, status)")
        #expect(suggestion.createStatement == "CREATE INDEX CONCURRENTLY orders_customer_email_status_idx ON fx.orders (customer_email, status);")
        #expect(suggestion.hypotheticalDefinition == "CREATE INDEX ON fx.orders (customer_email, status)")
    }

    @Test func noIndexForSmallTablesOrWhenOneAlreadyLeadsWithTheColumn() {
        let plan = StatementPlan(queryID: 42, generic: true, analyzed: false, json: PlanFixtures.sequentialScanGeneric, error: nil)
        var small = Self.orders
        small.rows = 5000
        #expect(IndexAdvisor.suggestions(for: plan, relations: [small]).isEmpty)
        var indexed = Self.orders
        indexed.indexes.append(["customer_email"])
        #expect(IndexAdvisor.suggestions(for: plan, relations: [indexed]).isEmpty)
        // As pg_get_indexdef writes a column that needs quotes ("customerId"): the same column.
        var quoted = Self.orders
        quoted.indexes.append(["\"customer_email\"", "status"])
        #expect(IndexAdvisor.suggestions(for: plan, relations: [quoted]).isEmpty)
        #expect(IndexAdvisor.selectiveScans(in: try! PlanNode.parse(explainJSON: PlanFixtures.sequentialScanGeneric),
                                            relations: [indexed]).count == 1)
    }

    @Test func aScanKeepingMostRowsIsNotSelective() throws {
        // The analyzed scan keeps 20,000 of 200,000 rows per loop: 10 %, too many for an index to pay off.
        let root = try PlanNode.parse(explainJSON: PlanFixtures.misestimateAnalyzed)
        #expect(IndexAdvisor.selectiveScans(in: root, relations: [Self.orders]).isEmpty)
    }

    @Test func longIndexNamesStayWithinPostgresLimitAndApart() {
        let table = String(repeating: "t", count: 60)
        let suggestion = IndexSuggestion(queryID: 1, schema: "s", table: table, columns: ["a", "b"])
        #expect(suggestion.indexName.utf8.count == 63)
        #expect(suggestion.indexName.hasSuffix("_idx"))
        // Cut to the same beginning, told apart by the hash of the whole name.
        let other = IndexSuggestion(queryID: 1, schema: "s", table: table, columns: ["a", "c"])
        #expect(other.indexName != suggestion.indexName)
        #expect(IndexSuggestion(queryID: 1, schema: nil, table: "é" + table, columns: ["a"]).indexName.utf8.count <= 63)
        #expect(IndexSuggestion(queryID: 1, schema: nil, table: "orders", columns: ["email"]).indexName == "orders_email_idx")
    }

    /// A filter nested tens of thousands deep (only a hostile plan has one) is read in linear time.
    @Test func deeplyParenthesisedFiltersAreReadInOnePass() {
        let depth = 50_000
        let filter = String(repeating: "(", count: depth) + "orders.status = $1" + String(repeating: ")", count: depth)
        #expect(IndexAdvisor.indexableColumns(in: filter) == ["status"])
    }
}

struct NPlusOneDetectorTests {
    typealias B = EvidenceBuilder

    static func endpoint(_ name: String, requests: UInt64, seconds: Double = 1) -> LoadContext.Endpoint {
        LoadContext.Endpoint(scenario: name, step: "get", kind: .http, requests: requests, totalSeconds: seconds)
    }

    @Test func capturedWindowPairsTheRepeatedStatementWithItsList() throws {
        let window = StatementWindow(from: StatementFixtures.start, to: StatementFixtures.end)
        let found = NPlusOneDetector.detect(in: window.statements, load: nil)
        let pattern = try #require(found.first)
        #expect(found.count == 1)
        #expect(pattern.repeated.query == "SELECT title FROM books WHERE id = $1 + $2 + $3")
        #expect(pattern.list?.query == "SELECT id FROM books WHERE shelf = $1")
        #expect(pattern.inferred)
        #expect(abs(pattern.callsPerUnit - 6186.0 / 619) < 1e-9)
    }

    @Test func withARequestCountCallsPerRequestDecide() throws {
        let statements = [B.statement(1, "SELECT * FROM items WHERE order_id = $1", calls: 2000, milliseconds: 400, rows: 1900),
                          B.statement(2, "SELECT id FROM orders WHERE customer_id = $1", calls: 100, milliseconds: 50, rows: 2000)]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        let pattern = try #require(NPlusOneDetector.detect(in: window.statements, load: B.load(requests: 100, seconds: 1)).first)
        #expect(pattern.repeated.queryID == 1)
        #expect(pattern.callsPerUnit == 20)
        #expect(pattern.list?.queryID == 2)
        #expect(pattern.endpoint?.name == "shop/orders")
        #expect(!pattern.inferred)
        // Four calls per request is not an N+1 when no endpoint issues the list statement.
        #expect(NPlusOneDetector.detect(in: window.statements, load: B.load(requests: 500, seconds: 1)).isEmpty)
    }

    /// The demo's case: 7.5 item queries per order-history request, but other scenarios make
    /// the run's requests five times as many, so per request of the run it is 1.4.
    @Test func callsAreCountedPerRequestOfTheEndpointThatIssuesTheList() throws {
        let statements = [
            B.statement(1, "SELECT product_id, quantity FROM order_items WHERE order_id = $1", calls: 4527, milliseconds: 90, rows: 9054),
            B.statement(2, "SELECT id, status, total_cents FROM orders WHERE customer_id = $1 ORDER BY id", calls: 601,
                        milliseconds: 40, rows: 4527),
            B.statement(3, "SELECT id, status, total_cents FROM orders WHERE customer_email = $1", calls: 321,
                        milliseconds: 9250, rows: 2420),
            B.statement(4, "SELECT id, name, price_cents FROM products WHERE id = $1", calls: 1601, milliseconds: 30, rows: 1601),
        ]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        let load = LoadContext(endpoints: [Self.endpoint("catalogue", requests: 1601), Self.endpoint("search", requests: 321),
                                           Self.endpoint("order-history", requests: 601), Self.endpoint("checkout", requests: 201),
                                           Self.endpoint("recommendations", requests: 401), Self.endpoint("report", requests: 201)])
        let found = NPlusOneDetector.detect(in: window.statements, load: load)
        let pattern = try #require(found.first)
        #expect(found.count == 1)
        #expect(pattern.repeated.queryID == 1)
        #expect(pattern.list?.queryID == 2)
        #expect(pattern.endpoint?.name == "order-history/get")
        #expect(abs(pattern.callsPerUnit - 4527.0 / 601) < 1e-9)
    }

    /// The has-many shape (orders → each order's lines): ten orders per list, four lines each.
    @Test func aChildFetchReturningSeveralRowsPerParentIsAnNPlusOne() throws {
        let statements = [B.statement(1, "SELECT sku, qty FROM order_items WHERE order_id = $1", calls: 7770, milliseconds: 400, rows: 31_080),
                          B.statement(2, "SELECT id FROM orders WHERE customer_id = $1 LIMIT 10", calls: 777, milliseconds: 50, rows: 7770)]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        let pattern = try #require(NPlusOneDetector.detect(in: window.statements, load: nil).first)
        #expect(pattern.repeated.queryID == 1)
        #expect(pattern.list?.queryID == 2)
        #expect(pattern.callsPerUnit == 10)
    }

    @Test func statementsReturningManyRowsOrWithoutParametersAreNotRepeats() {
        let statements = [B.statement(1, "SELECT * FROM items WHERE order_id = $1", calls: 2000, milliseconds: 400, rows: 200_000),
                          B.statement(2, "SELECT now()", calls: 2000, milliseconds: 10, rows: 2000),
                          B.statement(3, "SELECT id FROM orders LIMIT $1", calls: 200, milliseconds: 50, rows: 2000)]
        let window = StatementWindow(from: B.snapshot("start", []), to: B.snapshot("end", statements))
        #expect(NPlusOneDetector.detect(in: window.statements, load: nil).isEmpty)
    }
}

struct NPlusOneCostTests {
    /// The idle time found within each bound of `idleAgeBounds` of a call, for `requests` requests
    /// whose calls leave `gaps` idle gaps of `gap` seconds each and then `pause` seconds idle.
    static func occupancy(requests: Double, gaps: Double, gap: Double, pause: Double) -> StatementOccupancy {
        let within = StatementOccupancy.idleAgeBounds.map { bound in requests * (gaps * min(gap, bound) + min(pause, bound)) }
        return StatementOccupancy(queryID: 1, fingerprint: nil, seconds: 0, samples: 0, idleSecondsWithin: within)
    }

    /// 100 requests of ten calls: the nine gaps between calls (0.2 ms) are the client in its loop; the
    /// pause after the last call is not, whether it is long (a paced client, 10 ms) or as short as
    /// a gap (a closed loop, which goes straight on to its next request: then it is one more gap).
    @Test(arguments: [(0.01, 0.18), (0.000_2, 0.2)])
    func idleTimeAfterARequestsLastCallIsNotTimeBetweenCalls(pause: Double, between: Double) {
        let occupancy = Self.occupancy(requests: 100, gaps: 9, gap: 0.000_2, pause: pause)
        #expect(abs(NPlusOneCost.idleBetweenCalls(occupancy, within: 0.004) - between) < 1e-9)
    }
}

struct PerfReportTests {
    static let report = #"""
    # To display the perf.data header info, please use --header/--header-only options.
    #
    # Samples: 191  of event 'cpu-clock'
    # Event count (approx.): 1929292910
    #
    # Overhead|     Samples|Shared Object    |Symbol                      |IPC   [IPC Coverage]
     0.52%  | 1          |[kernel.kallsyms]|[k] __schedule              |-      -
     24.61% | 47         |[kernel.kallsyms]|[k] do_syscall_64           |-      -
     19.37% | 37         |[kernel.kallsyms]|[k] vfs_write               |-      -
     13.09% | 25         |libc.so.6        |[.] __GI___libc_write       |-      -
     5.76%  | 11         |yes              |[.] 0x0000000000002aa2      |-      -
    """#

    @Test func framesAreRankedBySamplesWithTheirShare() throws {
        let profile = PerfReport.evidence(pid: 4242, report: Self.report)
        #expect(profile.pid == 4242)
        // The header's 191 count every CPU's samples; the listed frames are the pid's.
        #expect(profile.samples == 121)
        #expect(profile.frames.map(\.symbol) == ["do_syscall_64", "vfs_write", "__GI___libc_write", "0x0000000000002aa2", "__schedule"])
        let top = try #require(profile.frames.first)
        #expect(top.module == "[kernel.kallsyms]")
        #expect(abs(top.share - 47.0 / 121) < 1e-9)
    }

    @Test func anEmptyReportHasNoFrames() {
        let profile = PerfReport.evidence(pid: 1, report: "# Samples: 0  of event 'cpu-clock'\n")
        #expect(profile.samples == 0)
        #expect(profile.frames.isEmpty)
    }
}

/// Cumulative counters from an evidence file edited by hand: a window's rise never traps.
struct CounterRiseTests {
    @Test(arguments: [
        (Int64(10), Int64(4), Int64(6)),
        (4, 10, 0),  // fell: the statistics were reset
        (5, .min, 0),  // cannot be subtracted
        (.max, -1, 0),
        (.max, 0, .max),
    ])
    func rise(end: Int64, start: Int64, expected: Int64) {
        #expect(end.rise(since: start) == expected)
    }

    @Test func unsignedCountersRiseToo() {
        #expect(UInt64(3).rise(since: .max) == 0)
        #expect(UInt64.max.rise(since: 1) == UInt64.max - 1)
    }
}
