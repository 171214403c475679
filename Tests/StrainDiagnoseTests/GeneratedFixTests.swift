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
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let workload = try database.connect(application: "workload")
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            try workload.execute("SELECT total FROM \"Orders\" WHERE \"Email\" = $1", parameters: ["user\(Int.random(in: 0..<50000))"])
            try workload.execute("SELECT note FROM \"\(hostile)\" WHERE id = $1", parameters: ["\(Int.random(in: 1...100000))"])
        }
        let fixes = Diagnoser.diagnose(session.stop()).findings.filter { $0.check == "missing-index" }

        #expect(fixes.map(\.object).sorted() == ["public.\"Orders\"(\"Email\")", "public.\"\(hostile)\"(id)"])
        for fix in fixes.map(\.fix) { try pasteIntoPsql(fix, conninfo: database.conninfo) }
        let admin = try database.connect()
        #expect(try admin.execute("SELECT to_regclass('canary') IS NOT NULL AS kept").value(row: 0, column: "kept") == "t")
        let indexes = try admin.execute("SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'")
        #expect(indexes.value(row: 0, column: "n") == "2")
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
