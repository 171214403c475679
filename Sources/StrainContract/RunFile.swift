import Foundation

/// Every file a run folder may hold, named once: the stages that write a folder and those that read
/// one take the names from here. README "The run folder" says what writes and reads each.
public enum RunFile: String, CaseIterable, Sendable {
    /// The run artifact (`RunArtifact`): measurements, thresholds, asked rates, seed, shard, validity.
    case artifact = "run.json"
    /// One JSON line per interval (`TimelineInterval`).
    case timeline = "timeline.ndjson"
    /// The diagnoser's ranked findings (`Diagnosis`).
    case diagnosis = "diagnosis.json"
    /// What the collectors observed (`Evidence`), so the diagnosis can be made again.
    case evidence = "evidence.json"
    /// The diagnosis rendered (`strain diagnose`, or a run with a diagnose section).
    case diagnosisMarkdown = "diagnosis.md"
    case diagnosisHTML = "diagnosis.html"
    case markdownReport = "report.md"
    case jsonReport = "report.json"
    case htmlReport = "report.html"
    case junitReport = "junit.xml"
    /// `strain capacity`: the search, its steps and the sustainable rate.
    case capacity = "capacity.json"
    case capacityChart = "capacity.html"
    /// `strain verify`: the run before a fix and its rerun after.
    case verify = "verify.json"
    /// `strain verify`'s before/after section, rendered.
    case verifyMarkdown = "verify.md"
    case verifyHTML = "verify.html"

    public var name: String { rawValue }

    /// The file in `folder`.
    public func url(in folder: URL) -> URL {
        folder.appendingPathComponent(rawValue)
    }

    /// Why a new run (or merge) may not write into `folder`, or nil: one that holds a run's files
    /// already would lose that run, and mix its leftovers (a diagnosis, evidence) into the new one's
    /// reports.
    public static func problemWritingRun(into folder: URL) -> String? {
        // lstat, not fileExists: a symbolic link counts even when it points nowhere (yet), or the run
        // would write through it to wherever it points.
        var status = stat()
        let found = allCases.filter { lstat($0.url(in: folder).path, &status) == 0 }.map(\.name)
        guard !found.isEmpty else { return nil }
        return "\(folder.path) already holds a run's files (\(found.joined(separator: ", "))): give a new folder to --out, "
            + "or remove that one first"
    }
}
