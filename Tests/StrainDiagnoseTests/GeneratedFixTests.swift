import Foundation
import StrainPQ
import StrainTestSupport
import Testing
@testable import StrainDiagnose

/// Fixes are pasted into psql as they are: every identifier in them is database contents and
/// must be quoted (issue 13, item 5).
struct GeneratedFixTests {
    @Test(arguments: [("orders", "orders"), ("Orders", "\"Orders\""), ("order", "\"order\""), ("_x1$", "_x1$"),
                      ("1st", "\"1st\""), ("a\"b", "\"a\"\"b\""), ("", "\"\""), ("é", "\"é\""),
                      ("x ON t (id); DROP TABLE canary; CREATE INDEX y", "\"x ON t (id); DROP TABLE canary; CREATE INDEX y\"")])
    func identifiersAreQuotedLikeQuoteIdent(name: String, quoted: String) {
        #expect(SQLIdentifier.quoted(name) == quoted)
    }

    /// A name with a control character is written with Unicode escapes, so the fix is one printable line.
    @Test(arguments: [("tab\nx", #"U&"tab\000ax""#), ("a\\b\u{1B}[31m\"", #"U&"a\\b\001b[31m""""#), ("\u{9B}", #"U&"\009b""#)])
    func namesWithControlCharactersUseUnicodeEscapes(name: String, quoted: String) {
        #expect(SQLIdentifier.quoted(name) == quoted)
    }

    /// Names the plan quotes with `""` inside, a column whose name reads like a filter, and a name with
    /// a line feed and an escape sequence: each gets its index, on its own column, from a fix that runs as printed.
    @Test func indexFixesForNamesThatLookLikeSQLTargetTheirOwnColumns() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        let quoting = "ord'ers \"x\"", customer = "cust\"omer'", lookalike = "z = 1) AND (victim = 2) AND (q", controls = "tab\n\u{1B}[8mx"
        func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        try database.setUp(
            "CREATE TABLE \(quoted(quoting)) (id int NOT NULL, \(quoted(customer)) int NOT NULL)",
            "INSERT INTO \(quoted(quoting)) SELECT i, i % 50000 FROM generate_series(1, 100000) i",
            "CREATE TABLE mis (id int NOT NULL, victim int NOT NULL, \(quoted(lookalike)) int NOT NULL)",
            "INSERT INTO mis SELECT i, i % 7, i % 50000 FROM generate_series(1, 100000) i",
            "CREATE TABLE \(quoted(controls)) (id int NOT NULL, note text)",
            "INSERT INTO \(quoted(controls)) SELECT i, 'note' FROM generate_series(1, 100000) i",
            "ANALYZE")
        let fixes = try missingIndexFindings(database) { workload in
            let key = ["\(Int.random(in: 1...50000))"]
            try workload.execute("SELECT id FROM \(quoted(quoting)) WHERE \(quoted(customer)) = $1", parameters: key)
            try workload.execute("SELECT id FROM mis WHERE \(quoted(lookalike)) = $1", parameters: key)
            try workload.execute("SELECT note FROM \(quoted(controls)) WHERE id = $1", parameters: key)
        }

        #expect(fixes.map(\.object).sorted() == [
            "public.\(quoted(quoting))(\(quoted(customer)))", #"public.U&"tab\000a\001b[8mx"(id)"#, "public.mis(\(quoted(lookalike)))",
        ].sorted(), "\(fixes.map(\.title))")
        #expect(!fixes.contains { $0.fix.unicodeScalars.contains { $0.value < 0x20 } })
        for fix in fixes.map(\.fix) { try pasteIntoPsql(fix, conninfo: database.conninfo) }
        let admin = try database.connect()
        let indexes = try admin.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename")
        let definitions = (0..<indexes.rowCount).map { (indexes.value(row: $0, column: "tablename") ?? "", indexes.value(row: $0, column: "indexdef") ?? "") }
        #expect(definitions.count == 3, "\(definitions)")
        #expect(definitions.first { $0.0 == "mis" }?.1.hasSuffix("(\(quoted(lookalike)))") == true, "\(definitions)")
        #expect(definitions.first { $0.0 == quoting }?.1.hasSuffix("(\(quoted(customer)))") == true, "\(definitions)")
        #expect(definitions.first { $0.0 == controls }?.1.hasSuffix("(id)") == true, "\(definitions)")
    }

