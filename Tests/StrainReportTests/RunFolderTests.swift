import Foundation
import StrainMetrics
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

    @Test func acceptsTheFolderOrItsRunJSON() throws {
        let run = try RecordedRun(iterations: 5)
        defer { run.remove() }
        #expect(RunFolder(path: run.folder.path).url.standardizedFileURL.path == run.folder.standardizedFileURL.path)
        #expect(RunFolder(path: run.folder.appendingPathComponent("run.json").path).url.standardizedFileURL.path
                == run.folder.standardizedFileURL.path)
    }

    // MARK: Finding the profile of a past run

    /// A run recording `profileText` as written at `path`.
    private func artifact(recording path: String, text: String) throws -> RunArtifact {
        var artifact = try RealRun.nginx(iterations: 5).record()
        artifact.profile = ProfileInfo(name: "nginx-browse", path: path, sha256: SHA256.hexDigest(Data(text.utf8)))
        return artifact
    }

    @Test func usesTheRecordedProfileWhileItIsUnchanged() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strain-profile-\(UUID().uuidString).json5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ReportFixture.profileText.write(toFile: path, atomically: true, encoding: .utf8)
        let artifact = try artifact(recording: path, text: ReportFixture.profileText)

        let found = try ProfileLookup.recorded(for: artifact).get()
        #expect(found.thresholds.count == 3)

        try (ReportFixture.profileText + "\n// edited\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ProfileLookup.Unavailable.self) { try ProfileLookup.recorded(for: artifact).get() }
        #expect(unavailable(artifact) == "the run's profile \(path) has changed since the run; pass --profile to use it anyway")

        try FileManager.default.removeItem(atPath: path)
        #expect(unavailable(artifact) == "the run's profile \(path) is not there any more; pass --profile")

        var anonymous = artifact
        anonymous.profile = nil
        #expect(unavailable(anonymous) == "the run recorded no profile; pass --profile")
    }

    private func unavailable(_ artifact: RunArtifact) -> String? {
        guard case .failure(let reason) = ProfileLookup.recorded(for: artifact) else { return nil }
        return reason.description
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
        #expect(missing.description == "\(run.folder.appendingPathComponent("run.json").path): no such run artifact")
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
