import Foundation
import StrainContract
import StrainPQ
import StrainTestSupport
import Testing

/// `strain run` end to end on PostgreSQL profiles: the built binary against the test database (and
/// nginx for the mixed profile).
@Suite("strain run with PostgreSQL", .serialized)
struct RunPostgresTests {
    /// Writes `profile` into a fresh folder and runs it with STRAIN_PG set; the folder is removed
    /// after `check` has looked at what the run left in `run/`.
    static func run(_ profile: String, environment: [String: String] = ["STRAIN_PG": TestServers.postgresConninfo],
                    check: (StrainProcess.Outcome, URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-run-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("profile.json5")
        try profile.write(to: path, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", path.path, "--quiet", "--out", folder.appendingPathComponent("run").path],
                                            environment: environment)
        try check(outcome, folder.appendingPathComponent("run"))
    }

    @Test func runsAPostgresProfileAndGatesOnItsThresholds() throws {
        try Self.run("""
            { name: "lookups",
              scenarios: [{ name: "lookup", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
                            load: { model: "closed", connections: 4, iterations: 200 },
                            steps: [
                              { name: "pick", sql: "SELECT $1::int AS id", params: ["${random(1, 1000)}"], extract: { id: "id" },
                                check: { rows: 1 } },
                              { name: "echo", sql: "SELECT $1::int AS id", params: ["${id}"], check: { values: { id: "${id}" } } },
                            ] }],
              thresholds: { "postgres.errors": ["count == 0"], "lookup.latency": ["p(50) < 10s"] } }
            """) { outcome, folder in
            #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
            #expect(outcome.stdout.contains("lookup (postgres): 200 iterations"))
            #expect(outcome.stdout.contains("Results: \(folder.path)/run.json"))
            let artifact = try RunArtifact.read(from: folder.appendingPathComponent("run.json"))
            #expect(artifact.status == .completed)
            let scenario = try #require(artifact.scenarios.first)
            #expect(scenario.kind == .postgres)
            #expect(scenario.iterations == 200)
            #expect(scenario.steps.map(\.statuses) == [["00000": 200], ["00000": 200]])
            #expect(scenario.steps[1].phases["transaction"]?.count == 200)
        }
    }

    @Test func runsHTTPAndPostgresScenariosOnOneTimeline() throws {
        try Self.run("""
            { name: "mixed", target: { baseURL: "\(TestServers.httpURL)" },
              scenarios: [
                { name: "web", load: { rate: "40/s", duration: "2s" }, steps: [{ path: "/index.html", check: { status: [200] } }] },
                { name: "db", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
                  load: { rate: "40/s", duration: "2s" }, steps: [{ sql: "SELECT 1 AS one", check: { values: { one: 1 } } }] },
              ] }
            """) { outcome, folder in
            let artifact = try RunArtifact.read(from: folder.appendingPathComponent("run.json"))
            #expect(LateStarts.isCleanExit(outcome.status, invalidity: artifact.validity.reasons), "\(outcome.stdout)\n\(outcome.stderr)")
            #expect(outcome.stdout.contains("web (http)"))
            #expect(outcome.stdout.contains("db (postgres)"))
            #expect(artifact.scenarios.map(\.kind) == [.http, .postgres])
            // 40/s for 2 s each: 80 (R×D), the second constant-rate scenario taking its turns half a gap later.
            #expect(artifact.scenarios.map(\.iterations) == [80, 80])
            let timeline = try TimelineReader.read(from: folder.appendingPathComponent("timeline.ndjson"))
            #expect(Set(timeline.flatMap(\.steps).map(\.scenario)) == ["web", "db"])
        }
    }

    @Test func libpqTakesWhatTheConninfoLeavesOutFromThePGVariables() throws {
        // The test conninfo's host, port, dbname and user, as PGHOST, PGPORT, PGDATABASE and PGUSER.
        var environment: [String: String] = [:]
        for pair in TestServers.postgresConninfo.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["host", "port", "dbname", "user"].contains(parts[0]) else { continue }
            environment[parts[0] == "dbname" ? "PGDATABASE" : "PG" + parts[0].uppercased()] = parts[1]
        }
        try #require(environment.count == 4, "unexpected test conninfo \(TestServers.postgresConninfo)")
        try Self.run("""
            { name: "from-env",
              scenarios: [{ name: "whoami", postgres: { conninfo: "application_name=strain-env-test", pool: 1 },
                            load: { model: "closed", connections: 1, iterations: 3 },
                            steps: [{ sql: "SELECT current_database() AS db", check: { values: { db: "\(environment["PGDATABASE"]!)" } } }] }] }
            """, environment: environment) { outcome, folder in
            #expect(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
            let artifact = try RunArtifact.read(from: folder.appendingPathComponent("run.json"))
            #expect(artifact.scenarios.first?.steps.first?.counters["checks"] == 3)
        }
    }

