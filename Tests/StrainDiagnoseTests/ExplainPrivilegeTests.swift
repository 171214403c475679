import Foundation
import StrainPQ
import StrainTestSupport
import Testing
@testable import StrainDiagnose

/// The diagnoser plans other roles' statements, and planning runs IMMUTABLE functions: a role
/// that may create functions must not get the diagnoser's privileges that way (issue 13, item 1).
@Suite(.serialized)
struct ExplainPrivilegeTests {
    /// A role of its own with a schema in a scratch database, dropped after the test.
    private struct UnprivilegedRole {
        let name = "strain_app_\(UInt32.random(in: 0...UInt32.max))"
        let database: ScratchDatabase

        init(in database: ScratchDatabase) throws {
            self.database = database
            try database.setUp("CREATE ROLE \(name) LOGIN", "CREATE SCHEMA AUTHORIZATION \(name)")
        }

        func connect() throws -> PGConnection {
            try PGConnection(conninfo: database.conninfo + " user=\(name) application_name=\(name)")
        }

        /// `leak()`, a function of the role that writes `file` naming the role it ran as: what only a
        /// superuser may. Run by the role itself the write fails quietly.
        func plantLeak(writing file: URL, with app: PGConnection) throws {
            try app.execute("""
                CREATE FUNCTION \(name).leak() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    EXECUTE format('COPY (SELECT current_user) TO %L', '\(file.path)');
                    RETURN 1;
                EXCEPTION WHEN insufficient_privilege THEN
                    RETURN 1;
                END $$
                """)
        }

        func drop() {
            try? database.drop()
            _ = try? PGConnection(conninfo: TestServers.postgresConninfo).execute("DROP ROLE IF EXISTS \(name)")
        }
    }

    /// How the diagnoser comes to plan the planted statement.
    enum Planning: CaseIterable {
        /// Its normalised text, with $n, as a generic plan.
        case generic
        /// A parameterless SELECT with `--explain-analyze`.
        case analyzed
        /// A sample captured with its literals, because the normalised text (`interval $3`) cannot be planned.
        case sample
    }

