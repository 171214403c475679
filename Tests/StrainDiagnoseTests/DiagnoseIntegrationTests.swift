import Foundation
import Synchronization
import StrainPQ
import StrainTestSupport
import Testing
@testable import StrainDiagnose

/// Each test creates a real problem in the test PostgreSQL (or a real slow server), watches it
/// with a `DiagnosisSession` for a few seconds and checks the finding, its object and its rank.
/// Host metrics are left out (the test machine is shared and its CPU is busy with builds), so
/// the ranks depend only on the problem each test creates; the host collector has its own test.
/// Serialized: the tests share the server's max_connections and CPU.
@Suite(.serialized)
struct DiagnoseIntegrationTests {
    static let window = 3.0

    @Test func largeTableQueriedWithoutAnIndexGetsAVerifiedIndexSuggestion() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp(
            "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_email text NOT NULL, total numeric NOT NULL)",
            "INSERT INTO orders (customer_email, total) SELECT 'user' || (i % 50000) || '@example.com', i % 1000 FROM generate_series(1, 200000) i",
            "ANALYZE orders")

        let diagnosis = try observe(database) { connection in
            try connection.execute("SELECT id, total FROM orders WHERE customer_email = $1",
                                   parameters: ["user\(Int.random(in: 0..<50000))@example.com"])
            try connection.execute("SELECT total FROM orders WHERE id = $1", parameters: ["\(Int.random(in: 1...200000))"])
        }

