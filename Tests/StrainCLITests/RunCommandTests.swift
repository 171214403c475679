import Foundation
import StrainContract
import StrainTestSupport
import Testing

/// `strain run` end to end: the built binary against the test nginx, briefly.
@Suite("strain run", .serialized)
struct RunCommandTests {
    /// A fresh output folder, removed by the caller.
    static func outputFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("strain-run-\(UUID().uuidString)")
    }

    static func artifact(in folder: URL) throws -> RunArtifact {
        try RunArtifact.read(from: folder.appendingPathComponent("run.json"))
    }

    @Test func adHocClosedLoadWritesTheArtifactAndTheTimelineAndSaysWhere() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-c", "4", "-d", "2s",
                                             "--workers", "2", "--out", out.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("latency"))
        #expect(outcome.stdout.contains("Results: \(out.path)/run.json"))
        let artifact = try Self.artifact(in: out)
        #expect(artifact.status == .completed)
        #expect(artifact.profile?.name == "adhoc")
        #expect(artifact.validity.valid, "\(artifact.validity.reasons)")
        let step = try #require(artifact.scenarios.first?.steps.first)
        #expect(step.requests > 0 && step.failures == 0)
        #expect(step.counters["newConnections"] == 4)
        let timeline = try TimelineReader.read(from: out.appendingPathComponent("timeline.ndjson"))
        #expect(timeline.count >= 2)
        #expect(timeline.reduce(0) { $0 + $1.steps.reduce(0) { $0 + $1.requests } } == step.requests)
    }

    /// A folder that holds a run already is not written over: that run would be lost, and its
    /// leftovers (a diagnosis) would show in the new run's reports.
    @Test func anOutputFolderHoldingARunIsRefused() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let first = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-n", "3", "--out", out.path])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: out.appendingPathComponent("run.json"))
        let second = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-n", "5", "--out", out.path])
        #expect(second.status == 2)
        #expect(second.stderr.contains("\(out.path) already holds a run's files (run.json, timeline.ndjson"), "\(second.stderr)")
        // Refused before the run announces the folder as where its results will be.
        #expect(!second.stderr.contains("results in"), "\(second.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("run.json")) == before)
    }

    /// A link in the folder where a run's file goes, even one that points nowhere yet, is refused: the
    /// run would write through it, outside the folder.
    @Test func aLinkWhereARunFileGoesIsRefused() throws {
        let out = Self.outputFolder()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("strain-outside-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: out.appendingPathComponent("timeline.ndjson"), withDestinationURL: outside)
        let run = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-n", "3", "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("already holds a run's files (timeline.ndjson)"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside.path))
    }

    /// `--json` into a full disk (or a closed pipe) is a write error that says so, not a trap: the
    /// summary is still in the folder.
    @Test func aJSONSummaryThatCannotBeWrittenIsAnErrorNotACrash() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"exec "$0" "$@" >/dev/full"#, StrainProcess.binary.path,
                             "run", "--url", TestServers.httpURL + "/1k.bin", "-n", "3", "--json", "--out", out.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 5, "\(message)")
        #expect(message.contains("cannot print the JSON summary (No space left on device); it is in \(out.path)/report.json"), "\(message)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
    }

    /// The folder removed under a run: the final write fails, and the figures are shown rather than
    /// lost with it (exit 5, saying what was not saved).
    @Test func aRunWhoseFolderIsGoneShowsItsFiguresAndSaysTheyWereNotSaved() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["run", "--url", TestServers.httpURL + "/index.html", "-c", "2", "-d", "3s", "--out", out.path]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        #expect(Self.waitUntil { FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path) })
        try FileManager.default.removeItem(at: out)
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 5, "\(message)")
        #expect(printed.contains("latency"), "\(printed)")
        #expect(message.contains("the figures above were not saved"), "\(message)")
    }

    /// An output folder that cannot be made says why in plain words, before any load.
    @Test func anOutputFolderThatIsAFileIsRefusedPlainly() throws {
        let file = Self.outputFolder()
        try Data("not a folder".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-n", "1", "--out", file.path])
        #expect(outcome.status == 5)
        #expect(outcome.stderr.contains("\(file.path): create the output folder failed: it exists and is not a folder"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("NSCocoaErrorDomain"))
        #expect(try String(contentsOf: file, encoding: .utf8) == "not a folder")

        let empty = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/1k.bin", "-n", "1", "--out", ""])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("option --out needs a value, found an empty one"), "\(empty.stderr)")
    }

    @Test(.oneLoadAtATime) func adHocRateRunsTheOpenModel() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/index.html", "--rate", "100/s", "-d", "2s",
                                             "--quiet", "--out", out.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let step = try #require(try Self.artifact(in: out).scenarios.first?.steps.first)
        #expect(step.requests == 200) // 100/s × 2 s
        #expect(step.phases["schedulerLag"] != nil)
    }

    @Test(arguments: [(threshold: #""errors": ["count == 0"]"#, status: Int32(0)),
                      (threshold: #""latency": ["p(99) < 1us"]"#, status: Int32(1))])
    func thresholdsDecideTheExitStatus(threshold: String, status: Int32) throws {
        let out = Self.outputFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let profile = out.appendingPathComponent("profile.json5")
        try """
        { name: "gate", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "home", load: { model: "closed", connections: 2, iterations: 50 },
                        steps: [{ path: "/index.html", check: { status: [200] } }] }],
          thresholds: { \(threshold) } }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", profile.path, "--out", out.appendingPathComponent("run").path])
        #expect(outcome.status == status, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(outcome.stdout.contains("Thresholds:"))
        let artifact = try Self.artifact(in: out.appendingPathComponent("run"))
        #expect(artifact.profile?.path == profile.path)
        #expect(artifact.scenarios[0].iterations == 50)

        // The folder alone gives the same verdict: from another directory, the profile gone.
        try FileManager.default.removeItem(at: profile)
        let report = try StrainProcess.run(["report", out.appendingPathComponent("run").path], directory: FileManager.default.temporaryDirectory)
        #expect(report.status == status, "\(report.stdout)\n\(report.stderr)")
        #expect(report.stdout.contains(status == 0 ? "Thresholds: all 1 passed" : "Thresholds: 1 of 1 failed"), "\(report.stdout)")
    }

    /// A low soft limit on open files is raised to the hard one, so 100 connections work under
    /// `ulimit -Sn 64`; a hard limit that cannot hold the connections is refused before anything is sent.
    @Test func theOpenFileLimitIsRaisedAndConnectionsBeyondItAreRefused() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let raised = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/index.html", "-c", "100", "-n", "200",
                                            "--quiet", "--out", out.path], ulimit: ["-Sn", "64"])
        #expect([0, 4].contains(raised.status), "\(raised.stderr)")
        let step = try #require(try Self.artifact(in: out).scenarios.first?.steps.first)
        #expect(step.failures == 0, "\(step.errors)")
        let refused = try StrainProcess.run(["run", "--url", try TestServers.closedPortURL(), "-c", "500", "-d", "5s",
                                             "--quiet", "--out", out.appendingPathComponent("refused").path], ulimit: ["-n", "256"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("asks for up to 500 connections"))
        #expect(refused.stderr.contains("this process may open only 256"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("refused/run.json").path))
    }

    @Test func seedIsRecordedAndReusedFromTheCommandLine() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/index.html", "--rate", "50/s", "--arrival", "poisson",
                                             "-d", "1s", "--seed", "4242", "--quiet", "--out", out.path])
        #expect([0, 4].contains(outcome.status), "\(outcome.stderr)")
        #expect(try Self.artifact(in: out).seed == 4242)
        #expect(outcome.stdout.contains("seed 4242"))
        let bad = try StrainProcess.run(["run", "--url", TestServers.httpURL, "--seed", "-1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--seed: expected a whole number"))
    }

    @Test func anAbortOnFailThresholdStopsTheRunEarly() throws {
        let out = Self.outputFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let profile = out.appendingPathComponent("profile.json5")
        try """
        { name: "abort", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "home", load: { model: "open", rate: "50/s", duration: "60s" }, steps: [{ path: "/index.html" }] }],
          thresholds: { "home.latency": [{ threshold: "p(99) < 1us", abortOnFail: true }] } }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", profile.path, "--out", out.appendingPathComponent("run").path])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("note: stopping early: threshold home.latency: p(99) < 1µs failed"))
        let artifact = try Self.artifact(in: out.appendingPathComponent("run"))
        #expect(artifact.status == .stoppedEarly)
        #expect(artifact.earlyStop?.cause == .threshold)
        #expect(artifact.earlyStop?.reason.hasPrefix("threshold home.latency: p(99) < 1µs failed") == true)
        #expect(artifact.endedAt.timeIntervalSince(artifact.startedAt) < 60)
    }

    @Test func aUniqueFeederRunningOutIsAnEarlyStopWithItsOwnExitCode() throws {
        let out = Self.outputFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let profile = out.appendingPathComponent("profile.json5")
        try "code\nA\nB\n".write(to: out.appendingPathComponent("codes.csv"), atomically: true, encoding: .utf8)
        try """
        { name: "unique", target: { baseURL: "\(TestServers.httpURL)" },
          feeders: { codes: { csv: "codes.csv", mode: "unique" } },
          scenarios: [{ name: "redeem", load: { model: "closed", connections: 1, iterations: 10 },
                        steps: [{ path: "/index.html?code=${codes.code}" }] }] }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", profile.path, "--quiet", "--out", out.appendingPathComponent("run").path])
        #expect(outcome.status == 6, "\(outcome.stdout)\n\(outcome.stderr)")
        #expect(outcome.stdout.contains("The run stopped early, "))
        #expect(outcome.stdout.contains("scenario \"redeem\" stopped: its unique feeder codes ran out of rows"))
        let artifact = try Self.artifact(in: out.appendingPathComponent("run"))
        #expect(artifact.status == .stoppedEarly)
        #expect(artifact.earlyStop?.cause == .feederExhausted)
        #expect(artifact.scenarios[0].iterations == 2)
    }

    @Test func anUnreachableTargetIsAnInfrastructureFailure() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try StrainProcess.run(["run", "--url", try TestServers.closedPortURL(), "-n", "3", "-c", "1", "--out", out.path])
        #expect(outcome.status == 5)
        #expect(outcome.stderr.contains("unreachable"))
        #expect(outcome.stdout.contains("connect refused"))
    }

    @Test func aTargetThatRefusesEveryConnectionStopsTheRunWithinSeconds() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let started = Date()
        let outcome = try StrainProcess.run(["run", "--url", try TestServers.closedPortURL(), "--rate", "50/s", "-d", "30s",
                                             "--quiet", "--out", out.path])
        #expect(outcome.status == 5)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(outcome.stderr.contains("the target is unreachable: all"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("failed to connect (connect refused)"))
    }

    /// A target that goes away mid-run: the run stops 5 s later, fails (exit 5) and says when, and what
    /// it measured before stays in the folder — not a run that "completed" at a rate made of refusals.
    @Test func aTargetThatStopsAcceptingConnectionsMidRunFailsTheRunAndSaysWhen() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let server = try LoopbackHTTPServer(.closeAfterEachResponse)
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { server.stop() }
        let started = Date()
        let outcome = try StrainProcess.run(["run", "--url", server.url, "-c", "2", "-d", "60s", "--quiet", "--out", out.path])
        #expect(outcome.status == 5, "\(outcome.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(outcome.stderr.contains("the target stopped accepting connections "), "\(outcome.stderr)")
        let artifact = try Self.artifact(in: out)
        #expect(artifact.status == .failed)
        #expect(artifact.scenarios[0].steps[0].statuses["200"] ?? 0 > 0)
    }

    @Test(arguments: [
        (["run", "--url", "http://127.0.0.1:1/", "--rate", "fast"], "--rate: expected a rate like"),
        (["run", "--url", "http://127.0.0.1:1/", "-c", "0"], "--connections: expected a whole number of at least 1"),
        (["run"], "no profile given"),
        (["run", "profiles/http-quickstart.json5", "-m", "POST"], "-m describes ad-hoc load and needs a URL"),
        (["run", "profiles/http-quickstart.json5", "-d", "0s"], "--duration: must be longer than 0s"),
        (["run", "profiles/http-quickstart.json5", "--threshold", "latency p(99) < 1s"], "--threshold \"latency p(99) < 1s\": expected METRIC: EXPRESSION"),
        (["run", "profiles/http-quickstart.json5", "http://127.0.0.1:1/"], "give a profile or URLs"),
        (["run", "--url", "http://127.0.0.1:1/", "--out", "-"], "--out -: a run writes several files, so it needs a folder; use --json"),
        (["run", "--targets", "/nonexistent/targets.txt"], "--targets /nonexistent/targets.txt: no such file"),
        (["run", "http://127.0.0.1:1/", "-H", "X-A: 1\r\nX-Injected: 2"], "--header: a header value cannot contain a control character other than tab"),
        // Not sent as "X: v": space before the colon makes no header (RFC 9112).
        (["run", "http://127.0.0.1:1/", "-H", "X :v"], #"--header: "X " is not a valid header name"#),
        (["run", "--url", "http://127.0.0.1:1/", "--rtae", "1/s"], "unknown option --rtae; did you mean --rate?"),
        // 10^8 threads took all the memory before the run began.
        (["run", "http://127.0.0.1:1/", "-n", "1", "--workers", "99999999"], "--workers: expected a whole number from 1 to 1024"),
        (["run", "--url", "http://127.0.0.1:1/", "-c", "99999999999999999999"],
         #"--connections: expected a whole number of at least 1 that fits in 64 bits, found "99999999999999999999""#),
        (["run", "--url", "http://127.0.0.1:1/", "-n", "1", "--body-file", "/dev/zero"], "--body-file: cannot read /dev/zero: not a regular file"),
    ])
    func usageMistakesExitTwo(arguments: [String], message: String) throws {
        let outcome = try StrainProcess.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    /// `strain run` against the test nginx for up to 60 s, writing to `out`, with its output captured.
    private static func startLongRun(out: URL) throws -> (process: Process, stdout: Pipe) {
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["run", "--url", TestServers.httpURL + "/index.html", "-c", "2", "-d", "60s", "--out", out.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, stdout)
    }

    /// Polls (every 0.1 s, for up to 30 s) until `condition` holds.
    private static func waitUntil(_ condition: () -> Bool) -> Bool {
        for _ in 0..<300 {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aStopSignalStopsGracefullyAndStillWritesEverything(signalNumber: Int32) throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let (process, stdout) = try Self.startLongRun(out: out)
        // Signal once the first interval is on disk: the run is under way.
        let timeline = out.appendingPathComponent("timeline.ndjson")
        #expect(Self.waitUntil { !((try? Data(contentsOf: timeline))?.isEmpty ?? true) })
        kill(process.processIdentifier, signalNumber)
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(printed.contains("Results: \(out.path)/run.json"))
        let artifact = try Self.artifact(in: out)
        #expect(artifact.status == .interrupted)
        #expect(artifact.earlyStop?.cause == .signal)
        #expect((artifact.scenarios.first?.steps.first?.requests ?? 0) > 0)
        #expect(artifact.endedAt.timeIntervalSince(artifact.startedAt) < 60)
        #expect(try TimelineReader.read(from: timeline).count >= 1)
    }

    /// Runs the profile `profile(port)` makes against a database that accepts connections and never
    /// answers, sends `signal` once the run has connected to it, and returns the exit status, what the
    /// run printed, and its run folder (removed by `cleanUp`).
    private static func stopWhileASilentDatabaseIsConnected(signal: Int32, profile: (Int) -> String)
        throws -> (status: Int32, printed: String, run: URL, cleanUp: () -> Void) {
        let silentDatabase = try LoopbackHTTPServer(.silent)
        defer { silentDatabase.stop() }
        let out = Self.outputFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let file = out.appendingPathComponent("profile.json5")
        try profile(silentDatabase.port).write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = StrainProcess.binary
        process.arguments = ["run", file.path, "--quiet", "--out", out.appendingPathComponent("run").path]
        let stderr = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        // Connecting: the process is past its start and before the load.
        #expect(Self.waitUntil { silentDatabase.connectionsAccepted > 0 })
        kill(process.processIdentifier, signal)
        let printed = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : -1
        return (status, printed, out.appendingPathComponent("run"), { try? FileManager.default.removeItem(at: out) })
    }

    /// Before the load begins (here the diagnosis waits for a database that never answers), a stop
    /// signal still stops the run and exits 130, not with the signal's default status (143).
    @Test func aStopSignalBeforeTheLoadBeginsStopsTheRunWithStatus130() throws {
        let stopped = try Self.stopWhileASilentDatabaseIsConnected(signal: SIGTERM) { port in
            """
            { name: "early-stop", target: { baseURL: "\(TestServers.httpURL)" },
              diagnose: { postgres: "host=127.0.0.1 port=\(port) user=strain dbname=strain connect_timeout=10" },
              scenarios: [{ name: "home", load: { model: "closed", connections: 1, duration: "5s" }, steps: [{ path: "/index.html" }] }] }
            """
        }
        defer { stopped.cleanUp() }
        #expect(stopped.status == 130, "\(stopped.printed)")
        #expect(stopped.printed.contains("stopped by SIGTERM before the load began; nothing was measured"), "\(stopped.printed)")
        #expect(!FileManager.default.fileExists(atPath: stopped.run.appendingPathComponent("run.json").path))
    }

    /// A PostgreSQL target that accepts connections and never answers: the workers' first connections
    /// wait for it, and a stop signal still stops the run at once, with its files (libpq alone would
    /// have blocked the workers until connect_timeout, and without one forever).
    @Test func aStopSignalWhileConnectingToASilentDatabaseStopsTheRunWithItsFiles() throws {
        let stopped = try Self.stopWhileASilentDatabaseIsConnected(signal: SIGINT) { port in
            """
            { name: "silent-db",
              scenarios: [{ name: "q", postgres: { conninfo: "host=127.0.0.1 port=\(port) user=strain dbname=strain sslmode=disable", pool: 2 },
                            load: { model: "closed", connections: 2, duration: "5s" }, steps: [{ sql: "SELECT 1" }] }] }
            """
        }
        defer { stopped.cleanUp() }
        #expect(stopped.status == 130, "\(stopped.printed)")
        let artifact = try RunArtifact.read(from: stopped.run.appendingPathComponent("run.json"))
        #expect(artifact.status == .interrupted)
        #expect(!stopped.printed.contains("cannot connect"), "\(stopped.printed)")
    }

    @Test func aKilledRunKeepsItsLastCheckpointAndReportRendersItAsIncomplete() throws {
        let out = Self.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let (process, _) = try Self.startLongRun(out: out)
        // The checkpoint at the start has no requests yet; the next one (5 s later) has.
        let checkpointed = Self.waitUntil {
            ((try? Self.artifact(in: out))?.scenarios.first?.steps.first?.requests ?? 0) > 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(checkpointed)
        let artifact = try Self.artifact(in: out)
        #expect(artifact.status == .running)

        // Its plan was not done: the gate does not pass it, and exits as for an interrupted run.
        let report = try StrainProcess.run(["report", out.path])
        #expect(report.status == 130, "\(report.stderr)")
        #expect(report.stdout.contains("incomplete"), "\(report.stdout)")
        #expect(report.stdout.contains("until its last checkpoint"))
    }
}