    /// Whether the index's name is taken is asked of the catalog with the names as they are stored:
    /// `to_regclass` could not read the `U&"…"` quoting of a name with a control character.
    @Test func theIndexNameIsFoundTakenInTheTablesSchemaWhateverItHolds() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        let table = "tab\n\u{1B}[8mx"
        try database.setUp(
            "CREATE SCHEMA other",
            "CREATE TABLE \(SQLIdentifier.quoted(table)) (id int NOT NULL)",
            "CREATE TABLE other.\(SQLIdentifier.quoted(table)) (id int NOT NULL)")
        let admin = try database.connect()
        func taken(_ suggestion: IndexSuggestion) throws -> Bool {
            let query = suggestion.nameTakenQuery
            return try admin.execute(query.sql, parameters: query.parameters).value(row: 0, column: "taken") == "t"
        }
        let inPublic = IndexSuggestion(queryID: 1, schema: "public", table: table, columns: ["id"])
        let bySearchPath = IndexSuggestion(queryID: 1, schema: nil, table: table, columns: ["id"])
        let inOther = IndexSuggestion(queryID: 1, schema: "other", table: table, columns: ["id"])
        #expect(try !taken(inPublic) && !taken(bySearchPath) && !taken(inOther))

        _ = try admin.execute(inPublic.createStatement)
        #expect(try taken(inPublic))
        #expect(try taken(bySearchPath), "the search path finds public's table first")
        #expect(try !taken(inOther), "another schema's index of that name is not this one")
        _ = try admin.execute(inOther.createStatement)
        #expect(try taken(inOther))
    }

    @Test func everyKeywordTheServerWouldQuoteIsQuoted() throws {
        let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
        let rows = try connection.execute("SELECT word, quote_ident(word) AS quoted FROM pg_get_keywords()")
        for row in 0..<rows.rowCount {
            let word = try #require(rows.value(row: row, column: "word"))
            // Over-quoting is harmless; under-quoting makes a fix fail.
            if rows.value(row: row, column: "quoted") != word {
                #expect(SQLIdentifier.quoted(word) == "\"\(word)\"", "keyword \(word)")
            }
        }
    }

    @Test func indexFixesForHostileTableNamesCreateTheIndexAndNothingElse() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        let hostile = "x ON t (id); DROP TABLE canary; CREATE INDEX y"
        try database.setUp(
            "CREATE TABLE canary (id int)",
            "CREATE TABLE \"Orders\" (\"Email\" text NOT NULL, total int NOT NULL)",
            "INSERT INTO \"Orders\" SELECT 'user' || (i % 50000), i FROM generate_series(1, 100000) i",
            "CREATE TABLE \"\(hostile)\" (id int NOT NULL, note text)",
            "INSERT INTO \"\(hostile)\" SELECT i, 'note' FROM generate_series(1, 100000) i",
            "ANALYZE")
        let fixes = try missingIndexFindings(database) { workload in
            try workload.execute("SELECT total FROM \"Orders\" WHERE \"Email\" = $1", parameters: ["user\(Int.random(in: 0..<50000))"])
            try workload.execute("SELECT note FROM \"\(hostile)\" WHERE id = $1", parameters: ["\(Int.random(in: 1...100000))"])
        }

        #expect(fixes.map(\.object).sorted() == ["public.\"Orders\"(\"Email\")", "public.\"\(hostile)\"(id)"])
        for fix in fixes.map(\.fix) { try pasteIntoPsql(fix, conninfo: database.conninfo) }
        let admin = try database.connect()
        #expect(try admin.execute("SELECT to_regclass('canary') IS NOT NULL AS kept").value(row: 0, column: "kept") == "t")
        let indexes = try admin.execute("SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'")
        #expect(indexes.value(row: 0, column: "n") == "2")
    }

    /// The missing-index findings of `database` diagnosed while `workload` runs, over and over, for 3 s.
    private func missingIndexFindings(_ database: ScratchDatabase, workload: (PGConnection) throws -> Void) throws -> [Finding] {
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let connection = try database.connect(application: "workload")
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline { try workload(connection) }
        return Diagnoser.diagnose(session.stop()).findings.filter { $0.check == .missingIndex }
    }

    /// Runs `script` the way a user pasting it would: psql splits it into statements itself.
    private func pasteIntoPsql(_ script: String, conninfo: String) throws {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = ["-X", "-q", "-d", conninfo, "-f", "-"]
        let input = Pipe()
        psql.standardInput = input
        try psql.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        psql.waitUntilExit()
    }
}

