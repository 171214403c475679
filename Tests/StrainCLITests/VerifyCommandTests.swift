import Foundation
import StrainDiagnose
import StrainPQ
import StrainTestSupport
import Testing

/// `strain verify` end to end through the built binary: a 300k-row table looked up by an unindexed
/// column, the run that finds the missing index, then verify's plan, its measurement and its
/// roll-back, and what it refuses. One database of its own, so the index never reaches other tests.
@Suite(.serialized, .oneLoadAtATime)
struct VerifyCommandTests {
    @Test func theMissingIndexFixCutsTheMedianMoreThanThreefoldAndIsRolledBack() throws {
        let lab = try VerifyLab()
        let run = try lab.run()
        let rank = try lab.missingIndexRank(run)

        // Without --yes: the plan, and nothing changed.
        let dry = try StrainProcess.run(["verify", run.path, "--finding", String(rank)], environment: lab.environment)
        #expect(dry.status == 0, "\(dry.stdout)\n\(dry.stderr)")
        #expect(dry.stdout.contains("1. CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers (email);"))
        #expect(dry.stdout.contains("3. DROP INDEX CONCURRENTLY IF EXISTS public.customers_email_idx;"))
        #expect(dry.stdout.contains("Nothing was changed: run again with --yes to do this."))
        #expect(try lab.indexes() == ["customers_pkey"])
        let verifyFolder = URL(fileURLWithPath: run.path + "-verify-\(rank)")
        #expect(!FileManager.default.fileExists(atPath: verifyFolder.path))

        // With --yes: applied, rerun, compared, dropped.
        let applied = try StrainProcess.run(["verify", run.path, "--finding", String(rank), "--yes"], environment: lab.environment)
        #expect(applied.status == 0, "\(applied.stdout)\n\(applied.stderr)")
        #expect(try lab.indexes() == ["customers_pkey"], "verify left an index behind")
        #expect(applied.stdout.contains("rolled back: DROP INDEX CONCURRENTLY IF EXISTS public.customers_email_idx;"))
        let data = try Data(contentsOf: verifyFolder.appendingPathComponent("verify.json"))
        let verify = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let before = try #require(verify["before"] as? [String: Any])
        let after = try #require(verify["after"] as? [String: Any])
        let p50Before = try #require(before["p50"] as? Double)
        let p50After = try #require(after["p50"] as? Double)
        print("verify: p50 \(p50Before * 1000) ms → \(p50After * 1000) ms (\(p50Before / p50After)×); "
              + "statement mean \(before["statementMeanSeconds"] ?? "–") → \(after["statementMeanSeconds"] ?? "–") s; "
              + "throughput \(before["throughput"] ?? "–") → \(after["throughput"] ?? "–")/s")
        #expect(p50Before > 3 * p50After, "p50 \(p50Before) → \(p50After)")
        #expect(verify["finding"] as? Int == rank)
        #expect(verify["fix"] as? String == "CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers (email);")
        #expect(verify["rollback"] as? String == "DROP INDEX CONCURRENTLY IF EXISTS public.customers_email_idx;")
        #expect(before["plan"] as? [String] == ["Seq Scan on public.customers"])
        #expect(after["plan"] as? [String] == ["Index Scan using customers_email_idx on public.customers"])
        let judged = try #require(verify["comparison"] as? [[String: Any]])
        #expect(judged.contains { $0["metric"] as? String == "p50" && $0["outcome"] as? String == "improvement" })

        // The before/after section, in the report formats too.
        let markdown = try String(contentsOf: verifyFolder.appendingPathComponent("verify.md"), encoding: .utf8)
        #expect(markdown.contains("| plan | Seq Scan on public.customers | Index Scan using customers_email_idx on public.customers |"))
        #expect(markdown.contains("| lookup.by-email | p50 |"))
        let html = try String(contentsOf: verifyFolder.appendingPathComponent("verify.html"), encoding: .utf8)
        #expect(html.contains("<h2>Before and after</h2>") && html.contains("Index Scan using customers_email_idx"))

        // Again into the same folder: refused before any index is built, the first verification kept.
        let again = try StrainProcess.run(["verify", run.path, "--finding", String(rank), "--yes"], environment: lab.environment)
        #expect(again.status == 2, "\(again.stderr)")
        #expect(again.stderr.contains("holds an earlier verification (after/ has its rerun): give --out another folder"), "\(again.stderr)")
        #expect(!again.stderr.contains("CREATE INDEX"))
        #expect(try Data(contentsOf: verifyFolder.appendingPathComponent("verify.json")) == data)
    }

