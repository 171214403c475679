import Foundation
import StrainContract
import StrainProfile
import StrainReport
import Testing

struct RunFolderTests {
    /// What `strain run` calls at the end: every report file, plus the CI job summary.
    @Test func writeAllWritesEveryReportAndTheJobSummary() throws {
        let run = try RecordedRun(iterations: 20)
        defer { run.remove() }
        let summary = run.folder.appendingPathComponent("step-summary.md")
        try "earlier step\n".write(to: summary, atomically: true, encoding: .utf8)

        let report = try ReportWriter.writeAll(in: RunFolder(url: run.folder), profile: try ReportFixture.profile(),
                                               environment: ["GITHUB_STEP_SUMMARY": summary.path])
        #expect(report.verdict == .thresholdsFailed)
        let files = try FileManager.default.contentsOfDirectory(atPath: run.folder.path)
        #expect(Set(files).isSuperset(of: ["report.md", "report.json", "report.html", "junit.xml"]))
        let markdown = try String(contentsOf: run.folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown == MarkdownReport.render(report))
        #expect(try String(contentsOf: summary, encoding: .utf8) == "earlier step\n" + markdown + "\n")
    }

    @Test func jobSummaryOnlyWhenSet() throws {
        try ReportWriter.appendJobSummary("# nothing", environment: [:])
        #expect(throws: JobSummaryError.self) {
            try ReportWriter.appendJobSummary("# x", environment: ["GITHUB_STEP_SUMMARY": "/nonexistent/dir/summary.md"])
        }
    }

    /// A FIFO (or a directory) named as the job summary fails at once with a reason: opening a FIFO
    /// for writing would otherwise wait for a reader forever.
    @Test(arguments: ["fifo", "directory"])
    func aJobSummaryThatIsNotARegularFileFailsAtOnce(kind: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-summary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("summary").path
        if kind == "fifo" {
            #expect(mkfifo(path, 0o600) == 0)
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        let error = #expect(throws: JobSummaryError.self) {
            try ReportWriter.appendJobSummary("# x", environment: ["GITHUB_STEP_SUMMARY": path])
        }
        #expect(error?.description.hasPrefix("GITHUB_STEP_SUMMARY=\(path): cannot append the report: ") == true)
    }

    @Test func acceptsTheFolderOrItsRunJSON() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        #expect(RunFolder(path: run.folder.path).url.standardizedFileURL.path == run.folder.standardizedFileURL.path)
        #expect(RunFolder(path: run.folder.appendingPathComponent("run.json").path).url.standardizedFileURL.path
                == run.folder.standardizedFileURL.path)
    }

    // MARK: The folder alone judges the run

    /// A run whose profile has since gone (or changed): run.json still has its thresholds and asked rates.
    @Test func theRecordedThresholdsAndAskedRatesJudgeTheRunWithoutItsProfile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var artifact = try RealRun.nginx(iterations: 5).record(into: folder)
        artifact.profile = ProfileInfo(name: "nginx-browse", path: "profiles/gone-\(UUID().uuidString).json5", sha256: "00")
        artifact.thresholds = try ReportFixture.profile().thresholds.map(\.recorded)
        artifact.scenarios[0].askedRate = 12.5
        try artifact.write(to: RunFile.artifact.url(in: folder))

        let report = try RunFolder(url: folder).report()
        #expect(report.thresholdsNote == nil)
        #expect(report.thresholds?.map(\.threshold) == (try ReportFixture.profile().thresholds.map(\.description)))
        #expect(report.askedRates == ["browse": 12.5])
    }

    /// What the first releases wrote: format 1 without thresholds, asked rates, seed or shard. Still
    /// read, and the report says why its thresholds are not evaluated.
    @Test func aRunJSONFromBeforeThresholdsWereRecordedIsStillRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var artifact = try RealRun.nginx(iterations: 5).record(into: folder)
        artifact.thresholds = try ReportFixture.profile().thresholds.map(\.recorded)
        artifact.seed = 7
        var json = try #require(try JSONSerialization.jsonObject(with: artifact.encoded()) as? [String: Any])
        for key in ["thresholds", "seed", "shard", "startAt", "earlyStop"] { json[key] = nil }
        #expect(json["format"] as? Int == 1)
        try JSONSerialization.data(withJSONObject: json).write(to: RunFile.artifact.url(in: folder))

        let report = try RunFolder(url: folder).report()
        #expect(report.thresholds == nil)
        #expect(report.thresholdsNote == RunFolder.noRecordedThresholds)
        #expect(TerminalReport.render(report).contains("pass --profile"))
        #expect(try RunFolder(url: folder).report(thresholds: .from(ReportFixture.profile())).thresholds?.count == 3)
    }

    /// Formats this build does not know are refused with what to do, never misread.
    @Test(arguments: [(2, "was written by a newer Strain (artifact format 2); this build reads format 1 — upgrade strain"),
                      (0, "not a Strain run artifact: unknown artifact format 0")])
    func aFormatThisBuildDoesNotKnowIsRefused(format: Int, message: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var artifact = try RealRun.nginx(iterations: 5).record(into: folder)
        artifact.format = format
        try artifact.write(to: RunFile.artifact.url(in: folder))
        let error = try #require(throws: ReportInputError.self) { try RunFolder(url: folder).report() }
        #expect(error.description.hasSuffix(message), "\(error)")
    }

    @Test func unreadableInputsSayWhichFile() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        let diagnosis = run.folder.appendingPathComponent(RunFile.diagnosis.name)
        try #"{"format": 1, "findings": []}"#.write(to: diagnosis, atomically: true, encoding: .utf8)
        let error = try #require(throws: ReportInputError.self) { try RunFolder(url: run.folder).report() }
        #expect(error.description.hasPrefix("\(diagnosis.path): not a Strain diagnosis: missing key"))

        try FileManager.default.removeItem(at: diagnosis)
        try FileManager.default.removeItem(at: run.folder.appendingPathComponent(RunFile.artifact.name))
        let missing = try #require(throws: ReportInputError.self) { try RunFolder(url: run.folder).report() }
        // Its timeline is still there: the message says what that means.
        #expect(missing.description == "\(run.folder.appendingPathComponent("run.json").path): no such run artifact, though "
                + "timeline.ndjson is there: the run was killed before its first checkpoint, or run.json was removed; its "
                + "intervals are in the timeline, but a report needs run.json")
    }

    /// A run without a timeline (killed before the first interval, or copied without it) still reports.
    @Test func withoutATimeline() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        try FileManager.default.removeItem(at: run.folder.appendingPathComponent(RunFile.timeline.name))
        let report = try RunFolder(url: run.folder).report(thresholds: .skip)
        #expect(report.timeline == nil)
        #expect(report.thresholds == nil && report.thresholdsNote == nil)
        #expect(HTMLReport.render(report).contains("No timeline was recorded"))
    }
}