/// `strain verify` runs only a missing-index fix it can generate again from the run's evidence.
struct GeneratedIndexFixTests {
    static let orders = RelationInfo(schema: "fx", name: "orders", rows: 200_000, bytes: 13_656_064, indexes: [["id"]])
    static let plan = StatementPlan(queryID: 42, generic: true, analyzed: false, json: PlanFixtures.sequentialScanGeneric, error: nil)
    static let evidence = PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100,
                                           plans: [plan], relations: [orders])
    static let generated = "CREATE INDEX CONCURRENTLY orders_customer_email_status_idx ON fx.orders (customer_email, status);"

    @Test func acceptsTheStatementItGeneratesAndRunsTheRegeneratedOne() throws {
        let fix = try #require(GeneratedIndexFix(fix: Self.generated, evidence: Self.evidence))
        #expect(fix.createStatement == Self.generated)
        #expect(fix.suggestion.queryID == 42)
        #expect(fix.qualifiedIndex == "fx.orders_customer_email_status_idx")
        #expect(fix.dropStatement == "DROP INDEX CONCURRENTLY IF EXISTS fx.orders_customer_email_status_idx;")
    }

    @Test(arguments: [
        // Something appended to the generated statement.
        generated + " DROP TABLE fx.orders;",
        generated.replacing(";", with: "; DROP TABLE fx.orders;"),
        // Another table, column, index name or kind of index.
        generated.replacing("fx.orders", with: "fx.customers"),
        generated.replacing("(customer_email, status)", with: "(customer_email)"),
        generated.replacing("orders_customer_email_status_idx", with: "orders_pkey"),
        generated.replacing("CREATE INDEX", with: "CREATE UNIQUE INDEX"),
        // Without CONCURRENTLY it would block writes; with different spacing or case it is not ours.
        generated.replacing(" CONCURRENTLY", with: ""),
        generated.lowercased().replacing("create index concurrently", with: "create index  concurrently"),
        generated.replacing(";", with: ""),
        "DROP TABLE fx.orders;",
        "",
    ])
    func rejectsATamperedFix(fix: String) {
        #expect(GeneratedIndexFix(fix: fix, evidence: Self.evidence) == nil)
    }

    @Test func rejectsAFixTheEvidenceNoLongerSupports() {
        // The table is small, or already has the index, or the plan is gone: nothing is regenerated.
        var small = Self.orders
        small.rows = 5000
        var indexed = Self.orders
        indexed.indexes.append(["customer_email"])
        for evidence in [PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100, plans: [Self.plan], relations: [small]),
                         PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100, plans: [Self.plan], relations: [indexed]),
                         PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100, plans: [], relations: [Self.orders])] {
            #expect(GeneratedIndexFix(fix: Self.generated, evidence: evidence) == nil)
        }
    }

    @Test func hostileNamesStayQuotedInTheStatementsItRuns() throws {
        var hostile = Self.orders
        hostile.name = "o; DROP TABLE x; --"
        let json = PlanFixtures.sequentialScanGeneric.replacing("\"orders\"", with: "\"o; DROP TABLE x; --\"")
        let plan = StatementPlan(queryID: 7, generic: true, analyzed: false, json: json, error: nil)
        let evidence = PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100, plans: [plan], relations: [hostile])
        let suggestion = try #require(IndexAdvisor.suggestions(for: plan, relations: [hostile]).first)
        let fix = try #require(GeneratedIndexFix(fix: suggestion.createStatement, evidence: evidence))
        #expect(fix.createStatement.contains("ON fx.\"o; DROP TABLE x; --\" ("))
        #expect(fix.dropStatement == "DROP INDEX CONCURRENTLY IF EXISTS fx.\"o; DROP TABLE x; --_customer_email_status_idx\";")
    }

    @Test func namesTheScansOfTheFixTableInAPlan() throws {
        let fix = try #require(GeneratedIndexFix(fix: Self.generated, evidence: Self.evidence))
        #expect(GeneratedIndexFix.scans(in: Self.plan, of: fix.suggestion.table) == ["Seq Scan on fx.orders"])
        #expect(GeneratedIndexFix.scans(in: nil, of: "orders") == nil)
    }
}
