import Foundation
import StrainContract
import StrainTestSupport
import Testing

/// The Indexed-Job contract, locally: three `strain run` processes told their shard by
/// `JOB_COMPLETION_INDEX` and `--shards 3`, started together with `--start-at`, then `strain merge`.
@Suite("scale-out", .serialized, .oneLoadAtATime)
struct ScaleOutTests {
    @Test func threeShardsOfA300PerSecondProfileMergeIntoTheWholeRun() throws {
        let root = RunCommandTests.outputFolder()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let profile = root.appendingPathComponent("profile.json5")
        // Each shard alone would fail this threshold (about 800 requests): it must be judged on the merge.
        try """
        { name: "scale-out", target: { baseURL: "\(TestServers.httpURL)" },
          scenarios: [{ name: "home", load: { rate: "300/s", duration: "8s" },
                        steps: [{ path: "/index.html", check: { status: [200] } }] }],
          thresholds: { requests: ["count >= 2300"] } }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let startAt = Date().addingTimeInterval(4).formatted(.iso8601)
        let shards = (0..<3).map { root.appendingPathComponent("shard-\($0)") }
        let outcomes = Outcomes(count: 3)
        let running = DispatchGroup()
        // One thread each (not a pool the size of the cores): all three must be up before the start time.
        for index in 0..<3 {
            running.enter()
            Thread.detachNewThread {
                outcomes.set(index, Result {
                    try StrainProcess.run(["run", profile.path, "--shards", "3", "--start-at", startAt, "--workers", "1", "--quiet",
                                           "--out", shards[index].path],
                                          environment: ["JOB_COMPLETION_INDEX": String(index)], timeLimit: 60)
                })
                running.leave()
            }
        }
        running.wait()
        let artifacts = try shards.map(RunCommandTests.artifact(in:))
        // On a machine busy with other work a shard's scheduler may start iterations late: the shard
        // is then honestly invalid (exit 4), and so is the merge; what is tested still stands.
        let valid = artifacts.allSatisfy(\.validity.valid)
        for (index, outcome) in try outcomes.all().enumerated() {
            #expect(LateStarts.isCleanExit(outcome.status, invalidity: artifacts[index].validity.reasons), "shard \(index): \(outcome.stderr)")
            #expect(outcome.stdout.contains("evaluated on the merge"), "\(outcome.stdout)")
        }
        let requests = artifacts.map { $0.scenarios[0].steps[0].requests }
        print("3 shards of 300/s for 8 s: \(requests) requests, started \(artifacts.map { $0.startedAt.timeIntervalSince($0.startAt!) }) s after --start-at")
        for (index, artifact) in artifacts.enumerated() {
            #expect(artifact.shard == Shard(index: index, count: 3))
            #expect(artifact.startedAt >= artifact.startAt!)
            #expect(abs(Double(requests[index]) - 800) <= 800 * 0.03, "shard \(index): \(requests[index])")
        }

        let merged = root.appendingPathComponent("merged")
        let merge = try StrainProcess.run(["merge"] + shards.map(\.path) + ["--out", merged.path])
        #expect(merge.status == (valid ? 0 : 4), "\(merge.stdout)\n\(merge.stderr)")
        let artifact = try RunCommandTests.artifact(in: merged)
        let total = artifact.scenarios[0].steps[0].requests
        #expect(total == requests.reduce(0, +))
        #expect(abs(Double(total) - 2_400) <= 2_400 * 0.03, "\(total)")
        #expect(artifact.scenarios[0].steps[0].latency.count == total)
        let timeline = try TimelineReader.read(from: merged.appendingPathComponent("timeline.ndjson"))
        #expect(timeline.reduce(0) { $0 + $1.steps.reduce(0) { $0 + $1.requests } } == total)
        for report in ["report.md", "report.html", "report.json", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent(report).path), "\(report)")
        }

        // The same shards judged by a threshold the merge fails: exit 1.
        let strict = try shards.map { shard in
            let copy = root.appendingPathComponent("strict-" + shard.lastPathComponent)
            try FileManager.default.copyItem(at: shard, to: copy)
            var artifact = try RunCommandTests.artifact(in: copy)
            artifact.thresholds = [RecordedThreshold(scope: .all, metric: "requests", condition: "count >= 100000", abortOnFail: false)]
            try artifact.write(to: copy.appendingPathComponent("run.json"))
            return copy
        }
        let failing = try StrainProcess.run(["merge"] + strict.map(\.path) + ["--out", root.appendingPathComponent("strict").path])
        // An invalid shard outranks a failed threshold, as in a single run.
        #expect(failing.status == (valid ? 1 : 4), "\(failing.stdout)\n\(failing.stderr)")

        // A missing shard is never merged silently.
        let missing = try StrainProcess.run(["merge", shards[0].path, shards[2].path, "--out", root.appendingPathComponent("partial").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing shard 1 of 3"), "\(missing.stderr)")

        // Nor written over one of its shards (the shard would be lost).
        let before = try Data(contentsOf: shards[0].appendingPathComponent("run.json"))
        let overwrite = try StrainProcess.run(["merge"] + shards.map(\.path) + ["--out", shards[0].path + "/"])
        #expect(overwrite.status == 2)
        #expect(overwrite.stderr.contains("is the shard folder"), "\(overwrite.stderr)")
        #expect(try Data(contentsOf: shards[0].appendingPathComponent("run.json")) == before)
    }

    /// Each shard diagnosed the same system over its own window: merge keeps them apart and says where they are.
    /// Two run folders made shards 0 and 1 of 2.
    static func twoShards(in fixtures: ReportFixtures) throws -> [URL] {
        try (0..<2).map { index in
            let folder = try fixtures.run("shard-\(index)")
            var artifact = try RunCommandTests.artifact(in: folder)
            artifact.shard = Shard(index: index, count: 2)
            try artifact.write(to: folder.appendingPathComponent("run.json"))
            return folder
        }
    }

    @Test func shardsDiagnosesAreNotMergedAndMergeSaysSo() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let shards = try Self.twoShards(in: fixtures)
        let diagnosis = Diagnosis(startedAt: Date(), endedAt: Date(), requests: nil, findings: [], notes: [])
        try DiagnosisJSON.write(diagnosis, to: shards[1].appendingPathComponent("diagnosis.json"))

        let merged = fixtures.directory.appendingPathComponent("merged")
        let merge = try StrainProcess.run(["merge"] + shards.map(\.path) + ["--out", merged.path])
        #expect(merge.status == 0, "\(merge.stdout)\n\(merge.stderr)")
        #expect(merge.stdout.contains("note: the shards' diagnoses are not merged"), "\(merge.stdout)")
        #expect(merge.stdout.contains(shards[1].appendingPathComponent("diagnosis.json").path))
        #expect(!merge.stdout.contains(shards[0].appendingPathComponent("diagnosis.json").path))
        #expect(!FileManager.default.fileExists(atPath: merged.appendingPathComponent("diagnosis.json").path))
        #expect(!merge.stdout.contains("no timeline.ndjson"))
    }

    /// A shard folder copied without its timeline merges (its totals still count), and merge says so.
    @Test func aShardWithoutItsTimelineIsNamed() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let shards = try Self.twoShards(in: fixtures)
        try FileManager.default.removeItem(at: shards[0].appendingPathComponent("timeline.ndjson"))
        let merge = try StrainProcess.run(["merge"] + shards.map(\.path) + ["--out", fixtures.directory.appendingPathComponent("merged").path])
        #expect(merge.status == 0, "\(merge.stdout)\n\(merge.stderr)")
        #expect(merge.stdout.contains("note: \(shards[0].path) has no timeline.ndjson: the merged totals count its requests"),
                "\(merge.stdout)")
    }

    /// Shards each within the format's limits can add up past them: merge refuses (exit 2) rather than
    /// write a run.json no command reads.
    @Test func shardsWhoseSumIsNoRunAreRefusedAndNothingIsWritten() throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let shards = try Self.twoShards(in: fixtures)
        for shard in shards {
            var artifact = try RunCommandTests.artifact(in: shard)
            artifact.scenarios[0].askedRate = 1e12
            try artifact.write(to: shard.appendingPathComponent("run.json"))
        }
        let merged = fixtures.directory.appendingPathComponent("merged")
        let merge = try StrainProcess.run(["merge"] + shards.map(\.path) + ["--out", merged.path])
        #expect(merge.status == 2, "\(merge.stdout)\n\(merge.stderr)")
        #expect(merge.stderr.contains("the shards do not make a valid run together: the merged run.json: not a Strain run artifact: "
                                      + "invalid value at 'scenarios[0].askedRate'"), "\(merge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: merged.appendingPathComponent("run.json").path))
        #expect(!FileManager.default.fileExists(atPath: merged.appendingPathComponent("timeline.ndjson").path))
    }

    @Test func aStartTimeInThePastIsRefused() throws {
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/index.html", "-d", "1s", "--shard", "0/2",
                                             "--start-at", Date().addingTimeInterval(-60).formatted(.iso8601)])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("in the past"), "\(outcome.stderr)")
    }
}

/// The outcomes of processes run side by side.
private final class Outcomes: @unchecked Sendable {
    private var results: [Result<StrainProcess.Outcome, any Error>?]
    private let lock = NSLock()

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<StrainProcess.Outcome, any Error>) {
        lock.withLock { results[index] = result }
    }

    func all() throws -> [StrainProcess.Outcome] {
        try lock.withLock { try results.map { try $0!.get() } }
    }
}