    @Test func anUnreachableDatabaseFailsTheRunWithoutShowingThePassword() throws {
        let password = "s3cret-Pa55word"
        try Self.run("""
            { name: "nowhere",
              scenarios: [{ name: "q", postgres: { conninfo: "host=127.0.0.1 port=\(try TestServers.closedPort()) user=postgres password=${env.STRAIN_PG_PASSWORD}", pool: 1 },
                            load: { model: "closed", connections: 1, iterations: 1 }, steps: [{ sql: "SELECT 1" }] }] }
            """, environment: ["STRAIN_PG_PASSWORD": password]) { outcome, folder in
            #expect(outcome.status == 5, "\(outcome.stdout)\n\(outcome.stderr)")
            #expect(outcome.stderr.contains("scenario \"q\": cannot connect to PostgreSQL"))
            #expect(outcome.stderr.contains("Connection refused"))
            #expect(!outcome.stdout.contains(password))
            #expect(!outcome.stderr.contains(password))
            let artifact = try RunArtifact.read(from: folder.appendingPathComponent("run.json"))
            #expect(artifact.status == .failed)
        }
    }

    /// One signal stops the run gracefully; a second quits at once. Either way the statement in
    /// flight is cancelled on the server, which closing the connection alone would not do.
    @Test(arguments: [1, 2])
    func aStopSignalCancelsTheStatementStillRunningOnTheServer(signals: Int) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-run-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = folder.appendingPathComponent("profile.json5")
        try """
            { name: "sleepy",
              scenarios: [{ name: "sleep", postgres: { conninfo: "${env.STRAIN_PG}", pool: 1 },
                            load: { model: "closed", connections: 1, duration: "60s" },
                            steps: [{ sql: "SELECT pg_sleep(25)" }] }] }
            """.write(to: profile, atomically: true, encoding: .utf8)
        // The run's connections carry this name, so other tests' sessions do not count.
        let applicationName = "strain-cancel-\(UUID().uuidString.prefix(8))"
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["run", profile.path, "--quiet", "--out", folder.appendingPathComponent("run").path]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["STRAIN_PG": TestServers.postgresConninfo, "PGAPPNAME": applicationName]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        func sleeping() throws -> Int {
            let result = try admin.execute("""
                SELECT count(*) FROM pg_stat_activity
                WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'
                """, parameters: [applicationName])
            return Int(result.value(row: 0, column: 0) ?? "") ?? -1
        }
        // Polls every 0.1 s for up to 15 s: well before an uncancelled pg_sleep(25) would end.
        func waitUntil(_ condition: () throws -> Bool) throws -> Bool {
            for _ in 0..<150 {
                if try condition() { return true }
                usleep(100_000)
            }
            return try condition()
        }
        #expect(try waitUntil { try sleeping() == 1 }, "the run's pg_sleep never started")
        for _ in 0..<signals { process.interrupt() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        // Without a cancel the server would sleep on for the rest of the 25 s.
        #expect(try waitUntil { try sleeping() == 0 }, "pg_sleep still runs on the server after the run ended")
    }
}