    /// The attack from the issue: an IMMUTABLE wrapper around a VOLATILE function that does what
    /// only a superuser may (here: write a server file naming the role it ran as). Run by its
    /// unprivileged owner the write fails quietly; planned by a superuser diagnoser, it would succeed.
    @Test(arguments: Planning.allCases)
    func aPlantedImmutableFunctionNeverRunsWithTheDiagnosersPrivileges(planning: Planning) throws {
        let analyze = planning == .analyzed
        let database = try ScratchDatabase.create()
        let role = try UnprivilegedRole(in: database)
        defer { role.drop() }
        let written = URL(fileURLWithPath: "/tmp/strain-planted-\(role.name)")
        defer { try? FileManager.default.removeItem(at: written) }
        let app = try role.connect()
        try app.execute("CREATE TABLE \(role.name).items (id int PRIMARY KEY)")
        try app.execute("INSERT INTO \(role.name).items SELECT generate_series(1, 100)")
        try role.plantLeak(writing: written, with: app)
        try app.execute("""
            CREATE FUNCTION \(role.name).looks_pure() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
            BEGIN RETURN \(role.name).leak(); END $$
            """)
        let query = switch planning {
        case .analyzed: "SELECT \(role.name).leak() + \(role.name).looks_pure()"
        case .generic: "SELECT id FROM \(role.name).items WHERE id = $1 AND \(role.name).looks_pure() = 1"
        // The sleep keeps it running long enough for the 10 Hz sampler to see it on a busy machine.
        case .sample: "SELECT id FROM \(role.name).items WHERE id = 7 AND \(role.name).looks_pure() = 1 AND now() > now() - interval '1 day' "
            + "AND pg_sleep(0.01) IS NOT NULL"
        }

        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false,
                                                                  explainAnalyze: analyze))
        try session.start()
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            try app.execute(query, parameters: planning == .generic ? ["\(Int.random(in: 1...100))"] : [])
        }
        let evidence = session.stop()

        let postgres = try #require(evidence.postgres)
        let statement = try #require(postgres.statementSnapshots.last?.statements.first { $0.query.hasPrefix("SELECT") })
        let plan = try #require(postgres.plans.first { $0.queryID == statement.queryID })
        #expect(plan.json != nil, "the statement was planned, as \(role.name): \(plan.error ?? "")")
        #expect(plan.analyzed == analyze)
        #expect((plan.sample != nil) == (planning == .sample), "\(plan.error ?? "")")
        #expect(!FileManager.default.fileExists(atPath: written.path),
                "the planted function ran as \((try? String(contentsOf: written, encoding: .utf8)) ?? "?")")
        #expect(postgres.diagnoserIsSuperuser == true)
        let note = try #require(Diagnoser.diagnose(evidence).notes.first { $0.step == .slowQueries })
        #expect(note.summary.contains("warning: the diagnoser connected as superuser"))
    }

    /// A database's search path that puts its owner's schema ahead of pg_catalog: that schema's
    /// functions named like the built-ins the diagnoser calls would run with the diagnoser's
    /// privileges (CVE-2018-1058). The diagnoser's own SQL resolves only pg_catalog; the application's
    /// statements are still planned with the application's path, as its role.
    @Test func aSearchPathAheadOfPgCatalogNeverRunsItsFunctionsForTheDiagnoser() throws {
        let database = try ScratchDatabase.create()
        let role = try UnprivilegedRole(in: database)
        defer { role.drop() }
        let written = URL(fileURLWithPath: "/tmp/strain-shadowed-\(role.name)")
        defer { try? FileManager.default.removeItem(at: written) }
        let app = try role.connect()
        try role.plantLeak(writing: written, with: app)
        for (name, type) in [("current_database", "name"), ("now", "timestamptz"), ("pg_backend_pid", "int")] {
            try app.execute("""
                CREATE FUNCTION \(role.name).\(name)() RETURNS \(type) LANGUAGE plpgsql AS $$
                BEGIN PERFORM \(role.name).leak(); RETURN pg_catalog.\(name)(); END $$
                """)
        }
        try app.execute("CREATE TABLE \(role.name).items (id int, code int)")
        try app.execute("INSERT INTO \(role.name).items SELECT i, i % 1000 FROM generate_series(1, 20000) AS i")
        try app.execute("ANALYZE \(role.name).items") // its size, for the index advice
        try database.setUp("ALTER DATABASE \(database.name) SET search_path = \(role.name), pg_catalog, public")

        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        // Named as the application names it: through its search path.
        let appNow = try role.connect()
        for code in 1...20 { try appNow.execute("SELECT id FROM items WHERE code = $1", parameters: ["\(code)"]) }
        let evidence = session.stop()

        #expect(!FileManager.default.fileExists(atPath: written.path),
                "a shadowing function ran as \((try? String(contentsOf: written, encoding: .utf8)) ?? "?")")
        let postgres = try #require(evidence.postgres)
        #expect(postgres.database == database.name)
        let statement = try #require(postgres.statementSnapshots.last?.statements.first { $0.query.hasPrefix("SELECT id FROM items") })
        let plan = try #require(postgres.plans.first { $0.queryID == statement.queryID })
        #expect(plan.json != nil, "the application's statement was planned with its search path: \(plan.error ?? "")")
        let trial = try #require(postgres.indexTrials.first { $0.queryID == statement.queryID })
        #expect(trial.used, "HypoPG's index on the application's table was tried: \(trial.error ?? "")")
    }

    @Test func aStatementOfARoleTheDiagnoserMayNotTakeOnIsNotExplainedAndThePlanSaysWhy() throws {
        let database = try ScratchDatabase.create()
        let role = try UnprivilegedRole(in: database)
        let monitor = try UnprivilegedRole(in: database)
        defer { monitor.drop(); role.drop() }
        try database.setUp("GRANT pg_monitor TO \(monitor.name)")
        let app = try role.connect()
        try app.execute("CREATE TABLE \(role.name).items (id int PRIMARY KEY)")

        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo + " user=\(monitor.name)",
                                                                  collectLocalHost: false))
        try session.start()
        for id in 1...50 { try app.execute("SELECT id FROM \(role.name).items WHERE id = $1", parameters: ["\(id)"]) }
        let evidence = session.stop()

        let postgres = try #require(evidence.postgres)
        #expect(postgres.diagnoserIsSuperuser == false)
        let statement = try #require(postgres.statementSnapshots.last?.statements.first { $0.query.hasPrefix("SELECT") })
        let plan = try #require(postgres.plans.first { $0.queryID == statement.queryID })
        #expect(plan.json == nil)
        #expect(plan.error?.contains("not explained: it ran as role \(role.name), which the diagnoser's role \(monitor.name) "
                                     + "may not SET ROLE to") == true, "\(plan.error ?? "")")
    }
}
