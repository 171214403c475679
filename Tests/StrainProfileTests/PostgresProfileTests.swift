import Foundation
import Testing
@testable import StrainProfile

/// The PostgreSQL parts of a profile: value checks, pipeline mode's limits, and how many iterations
/// a scenario runs at once.
struct PostgresProfileTests {
    static func parse(_ scenario: String) throws(ProfileError) -> Profile {
        try ProfileLoader.parse("{ name: \"db\", scenarios: [\(scenario)] }", path: "test.json5",
                                baseDirectory: URL(fileURLWithPath: "/tmp"))
    }

    static func scenario(postgres: String = "", load: String = #"{ model: "closed", connections: 4, duration: "10s" }"#,
                         steps: String) -> String {
        #"{ name: "q", postgres: { conninfo: "${env.PG}"\#(postgres) }, load: \#(load), steps: [\#(steps)] }"#
    }

    @Test func valueChecksReadTemplatesAndNumbers() throws {
        let profile = try Self.parse(Self.scenario(steps: """
            { sql: "SELECT $1::int AS id, 'ada' AS name, 1.5 AS ratio", params: ["${random(1, 9)}"],
              extract: { id: "id" }, check: { rows: 1, values: { name: "ada", ratio: 1.5 } } },
            { sql: "SELECT $1::int AS same", params: ["${id}"], check: { values: { same: "${id}" } } },
            """))
        let steps = profile.scenarios[0].steps
        #expect(steps[0].check.rows == 1)
        #expect(steps[0].check.values.map(\.column) == ["name", "ratio"])
        #expect(steps[0].check.values.map(\.expected.literalText) == ["ada", "1.5"])
        #expect(steps[1].check.values.first?.expected.references == [.variable("id")])
    }

    @Test(arguments: [
        (#"check: { values: {} }"#, #"scenarios[0].steps[0].check.values: must name at least one column, like { balance: "0" }"#),
        (#"check: { values: { v: true } }"#, "scenarios[0].steps[0].check.values.v: expected a string or a number"),
        (#"check: { values: { v: "${nope}" } }"#, #"scenarios[0].steps[0].check.values.v: unknown reference "${nope}""#),
        (#"check: { status: 200 }"#, "status checks HTTP responses; a sql step can check rows or values"),
    ])
    func rejectsBadValueChecks(check: String, message: String) {
        let error = #expect(throws: ProfileError.self) {
            try Self.parse(Self.scenario(steps: #"{ sql: "SELECT 1 AS v", \#(check) }"#))
        }
        #expect(error?.description.contains(message) == true, "\(error.map(\.description) ?? "no error")")
    }

    @Test func httpStepsCannotCheckValues() {
        let error = #expect(throws: ProfileError.self) {
            try ProfileLoader.parse("""
                { name: "web", target: { baseURL: "http://127.0.0.1:8080" },
                  scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/", check: { values: { v: "1" } } }] }] }
                """, path: "test.json5", baseDirectory: URL(fileURLWithPath: "/tmp"))
        }
        #expect(error?.description.contains("values checks the result of a sql step; HTTP steps check status, bodyContains or json") == true)
    }

    @Test("Pipeline mode refuses transaction control at the step that has it", arguments: [
        "BEGIN", "commit", "  -- done\n END", "/* keep */ ROLLBACK", "SAVEPOINT s", "START TRANSACTION READ ONLY",
    ])
    func pipelineRefusesTransactionControl(sql: String) {
        let error = #expect(throws: ProfileError.self) {
            try Self.parse(Self.scenario(postgres: ", pipeline: 8",
                                         steps: #"{ sql: "SELECT 1" }, { sql: \#(String(reflecting: sql)) }"#))
        }
        #expect(error?.keyPath.description == "scenarios[0].steps[1].sql")
        #expect(error?.line == 1)
        #expect(error?.message.hasPrefix("transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) cannot run in pipeline mode") == true)
    }

    @Test("Transaction control is told apart from other statements", arguments: [
        ("BEGIN", true), ("begin;", true), ("  -- open it\n START TRANSACTION ISOLATION LEVEL SERIALIZABLE", true),
        ("/* done */ COMMIT", true), ("END", true), ("ROLLBACK", true), ("abort", true),
        ("SAVEPOINT s1", true), ("RELEASE SAVEPOINT s1", true), ("PREPARE TRANSACTION 'x'", true),
        ("PREPARE q AS SELECT 1", false), ("SELECT 'BEGIN'", false), ("UPDATE t SET ended = true", false),
        ("WITH begin AS (SELECT 1) SELECT * FROM begin", false),
    ])
    func transactionControl(sql: String, controls: Bool) {
        #expect(SQLText.controlsTransaction(sql) == controls)
    }

    @Test("Iterations at once: clients in the closed model, the pool (times the pipeline depth) in the open one", arguments: [
        (", pool: 4", #"{ model: "closed", connections: 16, duration: "10s" }"#, 4, 16),
        ("", #"{ model: "closed", connections: 16, duration: "10s" }"#, 16, 16),
        (", pool: 16, pipeline: 32", #"{ model: "closed", connections: 512, duration: "10s" }"#, 16, 512),
        (", pool: 8", #"{ rate: "100/s", duration: "10s" }"#, 8, 8),
        (", pool: 4, pipeline: 16", #"{ rate: "100/s", duration: "10s" }"#, 4, 64),
    ])
    func concurrency(postgres: String, load: String, connections: Int, concurrency: Int) throws {
        let plan = Plan(try Self.parse(Self.scenario(postgres: postgres, load: load, steps: #"{ sql: "SELECT 1" }"#)))
        #expect(plan.scenarios[0].connections == connections)
        #expect(plan.scenarios[0].concurrency == concurrency)
    }
}