    /// Ctrl-C while the index is being built cancels the build on the server and drops what it left
    /// (the process used to exit, and the server finished an index nobody dropped). A transaction left
    /// open elsewhere holds the concurrent build in its wait, as on a busy database.
    @Test func anInterruptDuringTheBuildCancelsItAndLeavesNoIndex() throws {
        let lab = try VerifyLab()
        let run = try lab.run()
        let rank = try lab.missingIndexRank(run)
        let blocker = try PGConnection(conninfo: lab.conninfo)
        _ = try blocker.execute("BEGIN")
        _ = try blocker.execute("SELECT txid_current()")
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["verify", run.path, "--finding", String(rank), "--yes", "--out", lab.folder.appendingPathComponent("interrupted").path]
        process.environment = ProcessInfo.processInfo.environment.merging(lab.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let observer = try PGConnection(conninfo: lab.conninfo)
        /// Polls (every 0.1 s, up to 30 s) until the build is (or is no longer) waiting on the server.
        func waitUntilBuilding(_ building: Bool) throws -> Bool {
            let query = "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND starts_with(query, 'CREATE INDEX CONCURRENTLY')"
            for _ in 0..<300 {
                if (try observer.execute(query).value(row: 0, column: "n") == "1") == building { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        #expect(try waitUntilBuilding(true))
        kill(process.processIdentifier, SIGINT)
        // Ended only once the build was cancelled: ended before, it would let the build finish.
        #expect(try waitUntilBuilding(false))
        _ = try blocker.execute("ROLLBACK")
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(message)")
        #expect(message.contains("interrupted during the build: it was cancelled and DROP INDEX CONCURRENTLY"), "\(message)")
        #expect(try lab.indexes() == ["customers_pkey"], "verify left an index behind")
    }

    @Test func refusesWhatItDidNotGenerateOrCannotMeasureTheSame() throws {
        let lab = try VerifyLab()
        let run = try lab.run()
        let rank = try lab.missingIndexRank(run)
        func verify(_ environment: [String: String]? = nil, finding: Int? = nil) throws -> StrainProcess.Outcome {
            try StrainProcess.run(["verify", run.path, "--finding", String(finding ?? rank), "--yes"],
                                  environment: environment ?? lab.environment)
        }

        // A finding that is not a missing index.
        let diagnosisURL = run.appendingPathComponent("diagnosis.json")
        let diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: diagnosisURL)
        if let other = diagnosis.findings.firstIndex(where: { $0.check != .missingIndex }) {
            let refused = try verify(finding: other + 1)
            #expect(refused.status == 2 && refused.stderr.contains("has no fix strain can run"), "\(refused.stderr)")
        }
        let beyond = try verify(finding: diagnosis.findings.count + 1)
        #expect(beyond.status == 2 && beyond.stderr.contains("there is no #"), "\(beyond.stderr)")

        // Another database of the same server.
        let elsewhere = try verify(["STRAIN_PG": TestServers.postgresConninfo])
        #expect(elsewhere.status == 2 && elsewhere.stderr.contains("but the run diagnosed \(lab.database)"), "\(elsewhere.stderr)")

        // A database that cannot be reached: the database failed (5), the run is not at fault.
        let unreachable = try verify(["STRAIN_PG": "host=127.0.0.1 port=\(try TestServers.closedPort()) dbname=x user=postgres connect_timeout=2"])
        #expect(unreachable.status == 5, "\(unreachable.stderr)")

        // A database of the same name on another server: the run's evidence names another cluster.
        let evidenceURL = run.appendingPathComponent("evidence.json")
        let evidenceData = try Data(contentsOf: evidenceURL)
        var evidence = try DiagnosisJSON.read(Evidence.self, from: evidenceURL)
        let identifier = try #require(evidence.postgres?.systemIdentifier, "the run recorded no system identifier")
        evidence.postgres?.systemIdentifier = identifier == "1" ? "2" : "1"
        try DiagnosisJSON.write(evidence, to: evidenceURL)
        let otherServer = try verify()
        #expect(otherServer.status == 2 && otherServer.stderr.contains("is now on another server"), "\(otherServer.stderr)")
        try evidenceData.write(to: evidenceURL)

        // A fix edited in diagnosis.json: never run, even though it still parses.
        let original = try Data(contentsOf: diagnosisURL)
        let tampered = String(decoding: original, as: UTF8.self)
            .replacing("ON public.customers (email);", with: "ON public.customers (email); DROP TABLE public.customers;")
        try tampered.write(to: diagnosisURL, atomically: true, encoding: .utf8)
        let edited = try verify()
        #expect(edited.status == 2 && edited.stderr.contains("has no fix strain can run"), "\(edited.stderr)")
        try original.write(to: diagnosisURL)

        // The profile changed since the run.
        let profile = lab.folder.appendingPathComponent("profile.json5")
        let text = try String(contentsOf: profile, encoding: .utf8)
        try (text + "\n// edited\n").write(to: profile, atomically: true, encoding: .utf8)
        let changed = try verify()
        #expect(changed.status == 2 && changed.stderr.contains("changed since the run"), "\(changed.stderr)")

        // A database host outside target.allow (a run of a profile that allows only another host).
        try text.replacing("allow: [\"127.0.0.1\"]", with: "allow: [\"db.example.invalid\"]").write(to: profile, atomically: true, encoding: .utf8)
        let elsewhereRun = try lab.run(name: "run-disallowed")
        let disallowed = try StrainProcess.run(["verify", elsewhereRun.path, "--finding", String(try lab.missingIndexRank(elsewhereRun)), "--yes"],
                                               environment: lab.environment)
        #expect(disallowed.status == 2 && disallowed.stderr.contains("is not in the profile's target.allow list"), "\(disallowed.stderr)")

        #expect(try lab.indexes() == ["customers_pkey"], "a refused verify changed the database")
    }
}

/// A database of its own with 300,000 customers and no index on their email, and a profile that
/// looks customers up by email with diagnosis on. At a rate, not in a closed loop: two connections
/// scanning the table back to back kept both cores busy, and beside anything else on the machine
/// the generator waited for a core and its self-check rightly failed the run.
private final class VerifyLab {
    private let fixture: FixtureDatabase
    var database: String { fixture.name }
    var conninfo: String { fixture.conninfo }
    let folder: URL
    var environment: [String: String] { ["STRAIN_PG": conninfo] }

    init() throws {
        fixture = try FixtureDatabase(prefix: "verify")
        let (database, conninfo) = (fixture.name, fixture.conninfo)
        let connection = try PGConnection(conninfo: conninfo)
        _ = try connection.execute("CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL)")
        _ = try connection.execute("""
            INSERT INTO customers (email, name)
            SELECT 'user' || g || '@example.com', 'name ' || g FROM generate_series(1, 300000) g
            """)
        _ = try connection.execute("VACUUM ANALYZE customers")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-\(database)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            { name: "lookup-by-email",
              target: { allow: ["127.0.0.1"] },
              scenarios: [{ name: "lookup", postgres: { conninfo: "${env.STRAIN_PG}", protocol: "prepared", pool: 2 },
                            load: { rate: "20/s", duration: "5s" },
                            steps: [{ name: "by-email", sql: "SELECT id, name FROM customers WHERE email = $1",
                                      params: ["user${random(1, 300000)}@example.com"], check: { rows: 1 } }] }],
              diagnose: { postgres: "${env.STRAIN_PG}" },
            }
            """.write(to: folder.appendingPathComponent("profile.json5"), atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// `strain run` of the profile; the run folder.
    func run(name: String = "run") throws -> URL {
        let out = folder.appendingPathComponent(name)
        // Named relative to the lab's folder, where verify (run from elsewhere) must still find it.
        let outcome = try StrainProcess.run(["run", "profile.json5", "--quiet", "--out", out.path],
                                            environment: environment, directory: folder)
        try #require(outcome.status == 0, "\(outcome.stdout)\n\(outcome.stderr)")
        return out
    }

    /// The rank (1-based) of the run's missing-index finding.
    func missingIndexRank(_ run: URL) throws -> Int {
        let diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: run.appendingPathComponent("diagnosis.json"))
        let index = try #require(diagnosis.findings.firstIndex { $0.check == .missingIndex },
                                 "\(diagnosis.findings.map(\.title))")
        #expect(diagnosis.findings[index].fix == "CREATE INDEX CONCURRENTLY customers_email_idx ON public.customers (email);")
        return index + 1
    }

    /// The customers table's indexes, by name.
    func indexes() throws -> [String] {
        let rows = try PGConnection(conninfo: conninfo)
            .execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers' ORDER BY indexname")
        return (0..<rows.rowCount).compactMap { rows.value(row: $0, column: "indexname") }
    }
}
