import Foundation
import StrainTestSupport
import Testing

/// Run folders and profiles built to crash `strain report` or leak through `strain run`: each must end
/// in a clear error (exit 2), never a trap, and never write a secret or outside its folder.
@Suite("Hostile run files and outputs", .serialized)
struct HostileFilesTests {
    /// A valid run folder whose run.json (or diagnosis.json) `tamper` then rewrites as JSON text.
    static func tamperedRun(_ fixtures: ReportFixtures, file: String = "run.json",
                            _ tamper: (String) -> String) throws -> URL {
        let folder = try fixtures.run("tampered")
        let url = folder.appendingPathComponent(file)
        // A fixture run has no diagnosis: start from the sample run's.
        let source = FileManager.default.fileExists(atPath: url.path)
            ? url : StrainProcess.packageRoot.appendingPathComponent("reports/samples/demo/\(file)")
        let original = try String(contentsOf: source, encoding: .utf8)
        try tamper(original).write(to: url, atomically: true, encoding: .utf8)
        return folder
    }

    static let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)

    /// One way to spoil a run folder: the file it rewrites, how, and what the error must say.
    enum Tampering: String, CaseIterable {
        case histogramCount, deepRun, diagnosisSeconds, deepDiagnosis, deepTimeline

        var file: String {
            switch self {
            case .histogramCount, .deepRun: "run.json"
            case .diagnosisSeconds, .deepDiagnosis: "diagnosis.json"
            case .deepTimeline: "timeline.ndjson"
            }
        }

        func apply(to text: String) -> String {
            switch self {
            case .histogramCount: text.replacingOccurrences(of: #""n" : 1000"#, with: #""n" : 18446744073709551615"#)
            case .deepRun: #"{"format": 1, "x": \#(HostileFilesTests.deep)}"#
            case .diagnosisSeconds: text.replacing(/"totalSeconds" : [0-9.e+-]+/, with: #""totalSeconds" : 9.3e18"#)
            case .deepDiagnosis: HostileFilesTests.deep
            case .deepTimeline: HostileFilesTests.deep + "\n"
            }
        }

        var message: String {
            switch self {
            case .histogramCount: "a histogram holds at most 2^53"
            case .diagnosisSeconds: "impact.totalSeconds': expected 0 to"
            case .deepRun, .deepDiagnosis, .deepTimeline: "nested more than 64 deep"
            }
        }
    }

    @Test(arguments: Tampering.allCases)
    func corruptRunFilesAreBadInput(_ tampering: Tampering) throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let folder = try Self.tamperedRun(fixtures, file: tampering.file, tampering.apply(to:))
        for format in ["terminal", "html"] {
            let outcome = try StrainProcess.run(["report", folder.path, "--format", format])
            #expect(outcome.status == 2, "\(outcome.stderr)")
            #expect(outcome.stderr.contains(tampering.message), "\(outcome.stderr)")
        }
    }

    /// Found by scripts/fuzz (timeline target): the per-interval totals of the charts overflowed.
    @Test func aTimelineWhoseCountsAddUpPastUInt64IsStillRendered() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let folder = try fixtures.run("huge-counts")
        let empty = #"{"b":"","max":0,"min":0,"n":0,"v":1}"#
        let step = #"{"failures":0,"latency":\#(empty),"requests":18446744073709551615,"scenario":"a","step":"STEP"}"#
        let line = #"{"duration":1,"start":0,"steps":["# + step.replacing("STEP", with: "x") + ","
            + step.replacing("STEP", with: "y") + "]}\n"
        try line.write(to: folder.appendingPathComponent("timeline.ndjson"), atomically: true, encoding: .utf8)
        for format in ["terminal", "html"] {
            let outcome = try StrainProcess.run(["report", folder.path, "--format", format])
            #expect(outcome.status == 0, "\(outcome.stderr)")
        }
    }

    @Test func aRunFileThatIsADeviceOrAFIFOIsRefused() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let folder = try fixtures.run("device")
        let runFile = folder.appendingPathComponent("run.json")
        try FileManager.default.removeItem(at: runFile)
        try FileManager.default.createSymbolicLink(atPath: runFile.path, withDestinationPath: "/dev/zero")
        var outcome = try StrainProcess.run(["report", folder.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("run.json: cannot read run artifact: not a regular file"), "\(outcome.stderr)")

        try FileManager.default.removeItem(at: runFile)
        #expect(mkfifo(runFile.path, 0o644) == 0)
        outcome = try StrainProcess.run(["report", folder.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("not a regular file"), "\(outcome.stderr)")
    }

    @Test func aDeeplyNestedProfileForReportIsBadInput() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let folder = try fixtures.run("run")
        let profile = fixtures.directory.appendingPathComponent("deep.json5")
        try ("{ name: \"x\", scenarios: " + Self.deep + " }").write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["report", folder.path, "--profile", profile.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("deep.json5:1:88: arrays and objects are nested more than 64 deep"), "\(outcome.stderr)")
    }

    /// A password in a step URL and a name that tries to leave reports/: the run writes its folder
    /// under reports/ with a safe name, and no output (stdout, stderr, any file) holds the password.
    @Test func aRunKeepsURLPasswordsOutAndItsFolderInsideReports() throws {
        let port = try #require(URL(string: TestServers.httpURL)?.port)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strain-hostile-\(UUID().uuidString)")
        let reports = scratch.appendingPathComponent("work/reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let profile = scratch.appendingPathComponent("work/profile.json5")
        try """
        { name: "../escaped", target: { allow: ["127.0.0.1"] },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 3 },
                        steps: [{ url: "http://alice:s3cretpw@127.0.0.1:\(port)/status/500" }] }] }
        """.write(to: profile, atomically: true, encoding: .utf8)

        let outcome = try StrainProcess.run(["run", profile.path, "--quiet"], directory: scratch.appendingPathComponent("work"))
        #expect(outcome.status == 1 || outcome.status == 0, "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("work/escaped").path))
        let folders = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        #expect(folders.count == 1 && folders[0].hasPrefix("escaped-"), "\(folders)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["work"])

        var outputs = [outcome.stdout, outcome.stderr]
        let folder = reports.appendingPathComponent(folders.first ?? "")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            outputs.append(try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
        }
        #expect(outputs.count >= 7)
        #expect(!outputs.contains { $0.contains("s3cretpw") })
        #expect(outcome.stdout.contains("alice:***@"))
    }
}
