import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StrainTestSupport
import Testing

/// `strain capacity` through the built binary against servers whose capacity is known in advance.
/// Serialized: each measures a knee, and two searches at once would share the generator's cores.
@Suite("strain capacity", .serialized, .oneLoadAtATime)
struct CapacityCommandTests {
    /// nginx's `limit_req` answers 503 to what exceeds 500 requests a second (scripts/nginx): with
    /// constant arrivals, a rate r above it fails a share 1 − 500/r, so `errors: rate < 1%` holds up to
    /// about 505/s and the 5% bisection lands within a few percent of 500/s; ±12% leaves room for the
    /// generator's jitter on a shared machine.
    @Test func findsTheRateLimitOfNginx() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.write("limited.json5", """
        { name: "limited", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "web", load: { rate: "150/s", duration: "10s" }, steps: [{ name: "limited", path: "/limited" }] }] }
        """)
        let folder = fixtures.directory.appendingPathComponent("capacity")
        let run = try StrainProcess.run(["capacity", profile.path, "--slo", "errors: rate < 1%", "--step-duration", "4s",
                                         "--max-rate", "2000/s", "--max-duration", "2m", "--workers", "1", "--out", folder.path],
                                        timeLimit: 240)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let capacity = try Self.capacityJSON(folder)
        let rate = try #require(capacity["sustainableRate"] as? Double)
        #expect(abs(rate - 500) <= 0.12 * 500, "capacity \(rate)/s; stdout: \(run.stdout)")
        #expect(run.stdout.contains("capacity \(Self.rateText(rate))"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("capacity.html").path))
        let steps = try #require(capacity["steps"] as? [[String: Any]])
        #expect(steps.first?["rate"] as? Double == 150)
        #expect(steps.contains { $0["verdict"] as? String == "failed" })
    }

    /// A pool of 2 workers, each request holding one for 50 ms: capacity μ = 2 / 50 ms = 40/s. With
    /// constant arrivals and a fixed service time nothing queues below μ (D/D/2), so p99 stays near
    /// 50 ms, plus up to 40 ms of delayed ACK (the server writes head and body apart); above μ the
    /// backlog grows by λ − μ every second, and a step of 4 s overloaded by more than 2% ends with waits
    /// above 80 ms, failing `p(99) < 150ms`. The search's 5% resolution and Python's own cost per
    /// request (which only lowers the real capacity) give the tolerance: 34–44/s. Rates this low leave
    /// the machine's cores to the generator: at 240/s the hundred threads of the overloaded Python
    /// server, beside a busy core, kept the generator's thread from a core and its self-check failed.
    @Test func findsTheKneeOfAWorkerPoolWhereQueueingTheoryPutsIt() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let pool = try PoolServer(workers: 2)
        defer { pool.stop() }
        let profile = try fixtures.write("pool.json5", """
        { name: "pool", target: { baseURL: "\(pool.url)" },
          scenarios: [{ name: "work", load: { rate: "12/s", duration: "10s" }, steps: [{ name: "work", path: "/delay/50" }] }],
          thresholds: { latency: ["p(99) < 150ms"] } }
        """)
        let folder = fixtures.directory.appendingPathComponent("capacity")
        let run = try StrainProcess.run(["capacity", profile.path, "--step-duration", "4s", "--max-rate", "200/s",
                                         "--max-duration", "2m", "--workers", "1", "--out", folder.path], timeLimit: 240)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let rate = try #require(try Self.capacityJSON(folder)["sustainableRate"] as? Double)
        #expect(rate >= 34 && rate <= 44, "capacity \(rate)/s; stdout: \(run.stdout)")
    }

    /// What saturated first: one worker, each request holding it for 50 ms (μ = 20/s). Requests queue
    /// for it while the server's CPU idles, so the diagnoser of the failing step nearest the knee finds
    /// waiting inside the service. Low rates: the generator's own schedule is not what is tested here.
    @Test func theDiagnoserNamesWhatSaturatedFirst() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let pool = try PoolServer(workers: 1)
        defer { pool.stop() }
        let profile = try fixtures.write("pool.json5", """
        { name: "pool", target: { baseURL: "\(pool.url)" },
          scenarios: [{ name: "work", load: { rate: "8/s", duration: "10s" }, steps: [{ name: "work", path: "/delay/50" }] }],
          thresholds: { latency: ["p(99) < 250ms"] },
          diagnose: { pid: \(pool.process.processIdentifier) } }
        """)
        let folder = fixtures.directory.appendingPathComponent("capacity")
        let run = try StrainProcess.run(["capacity", profile.path, "--step-duration", "4s", "--max-rate", "100/s",
                                         "--max-duration", "2m", "--workers", "1", "--out", folder.path], timeLimit: 240)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let capacity = try Self.capacityJSON(folder)
        let rate = try #require(capacity["sustainableRate"] as? Double)
        #expect(rate >= 14 && rate <= 22, "capacity \(rate)/s; stdout: \(run.stdout)")
        let limitedBy = try #require(capacity["limitedBy"] as? String, "stdout: \(run.stdout)")
        #expect(run.stdout.contains("limited by \(limitedBy)"))
        let steps = try #require(capacity["steps"] as? [[String: Any]])
        let knee = try #require(steps.filter { $0["verdict"] as? String == "failed" }
            .min { ($0["rate"] as? Double ?? 0) < ($1["rate"] as? Double ?? 0) })
        let diagnosis = try JSONSerialization.jsonObject(with: Data(contentsOf: folder
            .appendingPathComponent(try #require(knee["folder"] as? String)).appendingPathComponent("diagnosis.json"))) as? [String: Any]
        let findings = try #require(diagnosis?["findings"] as? [[String: Any]])
        print("capacity limited by: \(limitedBy); findings at the knee: \(findings.map { $0["check"] as? String ?? "?" })")
        #expect(findings.contains { $0["check"] as? String == "waiting-inside-service" })
    }

    @Test func evenTheLowestStepFailingExitsOne() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.write("failing.json5", """
        { name: "failing", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "web", load: { rate: "20/s", duration: "10s" }, steps: [{ path: "/status/500" }] }] }
        """)
        let folder = fixtures.directory.appendingPathComponent("capacity")
        let run = try StrainProcess.run(["capacity", profile.path, "--slo", "errors: rate < 1%", "--step-duration", "3s",
                                         "--out", folder.path], timeLimit: 60)
        #expect(run.status == 1, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stdout.contains("no capacity: the SLO failed even at the lowest step, 20.0/s"))
        #expect(try Self.capacityJSON(folder)["verdict"] as? String == "none_held")
    }

    /// A stop signal during the search: the steps finished so far are still judged and written in
    /// capacity.json (the step cut short is kept as a folder, not judged), and the exit is 130.
    @Test func anInterruptedSearchStillWritesWhatItsFinishedStepsShowed() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.write("steady.json5", """
        { name: "steady", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "web", load: { rate: "20/s", duration: "10s" }, steps: [{ path: "/index.html" }] }] }
        """)
        let folder = fixtures.directory.appendingPathComponent("capacity")
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["capacity", profile.path, "--slo", "errors: rate < 1%", "--step-duration", "3s",
                             "--max-rate", "10000/s", "--workers", "1", "--out", folder.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The second step's folder appears once the first step has been judged.
        let secondStep = folder.appendingPathComponent("steps/02-40/run.json")
        var started = false
        for _ in 0..<300 where !started {
            Thread.sleep(forTimeInterval: 0.1)
            started = FileManager.default.fileExists(atPath: secondStep.path)
        }
        #expect(started)
        kill(process.processIdentifier, SIGTERM)
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(printed)")
        let capacity = try Self.capacityJSON(folder)
        #expect(capacity["verdict"] as? String == "at_least")
        #expect(capacity["limit"] as? String == "stopped")
        #expect(capacity["sustainableRate"] as? Double == 20)
        #expect((capacity["stoppedEarly"] as? String)?.hasPrefix("interrupted during the step at 40.0/s (steps/02-40") == true)
        #expect((capacity["steps"] as? [[String: Any]])?.map { $0["rate"] as? Double } == [20])
        #expect(printed.contains("capacity ≥ 20.0/s, the search stopped early: interrupted"), "\(printed)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("capacity.html").path))
    }

    @Test func refusesAnSLOItCannotMeasureAfterTheWarmUp() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.write("checks.json5", """
        { name: "checks", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "web", load: { rate: "20/s", duration: "10s" }, steps: [{ path: "/index.html" }] }] }
        """)
        let run = try StrainProcess.run(["capacity", profile.path, "--slo", "checks: rate > 0.99"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("checks is not measured per second"))

        // A budget shorter than one step would still run that step in full.
        let short = try StrainProcess.run(["capacity", profile.path, "--slo", "latency: p(99) < 1s", "--max-duration", "0s"])
        #expect(short.status == 2)
        #expect(short.stderr.contains("--max-duration must be at least one step (--step-duration, 20s)"), "\(short.stderr)")
    }

    /// A folder that holds a search (its capacity.json, or a `steps` link that points elsewhere) is
    /// refused before the first step: nothing in it is replaced, nothing is written through the link.
    @Test func aFolderHoldingASearchIsRefusedBeforeAnyStep() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = try fixtures.write("again.json5", """
        { name: "again", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "web", load: { rate: "20/s", duration: "10s" }, steps: [{ path: "/index.html" }] }] }
        """)
        let earlier = fixtures.directory.appendingPathComponent("earlier")
        try FileManager.default.createDirectory(at: earlier, withIntermediateDirectories: true)
        try Data(#"{"sustainableRate": 20}"#.utf8).write(to: earlier.appendingPathComponent("capacity.json"))
        let again = try StrainProcess.run(["capacity", profile.path, "--slo", "errors: rate < 1%", "--step-duration", "3s",
                                           "--out", earlier.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds a run's files (capacity.json)"), "\(again.stderr)")
        #expect(try String(contentsOf: earlier.appendingPathComponent("capacity.json"), encoding: .utf8) == #"{"sustainableRate": 20}"#)

        let linked = fixtures.directory.appendingPathComponent("linked")
        let elsewhere = fixtures.directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: linked, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: linked.appendingPathComponent("steps"), withDestinationURL: elsewhere)
        let throughLink = try StrainProcess.run(["capacity", profile.path, "--slo", "errors: rate < 1%", "--step-duration", "3s",
                                                 "--out", linked.path])
        #expect(throughLink.status == 2)
        #expect(throughLink.stderr.contains("already holds steps/"), "\(throughLink.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    static func capacityJSON(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("capacity.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// As `Format.rate` prints it.
    static func rateText(_ rate: Double) -> String {
        rate >= 100 ? String(format: "%.1f/s", rate) : "\(rate)/s"
    }
}

extension ReportFixtures {
    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

private struct PoolServerError: Error, CustomStringConvertible {
    let port: Int
    var description: String { "the pool server on port \(port) did not start within 10 s" }
}

/// scripts/lib/delay_server.py with a pool of workers, on a port of its own, stopped by its PID.
private struct PoolServer {
    let process: Process
    let url: String

    init(workers: Int) throws {
        let port = try TestServers.closedPort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [StrainProcess.packageRoot.appendingPathComponent("scripts/lib/delay_server.py").path,
                             String(port), "--workers", String(workers)]
        try process.run()
        url = "http://127.0.0.1:\(port)"
        // Bounded wait until it accepts connections.
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw PoolServerError(port: port)
    }

    private static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// SIGKILL, not terminate()'s SIGTERM: a child inherits the signal mask of the test thread that
    /// started it, which may block SIGTERM, and waiting would never end.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