        let finding = try #require(diagnosis.findings.first)
        #expect(finding.check == .missingIndex)
        #expect(finding.object == "public.orders(customer_email)")
        #expect(finding.fix == "CREATE INDEX CONCURRENTLY orders_customer_email_idx ON public.orders (customer_email);")
        #expect(finding.title.contains("verified with HypoPG"))
        #expect(finding.evidence.contains { $0.contains("Seq Scan on public.orders") })
    }

    /// What ORMs make: a varchar column (planned as `(col)::text = $1`) in a mixed-case table, whose
    /// CREATE UNIQUE INDEX CONCURRENTLY failed on duplicates and left an INVALID index: the fix rebuilds it.
    @Test func aFailedConcurrentIndexOnAVarcharColumnIsRebuilt() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp(
            #"CREATE TABLE "Orders" (id bigserial PRIMARY KEY, "customerEmail" varchar(255) NOT NULL)"#,
            #"INSERT INTO "Orders" ("customerEmail") SELECT 'user' || (i % 50000) || '@example.com' FROM generate_series(1, 200000) i"#,
            #"ANALYZE "Orders""#)
        #expect(throws: PostgresError.self) {
            try database.setUp(#"CREATE UNIQUE INDEX CONCURRENTLY "Orders_email" ON "Orders" ("customerEmail")"#)
        }

        let diagnosis = try observe(database) { connection in
            try connection.execute(#"SELECT id FROM "Orders" WHERE "customerEmail" = $1"#,
                                   parameters: ["user\(Int.random(in: 0..<50000))@example.com"])
        }

        let finding = try #require(diagnosis.findings.first { $0.check == .missingIndex }, "\(diagnosis.findings.map(\.title))")
        #expect(finding.fix == #"REINDEX INDEX CONCURRENTLY public."Orders_email";"#)
        #expect(finding.evidence.contains { $0.hasPrefix("INVALID index, which the planner never uses") }, "\(finding.evidence)")
    }

    @Test func explainAnalyzeOfAParameterlessSelectShowsTheSortSpillingToDisk() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp(
            "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_email text NOT NULL, total numeric NOT NULL)",
            "INSERT INTO orders (customer_email, total) SELECT 'user' || i || '@example.com', i % 1000 FROM generate_series(1, 200000) i",
            "ANALYZE orders")
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false,
                                                                  explainAnalyze: true))
        try session.start()
        let connection = try database.connect(application: "report")
        let deadline = Date().addingTimeInterval(Self.window)
        while Date() < deadline {
            try connection.execute("SELECT id, customer_email FROM orders ORDER BY total, customer_email")
        }
        let evidence = session.stop()

        let plan = try #require(evidence.postgres?.plans.first)
        #expect(plan.analyzed)
        #expect(!plan.generic)
        let spill = try #require(Diagnoser.diagnose(evidence).findings.first { $0.check == .diskSpill })
        #expect(spill.object == "SELECT id, customer_email FROM orders ORDER BY total, customer_email")
        #expect(spill.evidence.contains { $0.hasPrefix("Sort: external merge") })
        // ANALYZE ran the statement in a transaction that was rolled back, inside a read-only session.
        #expect(try connection.execute("SELECT count(*) FROM orders").value(row: 0, column: 0) == "200000")
    }

    @Test func oneQueryPerRowIsReportedAsNPlusOneWithItsListStatement() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp(
            "CREATE TABLE books (id int PRIMARY KEY, shelf int NOT NULL, title text NOT NULL)",
            "INSERT INTO books SELECT i, i % 100, 'Book ' || i FROM generate_series(1, 1000) i",
            "CREATE INDEX books_shelf_idx ON books (shelf)",
            "ANALYZE books")

        let diagnosis = try observe(database) { connection in
            let list = try connection.execute("SELECT id FROM books WHERE shelf = $1", parameters: ["\(Int.random(in: 0..<100))"])
            for row in 0..<list.rowCount {
                try connection.execute("SELECT title FROM books WHERE id = $1", parameters: [list.value(row: row, column: 0)])
            }
        }

        let finding = try #require(diagnosis.findings.first)
        #expect(finding.check == .nPlusOne)
        #expect(finding.object == "SELECT title FROM books WHERE id = $1")
        #expect(finding.evidence.contains { $0.hasPrefix("list statement: SELECT id FROM books WHERE shelf = $1") })
        #expect(finding.evidence.contains { $0.contains("pairing inferred") })
    }

    /// pg_stat_statements turns `interval '10 years'` into `interval $1`, which cannot be planned;
    /// an UPDATE has no sample to plan instead (only plain SELECTs are captured and explained).
    @Test func aStatementThatCannotBeExplainedIsNotCalledHealthy() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp("CREATE TABLE events (at timestamptz NOT NULL)",
                           "INSERT INTO events SELECT now() - i * interval '1 minute' FROM generate_series(1, 20000) i")

        let diagnosis = try observe(database) { connection in
            try connection.execute("UPDATE events SET at = at WHERE at < now() - interval '10 years'")
        }

        let finding = try #require(diagnosis.findings.first { $0.object.contains("interval $1") })
        #expect(finding.evidence.contains { $0.hasPrefix("could not be explained: EXPLAIN failed:") }, "\(finding.evidence)")
        #expect(!finding.fix.contains("Nothing wrong"))
    }

    /// A statement longer than track_activity_query_size (1 kB here) shows cut in pg_stat_activity:
    /// what is left is not the statement, so it is not captured as its sample.
    @Test func aStatementCutShortInPgStatActivityIsNoSample() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL, k int NOT NULL)",
                           "INSERT INTO events (at, k) SELECT now() - i * interval '1 minute', i % 100 FROM generate_series(1, 200000) i",
                           "ANALYZE events")
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let connection = try database.connect(application: "workload")
        let padding = (1...90).map { "at > now() - interval '\($0) years'" }.joined(separator: " AND ")
        let long = "SELECT count(*) FROM events WHERE \(padding) AND k = 7"
        #expect(long.utf8.count > 2048)
        let short = "SELECT count(*) FROM events WHERE at > now() - interval '1 day' AND k = 7"
        let deadline = Date().addingTimeInterval(Self.window)
        while Date() < deadline {
            try connection.execute(long)
            try connection.execute(short)
        }
        let evidence = session.stop()
        let samples = try #require(evidence.postgres?.statementSamples)
        #expect(samples.contains { $0.query == short }, "\(samples)")
        #expect(!samples.contains { $0.query.hasPrefix("SELECT count(*) FROM events WHERE at > now() - interval '1 years'") }, "\(samples)")
    }

    /// The same unplannable normalised text in a SELECT that sessions run with their literals: a
    /// sample captured from pg_stat_activity during the window is planned instead (EXPLAIN without
    /// ANALYZE), and its plan shows what the normalised text hid — a scan of 200k rows for 0.7% of them.
    @Test func anUnplannableStatementIsExplainedFromASampleCapturedWithItsLiterals() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp("CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL)",
                           "INSERT INTO events (at) SELECT now() - i * interval '1 minute' FROM generate_series(1, 200000) i",
                           "ANALYZE events")
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let connection = try database.connect(application: "workload")
        let deadline = Date().addingTimeInterval(Self.window)
        while Date() < deadline {
            try connection.execute("SELECT count(*) FROM events WHERE at > now() - interval '1 day'")
        }
        let evidence = session.stop()
        #expect(evidence.gaps.isEmpty, "\(evidence.gaps)")

        let samples = try #require(evidence.postgres?.statementSamples)
        #expect(samples.contains { $0.query == "SELECT count(*) FROM events WHERE at > now() - interval '1 day'" }, "\(samples)")
        let plan = try #require(evidence.postgres?.plans.first { $0.sample != nil })
        #expect(plan.json != nil)
        #expect(!plan.analyzed)
        #expect(plan.error?.contains("syntax error") == true, "\(plan.error ?? "")")
        let finding = try #require(Diagnoser.diagnose(evidence).findings.first)
        #expect(finding.check == .missingIndex)
        #expect(finding.object == "public.events(at)")
        #expect(finding.evidence.contains { $0.hasPrefix("could not be explained as normalised (EXPLAIN failed: ") })
        #expect(finding.evidence.contains { $0.contains("plan of the captured sample: Seq Scan on public.events") }, "\(finding.evidence)")
        // Planned, never run: nothing the sample reads was changed or locked, and the statement's count is its own.
        #expect(try connection.execute("SELECT count(*) FROM events").value(row: 0, column: 0) == "200000")
    }

    @Test func sessionLeftIdleInTransactionIsALikelyLeak() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)",
                           "INSERT INTO accounts VALUES (1, 100), (2, 100)")
        // Two sessions of one code path whose client interpolated different literals: one finding.
        let leaks = try (1...2).map { id in
            let leaky = try database.connect(application: "leaky-app")
            try leaky.execute("BEGIN")
            try leaky.execute("UPDATE accounts SET balance = balance - 1 WHERE id = \(id)")
            return leaky
        }

        let diagnosis = try observe(database, idleInTransactionAfter: 1)
        for leaky in leaks { try leaky.execute("ROLLBACK") }

        #expect(diagnosis.findings.filter { $0.check == .idleInTransaction }.count == 1)
        let finding = try #require(diagnosis.findings.first)
        #expect(finding.check == .idleInTransaction)
        #expect(finding.title.hasSuffix(": 2 times"))
        #expect(finding.object.contains("app \"leaky-app\""))
        #expect(finding.evidence.contains { $0.hasPrefix("last statement: UPDATE accounts SET balance = balance - 1 WHERE id = ") })
        #expect(finding.severity >= .warning)
    }

    /// Four sessions take turns on one hot row, each holding it 10–200 ms: most waits are far
    /// shorter than a second. The waits each session measured itself (the time its UPDATE took)
    /// and the diagnoser's estimate from 10 Hz samples agree within 2×, in one finding.
    @Test func shortWaitsOnAHotRowAreOneContentionPointEstimatedFromFastSamples() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)", "INSERT INTO counters VALUES (1, 0)")
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let measured = Mutex(0.0)
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        let conninfo = database.conninfo
        for worker in 0..<4 {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let connection = try PGConnection(conninfo: conninfo + " application_name=worker\(worker)")
                    // Holds of 10, 40, …, 190 ms in turn: the same whatever the machine.
                    for turn in 0..<8 {
                        try connection.execute("BEGIN")
                        let asked = Date()
                        try connection.execute("UPDATE counters SET n = n + 1 WHERE id = 1")
                        let waited = Date().timeIntervalSince(asked)
                        measured.withLock { $0 += waited }
                        Thread.sleep(forTimeInterval: 0.010 + 0.030 * Double((turn + worker) % 7))
                        try connection.execute("COMMIT")
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        done.wait()
        let evidence = session.stop()
        #expect(failures.withLock { $0 }.isEmpty)
        let diagnosis = Diagnoser.diagnose(evidence)

        let contention = diagnosis.findings.filter { $0.check == .lockContention }
        #expect(contention.count == 1, "\(contention.map(\.object))")
        let finding = try #require(contention.first)
        #expect(finding.object == "public.counters")
        #expect(finding.evidence.contains { $0.hasPrefix("waiting (") && $0.hasSuffix("UPDATE counters SET n = n + 1 WHERE id = 1") })
        #expect(finding.evidence.contains { $0.hasPrefix("blocking (idle in transaction") })
        let waited = measured.withLock { $0 }
        print("lock contention — waits measured by the sessions \(waited) s, estimated \(finding.impact.totalSeconds) s")
        #expect(finding.impact.totalSeconds >= waited / 2 && finding.impact.totalSeconds <= waited * 2)
        // The UPDATE's time is lock waits: step 2 must not call its plan fine and suggest a cache.
        #expect(!diagnosis.findings.contains { $0.fix.contains("cache its result") })
        let statement = try #require(diagnosis.findings.first { $0.check == .lockBoundStatement })
        #expect(statement.object == "UPDATE counters SET n = n + $1 WHERE id = $2")
        #expect(statement.impact.totalSeconds < finding.impact.totalSeconds / 2)
    }

    @Test func rolePasswordsInEverySpellingNeverReachTheEvidenceOrTheDiagnosis() throws {
        let database = try ScratchDatabase.create()
        let role = "strain_secret_\(UInt32.random(in: 0...UInt32.max))"
        defer {
            try? database.drop()
            _ = try? PGConnection(conninfo: TestServers.postgresConninfo).execute("DROP ROLE IF EXISTS \(role), \(role)_u, \(role)_l")
        }
        let secrets = (1...7).map { "hunter\($0)-secret" }
        // Before the window: pg_stat_statements keeps it, so the first snapshot has it.
        try database.setUp("CREATE ROLE \(role) PASSWORD '\(secrets[0])'", "CREATE ROLE \(role)_l")
        let statements = ["CREATE USER \(role)_u PASSWORD $$\(secrets[1])$$",
                          "ALTER ROLE \(role) PASSWORD $pw$\(secrets[2])$pw$",
                          "ALTER ROLE \(role) PASSWORD E'\\\\\(secrets[3])'",
                          "ALTER ROLE \(role) ENCRYPTED PASSWORD U&'\(secrets[4])'"]
        // Left idle in its transaction, so pg_stat_activity shows it to every sample and the leak finding
        // quotes it (another role: the transaction keeps its role locked).
        let leaky = try database.connect(application: "leaky-admin")
        try leaky.execute("BEGIN")
        try leaky.execute("ALTER ROLE \(role)_l PASSWORD '\(secrets[5])' VALID UNTIL 'infinity'")

        let settings = DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false, idleInTransactionAfterSeconds: 1)
        let session = DiagnosisSession(settings: settings)
        try session.start()
        let admin = try database.connect(application: "admin")
        for statement in statements { try admin.execute(statement) }
        try admin.execute("SELECT $1::text AS password", parameters: [secrets[6]])
        Thread.sleep(forTimeInterval: Self.window)
        let evidence = session.stop()
        try leaky.execute("ROLLBACK")
        let diagnosis = Diagnoser.diagnose(evidence, options: settings.checkOptions)

        let written = String(decoding: try DiagnosisJSON.encode(evidence) + DiagnosisJSON.encode(diagnosis), as: UTF8.self)
        #expect(written.contains("PASSWORD '***'"))
        #expect(diagnosis.findings.contains { $0.evidence.contains { $0.contains("PASSWORD '***' VALID UNTIL") } })
        for secret in secrets { #expect(!written.contains(secret), "\(secret) was written") }
    }

    @Test func slowLoopbackDependencyIsNamedWithItsTimings() throws {
        let slow = try LoopbackHTTPServer(delay: 0.15)
        defer { slow.stop() }
        let settings = DiagnoseSettings(
            collectLocalHost: false,
            dependencies: [.init(name: "payments", url: try #require(URL(string: slow.url()))),
                           .init(name: "static", url: try #require(URL(string: TestServers.httpURL)))])

        let diagnosis = try observe(settings)

        #expect(diagnosis.findings.count == 1)
        let finding = try #require(diagnosis.findings.first)
        #expect(finding.check == .slowDependency)
        #expect(finding.object == "payments")
        #expect(finding.title.hasPrefix("Slow dependency payments: 1"))
        #expect(finding.evidence.contains { $0.hasPrefix("median: connect ") && $0.contains(", first byte 1") })
    }

    @Test func healthyWorkloadYieldsNothingAboveInfo() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        try database.setUp(
            "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)",
            "INSERT INTO products SELECT i, 'Product ' || i, i % 100 FROM generate_series(1, 50000) i",
            "ANALYZE products")
        let settings = DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false,
                                        dependencies: [.init(name: "static", url: try #require(URL(string: TestServers.httpURL)))])

        let diagnosis = try observe(settings, database: database) { connection in
            try connection.execute("SELECT name, price FROM products WHERE id = $1", parameters: ["\(Int.random(in: 1...50000))"])
        }

        #expect(diagnosis.findings.allSatisfy { $0.severity == .info }, "\(diagnosis.findings.map(\.title))")
        #expect(diagnosis.notes.count == Finding.Step.allCases.count)
    }

    @Test func phaseMarksSnapshotTheStatementsAtOnce() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        let connection = try database.connect(application: "phases")
        try connection.execute("SELECT 1")
        session.markPhase(name: "steady")
        try connection.execute("SELECT 2")
        let evidence = session.stop()

        #expect(evidence.phases.map(\.name) == ["steady"])
        let snapshots = try #require(evidence.postgres?.statementSnapshots)
        #expect(snapshots.map(\.label) == ["start", "steady", "end"])
        #expect(session.stop() == evidence)
    }

    /// Calls are read every second on the load's seconds: the stretches follow one another without
    /// a gap and hold every call of a statement the load ran.
    @Test func statementCallsAreReadSecondBySecond() throws {
        let database = try ScratchDatabase.create()
        defer { try? database.drop() }
        let session = DiagnosisSession(settings: DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false))
        try session.start()
        session.alignStatementCalls(to: Date())
        let connection = try database.connect(application: "seconds")
        for call in 0..<60 {
            try connection.execute("SELECT $1::int + 1 AS next", parameters: ["\(call)"])
            if call % 20 == 19 { Thread.sleep(forTimeInterval: 0.6) }
        }
        let evidence = session.stop()

        let stretches = try #require(evidence.postgres?.statementCalls)
        #expect(stretches.count >= 2)
        #expect(zip(stretches, stretches.dropFirst()).allSatisfy { $0.to == $1.from && $0.from < $0.to })
        let statement = try #require(evidence.postgres?.statementSnapshots.last?.statements.first { $0.query == "SELECT $1::int + $2 AS next" })
        #expect(stretches.flatMap(\.calls).filter { $0.queryID == statement.queryID }.reduce(0) { $0 + $1.calls } == 60)
    }

    @Test func hostCountersAreSampledFromProc() throws {
        let session = DiagnosisSession(settings: DiagnoseSettings(sampleInterval: 0.5))
        try session.start()
        Thread.sleep(forTimeInterval: 1.2)
        let evidence = session.stop()

        let host = try #require(evidence.host)
        #expect(host.source == "/proc")
        #expect(host.samples.count >= 3)
        #expect(host.samples.allSatisfy { $0.cpu != nil && $0.memory != nil && $0.runnable != nil })
        #expect(evidence.postgres == nil)
    }

    @Test func remoteHostCountersComeFromANodeExporter() throws {
        let exporter = try LoopbackHTTPServer(body: NodeExporterFixtures.first)
        defer { exporter.stop() }
        let url = exporter.url(path: "/metrics")
        let session = DiagnosisSession(settings: DiagnoseSettings(nodeExporter: URL(string: url), sampleInterval: 0.5))
        try session.start()
        Thread.sleep(forTimeInterval: 1.2)
        let evidence = session.stop()

        #expect(evidence.gaps.isEmpty, "\(evidence.gaps)")
        let host = try #require(evidence.host)
        #expect(host.source == url)
        #expect(host.cores == 2)
        #expect(host.samples.count >= 3)
        #expect(host.samples.allSatisfy { $0.disks.map(\.name) == ["vda"] && $0.load1 == 3.9 })
    }

    @Test func anEndlessNodeExporterPageFailsTheSampleInsteadOfFillingMemory() throws {
        let exporter = try LoopbackHTTPServer(body: String(repeating: "# filler\n", count: 10_000), endless: true)
        defer { exporter.stop() }
        let session = DiagnosisSession(settings: DiagnoseSettings(nodeExporter: URL(string: exporter.url(path: "/metrics")),
                                                                  sampleInterval: 0.5))
        try session.start()
        Thread.sleep(forTimeInterval: 1.2)
        let evidence = session.stop()

        #expect(evidence.host?.samples.isEmpty ?? true)
        #expect(evidence.gaps.contains { $0.message.contains("response body is over 16777216 bytes") }, "\(evidence.gaps)")
    }

    @Test func profilerNamesTheHotFramesOfABusyProcess() throws {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/bin/sh")
        // Bounded (a minute or two) in case the test dies before terminating it.
        busy.arguments = ["-c", "i=0; while [ $i -lt 30000000 ]; do i=$((i+1)); done"]
        try busy.run()
        // SIGKILL: a child of a test thread inherits its blocked SIGTERM, so terminate() would not stop it.
        defer {
            kill(busy.processIdentifier, SIGKILL)
            busy.waitUntilExit()
        }

        let session = DiagnosisSession(settings: DiagnoseSettings(pid: busy.processIdentifier, collectLocalHost: false))
        try session.start()
        Thread.sleep(forTimeInterval: 2)
        let evidence = session.stop()

        let profile = try #require(evidence.profiler, "gaps: \(evidence.gaps)")
        #expect(profile.pid == busy.processIdentifier)
        #expect(profile.samples > 0)
        #expect(!profile.frames.isEmpty)
    }

    @Test func unreachableDatabaseFailsToStartWithoutShowingThePassword() throws {
        let port = try TestServers.closedPort()
        let session = DiagnosisSession(settings: DiagnoseSettings(
            postgres: "host=127.0.0.1 port=\(port) user=postgres password=hunter2-secret connect_timeout=2"))
        let error = try #require(throws: DiagnoseSetupError.self) { try session.start() }
        #expect(error.description.contains("cannot connect to PostgreSQL"))
        #expect(!error.description.contains("hunter2-secret"))
    }

    // MARK: Helpers

    /// Observes `database` for the window while `workload` runs in a loop on its own connection.
    private func observe(_ database: ScratchDatabase, idleInTransactionAfter: Double = 5,
                         workload: ((PGConnection) throws -> Void)? = nil) throws -> Diagnosis {
        let settings = DiagnoseSettings(postgres: database.conninfo, collectLocalHost: false,
                                        idleInTransactionAfterSeconds: idleInTransactionAfter)
        return try observe(settings, database: database, workload: workload)
    }

    private func observe(_ settings: DiagnoseSettings, database: ScratchDatabase? = nil,
                         workload: ((PGConnection) throws -> Void)? = nil) throws -> Diagnosis {
        let session = DiagnosisSession(settings: settings)
        try session.start()
        if let workload, let database {
            let connection = try database.connect(application: "workload")
            let deadline = Date().addingTimeInterval(Self.window)
            while Date() < deadline { try workload(connection) }
        } else {
            Thread.sleep(forTimeInterval: Self.window)
        }
        let evidence = session.stop()
        #expect(evidence.gaps.isEmpty, "\(evidence.gaps)")
        return Diagnoser.diagnose(evidence, options: settings.checkOptions)
    }
}
