import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StrainContract
import StrainPQ
import StrainProfile
import StrainTestSupport
import Testing
@testable import StrainLoad

/// PostgreSQL scenarios run through `LoadRun` (schedulers, workers, artifact) against the test server.
@Suite("PostgreSQL load against the test server")
struct PostgresEngineTests {
    static let environment = ["STRAIN_PG": TestServers.postgresConninfo]

    /// A profile of PostgreSQL scenarios (and whatever else `extra` adds at the top level).
    static func profile(_ scenarios: String, extra: String = "") -> String {
        "{ name: \"pg\", \(extra) scenarios: [\(scenarios)] }"
    }

    static func counter(_ name: String, in scenario: ScenarioResult) -> UInt64 {
        scenario.steps.reduce(0) { $0 + ($1.counters[name] ?? 0) }
    }

    static let people = "id,name\n1,ada\n2,it's o'brien\n3,back\\slash $1\n4,ünïcødé ✓\n"

    @Test("Every protocol, with and without pipeline mode: feeders, extraction and checks on every iteration", arguments: [
        #"protocol: "prepared""#, #"protocol: "extended""#, #"protocol: "simple""#,
        #"protocol: "prepared", pipeline: 8"#, #"protocol: "extended", pipeline: 4"#,
    ])
    func protocols(options: String) throws {
        let outcome = try runLoad(Self.profile("""
            { name: "echo", postgres: { conninfo: "${env.STRAIN_PG}", pool: 3, \(options) },
              load: { model: "closed", connections: 12, iterations: 300 },
              steps: [
                { name: "echo", sql: "SELECT $1::text AS name, $2::int * 2 AS doubled", params: ["${people.name}", "${people.id}"],
                  extract: { doubled: "doubled" }, check: { rows: 1, values: { name: "${people.name}" } } },
                { name: "halve", sql: "SELECT $1::int / 2 AS id", params: ["${doubled}"], check: { values: { id: "${people.id}" } } },
              ] },
            """, extra: #"feeders: { people: { csv: "people.csv", mode: "sequential" } },"#),
            workers: 2, environment: Self.environment, files: ["people.csv": Self.people])

        #expect(outcome.result.failure == nil)
        let scenario = outcome.artifact.scenarios[0]
        #expect(scenario.kind == .postgres)
        #expect(scenario.iterations == 300)
        for step in scenario.steps {
            #expect(step.requests == 300)
            #expect(step.failures == 0, "\(step.name): \(step.errors)")
            #expect(step.statuses == ["00000": 300])
            #expect(step.counters["rows"] == 300)
        }
        #expect(scenario.steps.map { $0.counters["checks"] } == [600, 300])
        #expect(Self.counter("newConnections", in: scenario) == 3)
        #expect(Self.counter("reconnects", in: scenario) == 0)
        #expect(scenario.steps[0].phases["poolWait"]?.count == 300)
        #expect(scenario.steps[1].phases["transaction"]?.count == 300)
        #expect(scenario.steps[0].phases["transaction"] == nil)
    }

    @Test("Parameters as plain text, a lone random number and a template with text around it all reach the server")
    func parameterKinds() throws {
        let outcome = try runLoad(Self.profile("""
            { name: "kinds", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
              load: { model: "closed", connections: 2, iterations: 200 },
              steps: [
                { name: "all", sql: "SELECT $1::int AS plain, $2::int AS drawn, $3::text AS around",
                  params: ["7", "${random(3, 5)}", "id-${random(1, 1)}-${env.SUFFIX}"],
                  extract: { drawn: "drawn" }, check: { rows: 1, values: { plain: "7", around: "id-1-x" } } },
                { name: "range", sql: "SELECT 1 WHERE $1::int BETWEEN 3 AND 5", params: ["${drawn}"], check: { rows: 1 } },
              ] },
            """), workers: 2, environment: Self.environment.merging(["SUFFIX": "x"]) { $1 })

        let scenario = outcome.artifact.scenarios[0]
        #expect(scenario.iterations == 200)
        #expect(scenario.steps.map(\.failures) == [0, 0], "\(scenario.steps.map(\.errors))")
        #expect(scenario.steps.map { $0.counters["checks"] } == [600, 200])
    }

    @Test("An error inside a transaction rolls it back: only committed iterations change the data")
    func transactionsRollBackOnError() throws {
        let accounts = try ScratchTable("id int PRIMARY KEY, n int NOT NULL")
        let log = try ScratchTable("id int PRIMARY KEY")
        defer {
            try? accounts.drop()
            try? log.drop()
        }
        try accounts.admin.execute("INSERT INTO \(accounts.name) VALUES (1, 0)")
        // 80 iterations insert ids from 1 to 25: most find theirs taken after the account was updated.
        let outcome = try runLoad(Self.profile("""
            { name: "transfer", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
              load: { model: "closed", connections: 4, iterations: 80 },
              steps: [
                { name: "begin", sql: "BEGIN" },
                { name: "update", sql: "UPDATE \(accounts.name) SET n = n + 1 WHERE id = 1", check: { rows: 1 } },
                { name: "insert", sql: "INSERT INTO \(log.name) VALUES ($1)", params: ["${random(1, 25)}"] },
                { name: "commit", sql: "COMMIT" },
              ] },
            """), workers: 2, environment: Self.environment)

        let committed = try #require(UInt64(try log.admin.execute("SELECT count(*) FROM \(log.name)").value(row: 0, column: 0) ?? ""))
        let total = try accounts.admin.execute("SELECT n FROM \(accounts.name) WHERE id = 1").value(row: 0, column: 0)
        #expect(total == String(committed))

        let scenario = outcome.artifact.scenarios[0]
        let insert = scenario.steps[2]
        #expect(scenario.iterations == committed)
        #expect(scenario.steps[3].requests == committed)
        #expect(insert.requests == 80)
        #expect(insert.failures == 80 - committed)
        #expect(insert.counters["rollbacks"] == 80 - committed)
        #expect(insert.statuses["23505"] == 80 - committed)
        let error = try #require(insert.errors.first)
        #expect(error.label == "23 integrity constraint violation")
        #expect(error.example.hasPrefix("23505: duplicate key value violates unique constraint \"\(log.name)_pkey\""))
    }

    @Test("Server errors are counted by SQLSTATE class, with the full code and the server's message", arguments: [
        ("SELECT 1 / $1::int", #"["0"]"#, "22 data exception", "22012: division by zero", "22012"),
        ("SELECT $1::int", #"["x"]"#, "22 data exception", #"22P02: invalid input syntax for type integer: "x""#, "22P02"),
        ("SELECT * FROM strain_no_such_table", "[]", "42 syntax error or access rule violation",
         #"42P01: relation "strain_no_such_table" does not exist"#, "42P01"),
        ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'simulated conflict'; END $$", "[]",
         "40 transaction rollback", "40001: simulated conflict", "40001"),
    ])
    func sqlStateClasses(sql: String, params: String, label: String, example: String, code: String) throws {
        let outcome = try runLoad(Self.profile("""
            { name: "fails", postgres: { conninfo: "${env.STRAIN_PG}", pool: 1 },
              load: { model: "closed", connections: 1, iterations: 5 },
              steps: [{ name: "bad", sql: "\(sql)", params: \(params) }] },
            """), environment: Self.environment)
        let step = outcome.step()
        #expect(step.requests == 5)
        #expect(step.failures == 5)
        #expect(step.statuses == [code: 5])
        #expect(step.errors.map(\.label) == [label])
        #expect(step.errors.first?.count == 5)
        #expect(step.errors.first?.example == example)
    }

    @Test("A secret from the environment that the server quotes back is hidden in the error example")
    func secretParametersStayOutOfErrorExamples() throws {
        let outcome = try runLoad(Self.profile("""
            { name: "leaky", postgres: { conninfo: "${env.STRAIN_PG}", pool: 1 },
              load: { model: "closed", connections: 1, iterations: 2 },
              steps: [{ name: "bad", sql: "SELECT $1::int", params: ["${env.API_KEY}"] }] },
            """), environment: Self.environment.merging(["API_KEY": "sk-live-4242"]) { $1 })
        #expect(outcome.artifactOnDisk.scenarios[0].steps[0].errors.map(\.example)
                == [#"22P02: invalid input syntax for type integer: "***""#])
    }

    @Test("Clients beyond the pool wait for a connection; the wait is kept apart from the query")
    func poolWait() throws {
        let outcome = try runLoad(Self.profile("""
            { name: "crowd", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
              load: { model: "closed", connections: 6, iterations: 30 },
              steps: [{ name: "nap", sql: "SELECT pg_sleep(0.005)" }, { name: "done", sql: "SELECT 1" }] },
            """), environment: Self.environment)
        let scenario = outcome.artifact.scenarios[0]
        #expect(scenario.iterations == 30)
        let waits = try #require(scenario.steps[0].phases["poolWait"])
        #expect(waits.count == 30)
        // Six clients share two connections, so most iterations wait for one.
        #expect(waits.max > 0)
        // Later steps keep the iteration's connection: no wait there.
        #expect(scenario.steps[1].phases["poolWait"] == nil)
        #expect(Self.counter("newConnections", in: scenario) == 2)
    }

    @Test("An iteration that waits for a connection longer than its step's timeout fails as a pool timeout")
    func poolTimeout() throws {
        // One connection, held 500 ms by the first client; the second gives up after 100 ms.
        let outcome = try runLoad(Self.profile("""
            { name: "starved", postgres: { conninfo: "${env.STRAIN_PG}", pool: 1 },
              load: { model: "closed", connections: 2, iterations: 2 },
              steps: [{ name: "hold", sql: "SELECT pg_sleep(0.5)", timeout: "100ms" }] },
            """), environment: Self.environment)
        let step = outcome.step()
        #expect(step.requests == 2)
        #expect(step.failures == 1)
        #expect(step.errors.map(\.label) == ["pool timeout"])
        #expect(step.errors.first?.example.contains("for one of the 1 connections of scenario \"starved\"") == true)
    }

    @Test("A server restart mid-run fails what was in flight; sessions reconnect and the run goes on")
    func serverRestartMidRun() throws {
        let environment = ProcessInfo.processInfo.environment
        let conninfo = try #require(environment["STRAIN_TEST_PG_RESTARTABLE"],
                                    "STRAIN_TEST_PG_RESTARTABLE is not set: run the tests through scripts/test")
        let restart = try #require(environment["STRAIN_TEST_PG_RESTART"])
        try #require(conninfo.contains("host=127.0.0.1"), "the restartable server must be on loopback: \(conninfo)")

        // The load runs on a thread of its own while this one restarts the server once the load is well
        // under way; the run lasts long enough to recover after it.
        let load = LoadInBackground {
            try runLoad(Self.profile("""
                { name: "through-restart", postgres: { conninfo: "${env.STRAIN_PG}", pool: 4 },
                  load: { model: "closed", connections: 4, duration: "5s" },
                  steps: [
                    { name: "begin", sql: "BEGIN" },
                    { name: "work", sql: "SELECT pg_sleep(0.002)" },
                    { name: "commit", sql: "COMMIT" },
                  ] },
                """), workers: 2, environment: ["STRAIN_PG": conninfo])
        }
        Thread.sleep(forTimeInterval: 1.5)
        let restartStatus = try Self.shell(restart)
        #expect(restartStatus == 0, "the restart command failed: \(restart)")
        let outcome = try load.wait()

        #expect(outcome.result.failure == nil)
        #expect(outcome.artifact.status == .completed)
        let scenario = outcome.artifact.scenarios[0]
        let failures = scenario.steps.reduce(0) { $0 + $1.failures }
        #expect(failures >= 1)
        let labels = Set(scenario.steps.flatMap(\.errors).map(\.label))
        #expect(labels.isSubset(of: ["57 operator intervention", "connection lost", "no connection"]), "\(labels)")
        // Which of the first two a session sees depends on whether the server's FATAL message arrived
        // before the socket closed; each label carries the server's or libpq's own words. A user left
        // waiting while the restarting server refused every attempt to reconnect fails as "no connection".
        for error in scenario.steps.flatMap(\.errors) {
            let expected = switch error.label {
            case "connection lost": "server closed the connection unexpectedly"
            case "no connection": "all 2 connections of scenario \"through-restart\" on this worker are down"
            default: "terminating connection due to administrator command"
            }
            #expect(error.example.contains(expected), "\(error.label): \(error.example)")
        }
        // Each of the four connections was lost once and replaced once.
        #expect(Self.counter("reconnects", in: scenario) == 4)
        #expect(Self.counter("newConnections", in: scenario) == 8)
        // After the restart iterations complete again, without errors.
        let last = try #require(outcome.timeline.dropLast().last)
        #expect(last.steps.reduce(0) { $0 + $1.requests } > 0)
        #expect(last.steps.reduce(0) { $0 + $1.failures } == 0)
    }

    /// Open-model arrivals fail at once, none dropped; closed-model users once per failed attempt to
    /// reconnect, without spinning; the run recovers.
    @Test("While every connection is refused, nothing waits for one", arguments: [
        // 100/s for 6 s, refused for about 1.5 s to 2.5 s (the next attempt to reconnect comes within a
        // second of the role's LOGIN): some 150 to 250 arrivals fail, more if this busy machine
        // stretched the sleeps.
        (#"rate: "100/s", duration: "6s""#, 2, 100...400),
        // Two users on one connection, failing with each of its attempts (10 ms, then doubling to 1 s
        // apart): a dozen or so, not the thousands of a user that starts again at once.
        (#"model: "closed", connections: 2, duration: "6s""#, 1, 1...60),
    ] as [(String, Int, ClosedRange<UInt64>)])
    func nothingWaitsWhileEveryConnectionIsRefused(load: String, pool: Int, refusals: ClosedRange<UInt64>) throws {
        // A role of its own, refused mid-run (NOLOGIN, its sessions ended) and let in again: the real
        // server refusing connections, as a stopped one would, without stopping the shared server.
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let role = "strain_refused_\(UInt32.random(in: 0...UInt32.max))"
        _ = try admin.execute("CREATE ROLE \(role) LOGIN")
        defer { _ = try? admin.execute("DROP ROLE IF EXISTS \(role)") }
        // libpq takes the last of a repeated keyword.
        let conninfo = TestServers.postgresConninfo + " user=\(role)"
        let run = LoadInBackground {
            try runLoad(Self.profile("""
                { name: "refused", postgres: { conninfo: "${env.STRAIN_PG}", pool: \(pool) }, load: { \(load) },
                  steps: [{ name: "one", sql: "SELECT 1" }] },
                """), environment: ["STRAIN_PG": conninfo])
        }
        Thread.sleep(forTimeInterval: 1)
        _ = try admin.execute("ALTER ROLE \(role) NOLOGIN")
        _ = try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", parameters: [role])
        Thread.sleep(forTimeInterval: 1.5)
        _ = try admin.execute("ALTER ROLE \(role) LOGIN")
        let outcome = try run.wait()

        let scenario = outcome.artifact.scenarios[0]
        let step = outcome.step()
        if load.hasPrefix("rate") {
            // Every arrival was sent or failed: none waited out the run or was dropped.
            #expect(step.requests == 600)
            #expect(Self.counter("dropped", in: scenario) == 0)
        }
        #expect(Self.counter("unfinished", in: scenario) == 0)
        let refused = try #require(step.errors.first { $0.label == "no connection" }, "\(step.errors.map(\.label))")
        let down = pool == 1 ? "the connection of scenario \"refused\" on this worker is down"
                             : "all \(pool) connections of scenario \"refused\" on this worker are down"
        #expect(refused.example.contains(down), "\(refused.example)")
        #expect(refused.example.contains("not permitted to log in"), "\(refused.example)")
        #expect(refusals.contains(refused.count), "\(refused.count)")
        #expect(Set(step.errors.map(\.label)).isSubset(of: ["no connection", "connection lost", "57 operator intervention"]))
        // Iterations complete again once the server lets the role in.
        let last = try #require(outcome.timeline.dropLast().last)
        #expect(last.steps.reduce(0) { $0 + $1.requests } > 0)
        #expect(last.steps.reduce(0) { $0 + $1.failures } == 0)
    }

    @Test("HTTP and PostgreSQL scenarios share one run and one timeline")
    func mixedRun() throws {
        let outcome = try runLoad("""
            { name: "mixed", \(plainTarget),
              scenarios: [
                { name: "web", load: { model: "closed", connections: 2, iterations: 40 }, steps: [{ path: "/index.html" }] },
                { name: "db", postgres: { conninfo: "${env.STRAIN_PG}", pool: 2 },
                  load: { model: "closed", connections: 2, iterations: 40 }, steps: [{ sql: "SELECT 1", check: { rows: 1 } }] },
              ] }
            """, workers: 2, environment: Self.environment)
        #expect(outcome.artifact.scenarios.map(\.kind) == [.http, .postgres])
        #expect(outcome.artifact.scenarios.map(\.iterations) == [40, 40])
        let timelineScenarios = Set(outcome.timeline.flatMap(\.steps).map(\.scenario))
        #expect(timelineScenarios == ["web", "db"])
        #expect(outcome.timeline.flatMap(\.steps).reduce(0) { $0 + $1.requests } == 80)
    }

    @Test("Clients are spread over at most one worker per pooled connection", arguments: [
        // (pool, clients or nil for the open model, pipeline depth, workers) → (concurrency, connections) per worker
        (3, 10, nil, 4, [4, 3, 3], [1, 1, 1]),
        (16, 512, 32, 2, [256, 256], [8, 8]),
        (5, 2, nil, 2, [1, 1], [3, 2]),
        (4, nil, nil, 2, [2, 2], [2, 2]),
        (2, nil, 8, 2, [8, 8], [1, 1]),
    ] as [(Int, Int?, Int?, Int, [Int], [Int])])
    func workerShares(pool: Int, clients: Int?, pipeline: Int?, workers: Int, concurrency: [Int], connections: [Int]) throws {
        let load = clients.map { #"{ model: "closed", connections: \#($0), duration: "1s" }"# } ?? #"{ rate: "10/s", duration: "1s" }"#
        let profile = try TestProfile.parse(Self.profile("""
            { name: "db", postgres: { conninfo: "x", pool: \(pool)\(pipeline.map { ", pipeline: \($0)" } ?? "") },
              load: \(load), steps: [{ sql: "SELECT 1" }] },
            """))
        let plans = try LoadRun.workerPlans(profile, engines: [PostgresEngineFactory()], workers: workers,
                                            inputs: RunInputs(profile: profile, environment: [:]), seed: 0)
        let shares = plans.flatMap(\.setup.shares)
        #expect(shares.map(\.concurrency) == concurrency)
        #expect(shares.map { PostgresEngine.connections(of: pool, for: $0) } == connections)
    }

    /// Runs `command` with /bin/sh and returns its exit status. posix_spawn and waitpid rather than
    /// Foundation's Process, whose exit notification (a SIGCHLD dispatch source) can be lost while
    /// other threads of the process leave SIGCHLD unblocked, leaving waitUntilExit waiting forever.
    static func shell(_ command: String) throws -> Int32 {
        let words: [String] = ["/bin/sh", "-c", command]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, arguments, environ)
        guard spawned == 0 else { throw ShellError(description: "posix_spawn /bin/sh: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ShellError(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, which do not import: the low 7 bits are 0 for a normal exit.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    struct ShellError: Error, CustomStringConvertible {
        let description: String
    }
}

/// Runs a load on a thread of its own, for a test to act on the server meanwhile.
private final class LoadInBackground: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written by the thread before it signals `done`, read after waiting for it.
    private var result: Result<LoadOutcome, any Error>?

    init(_ body: @escaping @Sendable () throws -> LoadOutcome) {
        Thread.detachNewThread { [self] in
            result = Result(catching: body)
            done.signal()
        }
    }

    func wait() throws -> LoadOutcome {
        done.wait()
        return try result!.get()
    }
}
