import Foundation
import StrainProfile
import Testing
@testable import StrainLoad

@Suite("PostgreSQL workload pieces: SQLSTATE classes, inlined literals, statements, backoff")
struct PostgresWorkloadTests {
    @Test("SQLSTATE codes are labelled by their class", arguments: [
        ("22012", "22 data exception"),
        ("23505", "23 integrity constraint violation"),
        ("42P01", "42 syntax error or access rule violation"),
        ("40001", "40 transaction rollback"),
        ("40P01", "40 transaction rollback"),
        ("57P01", "57 operator intervention"),
        ("08006", "08 connection exception"),
        ("0A000", "0A feature not supported"),
        ("53300", "53 insufficient resources"),
        ("XX000", "XX internal error"),
        ("p0001", "P0 PL/pgSQL error"),
        ("ZZ123", "ZZ unknown SQLSTATE class"),
    ])
    func sqlStateClassLabel(code: String, label: String) {
        #expect(SQLState.classLabel(of: code) == label)
    }

    @Test("Placeholders are found outside literals, identifiers, comments and dollar quotes", arguments: [
        ("SELECT $1", [InlinedSQL.Piece.text("SELECT "), .parameter(0)]),
        ("a = $2 AND b = $10", [.text("a = "), .parameter(1), .text(" AND b = "), .parameter(9)]),
        ("SELECT '$1', \"$1\", $1", [.text("SELECT '$1', \"$1\", "), .parameter(0)]),
        ("SELECT 'it''s $1', $1", [.text("SELECT 'it''s $1', "), .parameter(0)]),
        ("SELECT E'\\' $1', $1", [.text("SELECT E'\\' $1', "), .parameter(0)]),
        ("SELECT $$ $1 $$, $tag$ $1 $tag$, $1", [.text("SELECT $$ $1 $$, $tag$ $1 $tag$, "), .parameter(0)]),
        ("SELECT 1 -- $1\n + $1", [.text("SELECT 1 -- $1\n + "), .parameter(0)]),
        ("SELECT /* $1 /* nested */ $1 */ $1", [.text("SELECT /* $1 /* nested */ $1 */ "), .parameter(0)]),
        ("SELECT price$1 FROM t", [.text("SELECT price$1 FROM t")]),
        ("SELECT $0", [.text("SELECT $0")]),
        ("SELECT 'unterminated $1", [.text("SELECT 'unterminated $1")]),
    ])
    func placeholders(sql: String, pieces: [InlinedSQL.Piece]) {
        #expect(InlinedSQL(sql).pieces == pieces)
    }

    @Test("Values become literals the way PQescapeLiteral writes them", arguments: [
        ("42", "'42'"),
        ("it's", "'it''s'"),
        ("a\\b", " E'a\\\\b'"),
        ("\\'", " E'\\\\'''"),
        ("", "''"),
    ])
    func quotedLiterals(value: String, literal: String) {
        #expect(InlinedSQL.quoted(value) == literal)
    }

    @Test("Inlining fills each placeholder, writes nil as NULL and refuses a NUL byte")
    func inlining() throws {
        let sql = InlinedSQL("SELECT * FROM t WHERE a = $2 AND b = $1 AND c = $2")
        #expect(try sql.text(with: ["x", "it's"]) == "SELECT * FROM t WHERE a = 'it''s' AND b = 'x' AND c = 'it''s'")
        #expect(try sql.text(with: [nil, "y"]) == "SELECT * FROM t WHERE a = 'y' AND b = NULL AND c = 'y'")
        let error = #expect(throws: (any Error).self) { try sql.text(with: ["x", "a\u{0}"]) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("parameter $2 contains a NUL byte"))
    }

    @Test("Statements know whether they control transactions")
    func transactionControl() {
        let statements = ["BEGIN", "SELECT 'BEGIN'"].enumerated().map { index, sql in
            PostgresStatement(index: index, name: "s", sql: sql, parameterCount: 0, extractions: [], expectedRows: nil, checkedColumns: [])
        }
        #expect(statements.map(\.controlsTransaction) == [true, false])
    }

    static func scenario(_ postgres: String, steps: String) throws -> Scenario {
        let text = """
        {
          name: "t",
          scenarios: [{
            name: "db",
            postgres: { conninfo: "${env.STRAIN_PG}", \(postgres) },
            load: { model: "closed", connections: 2, iterations: 10 },
            steps: [\(steps)],
          }],
        }
        """
        let profile = try ProfileLoader.parse(text, path: "test.json5", baseDirectory: URL(fileURLWithPath: "/tmp"))
        return try #require(profile.scenarios.first)
    }

    @Test("A profile's sql steps become statements with their extractions and checks")
    func fromProfile() throws {
        let workload = try PostgresWorkload(Self.scenario("protocol: \"extended\"", steps: """
            { name: "who", sql: "SELECT owner, n FROM t WHERE id = $1", params: ["${random(1, 10)}"],
              extract: { owner: "owner" }, check: { rows: 1, values: { n: 0, owner: "${random(1, 2)}" } } },
            { sql: "UPDATE t SET n = n + 1 WHERE owner = $1", params: ["${owner}"] },
            """))
        #expect(workload.scenario == "db")
        #expect(workload.queryProtocol == .extended)
        #expect(workload.pipelineDepth == nil)
        #expect(workload.statements.map(\.name) == ["who", "UPDATE t SET n"])
        #expect(workload.statements.map(\.parameterCount) == [1, 1])
        #expect(workload.statements[0].extractions == [.init(variable: "owner", column: "owner")])
        #expect(workload.statements[0].expectedRows == 1)
        #expect(workload.statements[0].checkedColumns == ["n", "owner"])
        #expect(workload.statements.map(\.preparedName) == ["strain_0", "strain_1"])
    }

    @Test("Pipeline mode refuses transaction control, naming the scenario and step")
    func pipelineRefusesTransactions() throws {
        // Profiles are refused it with the file position (see the Malformed corpus); this guards the session.
        let error = #expect(throws: PostgresWorkloadError.self) {
            try PostgresTestWorkload.make([.init(sql: "SELECT 1"), .init(sql: "COMMIT")], pipeline: 8)
        }
        #expect(error?.description.hasPrefix("scenario \"test\", step \"step1\": transaction control") == true)
        #expect(try PostgresWorkload(Self.scenario("pipeline: 8", steps: "{ sql: \"SELECT 1\" }")).pipelineDepth == 8)
    }

    @Test("Reconnection waits double from 10 ms up to 1 s and start over after a success")
    func backoff() {
        var backoff = ReconnectBackoff()
        let delays = (0..<9).map { _ in backoff.delay() }
        #expect(delays == [10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_000_000, 1_000_000])
        backoff.reset()
        #expect(backoff.delay() == 10_000)
    }
}
