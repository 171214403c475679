import Foundation
import StrainTestSupport
import Testing

struct DiagnoseCommandTests {
    @Test(arguments: [
        (["--window", "fast"], "--window:"),
        (["--window", "0s"], "--window: must be longer than 0"),
        (["--dependency", "payments"], "--dependency: expected NAME=URL, found \"payments\""),
        (["--dependency", "a=http://127.0.0.1:1/", "--dependency", "a=http://127.0.0.1:2/"], "the name \"a\" is given twice"),
        (["--dependency", "a=ftp://127.0.0.1/"], "--dependency a: expected an http:// or https:// URL"),
        (["--pid", "-3"], "--pid: expected a process id"),
        (["--evidence", "saved.json", "--window", "5s"], "--window observes a live system; --evidence replays a saved one"),
        (["--access-log", "/nonexistent/access.log"], "--access-log /nonexistent/access.log: open failed: No such file or directory"),
        (["--access-log", "/dev/null"], "--access-log /dev/null: read failed: not a regular file"),
        (["--postgres"], "option --postgres needs a value"),
        (["--windw", "5s"], "unknown option --windw; did you mean --window?"),
        (["--fail-on", "warnng"], #"--fail-on: expected warning or critical, found "warnng"; did you mean warning?"#),
        (["now"], "unexpected argument 'now'"),
    ])
    func badUsageSaysWhatIsWrong(arguments: [String], message: String) throws {
        let outcome = try StrainProcess.run(["diagnose"] + arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("usage: strain diagnose"))
    }

    @Test func unreachableDatabaseIsAnInfrastructureErrorWithoutThePassword() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let conninfo = "host=127.0.0.1 port=\(try TestServers.closedPort()) user=postgres password=hunter2-secret connect_timeout=2"
        let outcome = try StrainProcess.run(["diagnose", "--postgres", conninfo, "--window", "1s", "--out", directory.path])
        #expect(outcome.status == 5)
        #expect(outcome.stderr.contains("cannot connect to PostgreSQL"))
        #expect(!(outcome.stdout + outcome.stderr).contains("hunter2-secret"))
    }

    @Test func observesAWindowWritesTheReportsAndCanDiagnoseTheEvidenceAgain() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("first")
        // Test clusters trust loopback, so the password is never checked, only carried along.
        let conninfo = TestServers.postgresConninfo + " password=s3cret-diagnose"
        let outcome = try StrainProcess.run([
            "diagnose", "--postgres", conninfo, "--dependency", "static=\(TestServers.httpURL)", "--no-host-metrics",
            "--window", "2s", "--out", first.path,
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("Diagnosis: "))
        #expect(outcome.stdout.contains("Checklist:"))
        #expect(outcome.stderr.contains("password=***"))

        let written = try ["diagnosis.json", "diagnosis.md", "evidence.json"].map { name in
            try String(contentsOf: first.appendingPathComponent(name), encoding: .utf8)
        }
        for text in written + [outcome.stdout, outcome.stderr] {
            #expect(!text.contains("s3cret-diagnose"))
        }
        let diagnosis = try json(first.appendingPathComponent("diagnosis.json"))
        #expect(diagnosis["format"] as? Int == 1)
        #expect((diagnosis["notes"] as? [Any])?.count == 5)
        #expect(written[2].contains("\"name\" : \"static\""))
        #expect(written[1].hasPrefix("# Diagnosis"))

        let second = directory.appendingPathComponent("second")
        let replay = try StrainProcess.run(["diagnose", "--evidence", first.appendingPathComponent("evidence.json").path,
                                            "--out", second.path])
        #expect(replay.status == 0, "\(replay.stderr)")
        let replayed = try json(second.appendingPathComponent("diagnosis.json"))
        // The window's timestamps pass through millisecond text; what was found must be identical.
        for key in ["findings", "notes"] {
            let original = try #require(diagnosis[key] as? [Any])
            #expect(NSArray(array: try #require(replayed[key] as? [Any])).isEqual(to: original))
        }
    }

    /// `--fail-on` turns findings into exit 7 for CI; the sample evidence has critical findings, a
    /// window with nothing to observe has none.
    @Test func failOnGivesCIAnExitCodeFromTheFindings() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let evidence = StrainProcess.packageRoot.appendingPathComponent("reports/samples/demo/evidence.json").path
        for (failOn, status) in [([String](), Int32(0)), (["--fail-on", "critical"], 7), (["--fail-on", "warning"], 7)] {
            let outcome = try StrainProcess.run(["diagnose", "--evidence", evidence, "--out", directory.path] + failOn)
            #expect(outcome.status == status, "\(failOn): \(outcome.stderr)")
            #expect(outcome.stdout.contains("Diagnosis: "))
            #expect(outcome.stdout.contains(directory.appendingPathComponent("evidence.json").path))
        }
        let failed = try StrainProcess.run(["diagnose", "--evidence", evidence, "--out", directory.path, "--fail-on", "critical"])
        #expect(failed.stderr.contains("at critical or above (--fail-on critical)"), "\(failed.stderr)")
        let nothing = try StrainProcess.run(["diagnose", "--no-host-metrics", "--window", "1s", "--fail-on", "warning",
                                             "--out", directory.appendingPathComponent("empty").path])
        #expect(nothing.status == 0, "\(nothing.stderr)")
        // Not a terminal: no progress line.
        #expect(!nothing.stderr.contains("observed,"), "\(nothing.stderr)")
    }

    /// An edited evidence file whose round trip is 1e308 s makes a finding's cost infinite: bad input
    /// naming the figure, not a failure to write.
    @Test func evidenceNoCollectorWritesIsBadInput() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = StrainProcess.packageRoot.appendingPathComponent("reports/samples/demo/evidence.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sample)) as? [String: Any])
        var postgres = try #require(json["postgres"] as? [String: Any])
        postgres["roundTripSeconds"] = 1e308
        json["postgres"] = postgres
        let edited = directory.appendingPathComponent("edited.json")
        try JSONSerialization.data(withJSONObject: json).write(to: edited)
        let outcome = try StrainProcess.run(["diagnose", "--evidence", edited.path, "--out", directory.appendingPathComponent("out").path])
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("the evidence holds values no collector measures"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("would be inf"), "\(outcome.stderr)")
    }

    /// On a terminal (here a pseudo-terminal from util-linux's `script`), the window shows its progress.
    @Test func showsProgressOnATerminal() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = "\(StrainProcess.binary.path) diagnose --window 2s --out \(directory.appendingPathComponent("d").path)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("strain diagnose: 0s of 2s observed, 2s left"), "\(text)")
        #expect(text.contains("2s of 2s observed, 0s left"), "\(text)")
        #expect(text.contains("samples taken"), "\(text)")
    }

    @Test func missingEvidenceFileIsBadInput() throws {
        let outcome = try StrainProcess.run(["diagnose", "--evidence", "/nonexistent/evidence.json", "--out", "/tmp/unused"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("/nonexistent/evidence.json: cannot read the file"))
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strain-diagnose-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
}
