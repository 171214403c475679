import Foundation
import StrainContract
import StrainTestSupport
import Testing

/// What users of hey, oha, vegeta and k6 type: URL arguments, several URLs, targets files, profile
/// overrides, `--json`. The built binary against the test nginx, briefly.
@Suite("strain run, the habits of other tools", .serialized)
struct RunHabitsTests {
    static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-habits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A run without --out that fails before measuring (here: an unset variable) leaves no empty
    /// folder under reports/; one that measured keeps its folder whatever happens after.
    @Test func aRunThatFailsBeforeMeasuringLeavesNoFolderOfItsOwn() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try #"{ name: "unset", target: { baseURL: "http://127.0.0.1:9" }, scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/${env.STRAIN_TEST_NEVER_SET}" }] }] }"#
            .write(to: folder.appendingPathComponent("unset.json5"), atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", "unset.json5"], directory: folder)
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("${env.STRAIN_TEST_NEVER_SET} is used, but STRAIN_TEST_NEVER_SET is not set in the environment"), "\(outcome.stderr)")
        // Refused before the run announces a results folder it will not write.
        #expect(!outcome.stderr.contains("results in"), "\(outcome.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("reports").path)
        #expect(left.isEmpty, "\(left)")
    }

    @Test func aURLArgumentRunsLikeHey() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run")
        let outcome = try StrainProcess.run(["run", TestServers.httpURL + "/index.html", "-c", "2", "-n", "20", "--quiet", "--out", out.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        #expect(artifact.scenarios.map(\.name) == ["load"])
        #expect(artifact.scenarios[0].steps[0].requests == 20)
        // Every file written is listed, run.json first.
        for name in ["run.json", "timeline.ndjson", "report.md", "report.html", "report.json", "junit.xml"] {
            #expect(outcome.stdout.contains(out.appendingPathComponent(name).path), "\(name) not listed:\n\(outcome.stdout)")
        }
        #expect(outcome.stdout.contains("Results: \(out.path)/run.json\n         \(out.path)/timeline.ndjson\n"))
    }

    /// Every URL is loaded (round-robin like vegeta: an even share each) and reported on its own.
    @Test func severalURLsAreAllLoadedEachAsItsOwnScenario() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run")
        // URL arguments first, then the --url options.
        let outcome = try StrainProcess.run(["run", TestServers.httpURL + "/index.html", "--url", TestServers.httpURL + "/status/404",
                                             "--url", TestServers.httpURL + "/1k.bin", "--rate", "60/s", "-d", "1s", "--quiet", "--out", out.path])
        #expect([0, 4].contains(outcome.status), "\(outcome.stderr)")
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        #expect(artifact.scenarios.map(\.name) == ["target 1", "target 2", "target 3"])
        #expect(artifact.scenarios.map { $0.steps[0].name } == ["/index.html", "/status/404", "/1k.bin"].map { "GET \(TestServers.httpURL)\($0)" })
        // 20/s each for 1 s: 20 each (R×D), the second and third a third and two thirds of a gap later
        // (constant-rate scenarios take turns).
        #expect(artifact.scenarios.map { $0.steps[0].requests } == [20, 20, 20])
        #expect(artifact.scenarios.map { $0.steps[0].failures } == [0, 20, 0])
        #expect(outcome.stdout.contains("target 2"))
    }

    @Test func aTargetsFileFromStandardInputWithHeadersAndBodies() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("hello".utf8).write(to: folder.appendingPathComponent("body.txt"))
        let targets = """
        GET \(TestServers.httpURL)/index.html
        X-Strain-Test: one

        POST \(TestServers.httpURL)/echo
        Content-Type: text/plain
        @body.txt
        """
        let out = folder.appendingPathComponent("run")
        let outcome = try StrainProcess.run(["run", "--targets", "-", "-c", "2", "-n", "10", "--quiet", "--out", out.path],
                                            directory: folder, input: targets)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        #expect(artifact.scenarios.map { $0.steps[0].name } == ["GET \(TestServers.httpURL)/index.html", "POST \(TestServers.httpURL)/echo"])
        #expect(artifact.scenarios.map { $0.steps[0].requests } == [5, 5])
        #expect(artifact.scenarios.allSatisfy { $0.steps[0].failures == 0 })
    }

    @Test(arguments: [
        ("GET http://127.0.0.1:1/\nX-A: 1\rX-Injected: 2\n", "targets.txt:2: control character U+000D"),
        ("GET http://127.0.0.1:1/\n\nG(T http://127.0.0.1:1/\n", "targets.txt:3: \"G(T\" is not an HTTP method"),
        ("GET http://127.0.0.1:1/\nX-A 1\n", "targets.txt:2: expected a header \"Name: value\""),
    ])
    func targetsFileMistakesNameTheLineAndExitTwo(text: String, message: String) throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try text.write(to: folder.appendingPathComponent("targets.txt"), atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", "--targets", "targets.txt", "-n", "1"], directory: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    /// `-d`, `--rate`, `-c` and `--threshold` change a profile like k6's `--duration`/`--vus`, and
    /// run.json records what ran: the overrides, the asked rate, the thresholds.
    @Test func profileOverridesAreAppliedAndRecorded() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = folder.appendingPathComponent("p.json5")
        try """
        { name: "ramp", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "home", load: { rate: "10/s", duration: "1m", maxConnections: 50 },
                        steps: [{ path: "/index.html" }] }],
          thresholds: { errors: ["rate < 1%"] } }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("run")
        let outcome = try StrainProcess.run(["run", profile.path, "-d", "2s", "--rate", "80/s", "-c", "8",
                                             "--threshold", "home.latency: p(50) < 1h", "--quiet", "--out", out.path])
        #expect([0, 4].contains(outcome.status), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("1 scenario, 2s"), "\(outcome.stderr)")
        let artifact = try RunArtifact.read(from: out.appendingPathComponent("run.json"))
        #expect(artifact.overrides == ["--duration 2s", "--rate 80/s", "--connections 8", "--threshold home.latency: p(50) < 1h"])
        #expect(artifact.thresholds?.map(\.condition) == ["rate < 1%", "p(50) < 1h"])
        // 80/s for 2s (ramps scale in proportion: see ProfileOverridesTests).
        #expect(artifact.scenarios[0].iterations == 160)
        #expect(abs((artifact.scenarios[0].askedRate ?? 0) - 80) < 2)
        #expect(outcome.stdout.contains("Thresholds: all 2 passed"), "\(outcome.stdout)")
        // Every report says the file is not all that ran.
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        // run.json's text is escaped for Markdown: `<` is written `&lt;`, which a renderer shows as `<`.
        #expect(markdown.contains("changed by --duration 2s --rate 80/s --connections 8 --threshold home.latency: p(50) &lt; 1h"))

        let bad = try StrainProcess.run(["run", profile.path, "--threshold", "home.latncy: p(50) < 1h"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains(#"--threshold "home.latncy: p(50) < 1h": "#), "\(bad.stderr)")
        #expect(bad.stderr.contains(#"did you mean "#), "\(bad.stderr)")
    }

    /// `--json` prints report.json and nothing else on standard output.
    @Test func jsonPrintsTheSummaryAndNothingElse() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run")
        let outcome = try StrainProcess.run(["run", TestServers.httpURL + "/index.html", "-c", "1", "-n", "5", "--json", "--out", out.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let written = try Data(contentsOf: out.appendingPathComponent("report.json"))
        #expect(Data(outcome.stdout.utf8) == written)
        #expect(try JSONSerialization.jsonObject(with: written) is [String: Any])
        #expect(outcome.stderr.contains("Results: \(out.path)/run.json"))
        #expect(outcome.stderr.contains(out.appendingPathComponent("report.json").path))
    }
}
