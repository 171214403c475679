import Foundation
import StrainContract
import StrainProfile

/// A run on disk, as `strain run` writes it: `run.json` (the artifact), `timeline.ndjson` and,
/// when the diagnoser ran, `diagnosis.json`; the reports are written next to them.
public struct RunFolder: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// A run folder, or the `run.json` inside one.
    public init(path: String) {
        let url = URL(fileURLWithPath: path)
        self.init(url: url.lastPathComponent.hasSuffix(".json") ? url.deletingLastPathComponent() : url)
    }

    public var artifactURL: URL { RunFile.artifact.url(in: url) }
    public var timelineURL: URL { RunFile.timeline.url(in: url) }
    public var diagnosisURL: URL { RunFile.diagnosis.url(in: url) }
    public var evidenceURL: URL { RunFile.evidence.url(in: url) }

    /// Where the thresholds to evaluate come from.
    public enum Thresholds: Sendable {
        /// This profile's (the one given on the command line, or the one the run just used).
        case from(Profile)
        /// The ones the run recorded in run.json: the folder alone judges it, wherever it is read.
        case recorded
        /// None: the report does not mention thresholds (a comparison).
        case skip
    }

    /// Says why a run's thresholds were not evaluated when it recorded none: run.json files written
    /// before thresholds were kept in them (format 1 from the first releases).
    public static let noRecordedThresholds = "its run.json predates recorded thresholds; pass --profile"

    /// Reads what the folder holds into a report, evaluating the thresholds of `thresholds`. Only the
    /// folder is read: never the profile the run was driven by (it may have moved or changed since).
    public func report(thresholds: Thresholds = .recorded) throws(ReportInputError) -> RunReport {
        let artifact: RunArtifact
        do {
            artifact = try RunArtifact.read(from: artifactURL)
        } catch {
            throw .artifact(error)
        }
        let diagnosis = try readDiagnosis()
        let timeline: TimelineDigest?
        do {
            timeline = FileManager.default.fileExists(atPath: timelineURL.path) ? try TimelineDigest(reading: timelineURL) : nil
        } catch {
            throw .timeline(error)
        }
        if let shard = artifact.shard, shard.count > 1 {
            // A shard saw only its part of the load: thresholds on counts and rates would judge a fraction.
            return RunReport(artifact: artifact, thresholdsNote: "this is shard \(shard) of a scaled-out run: thresholds are evaluated on the merge (strain merge)",
                             diagnosis: diagnosis, timeline: timeline)
        }
        switch thresholds {
        case .from(let profile):
            return RunReport(artifact: artifact, profile: profile, diagnosis: diagnosis, timeline: timeline)
        case .recorded:
            guard let recorded = artifact.thresholds else {
                return RunReport(artifact: artifact, thresholdsNote: Self.noRecordedThresholds, diagnosis: diagnosis, timeline: timeline)
            }
            let thresholds: [Threshold]
            do {
                thresholds = try recorded.map { (threshold) throws(ValueError) in try Threshold(recorded: threshold) }
            } catch {
                throw .artifact(.notAnArtifact(path: artifactURL.path, detail: "thresholds: \(error.message)"))
            }
            return RunReport(artifact: artifact, thresholds: ThresholdEvaluator.evaluate(thresholds, on: artifact),
                             diagnosis: diagnosis, timeline: timeline)
        case .skip:
            return RunReport(artifact: artifact, diagnosis: diagnosis, timeline: timeline)
        }
    }

    private func readDiagnosis() throws(ReportInputError) -> Diagnosis? {
        guard FileManager.default.fileExists(atPath: diagnosisURL.path) else { return nil }
        let diagnosis: Diagnosis
        do {
            diagnosis = try DiagnosisJSON.read(Diagnosis.self, from: diagnosisURL)
        } catch let error as DiagnosisFileError {
            throw .diagnosis(path: error.path, detail: error.reason)
        } catch {
            throw .diagnosis(path: diagnosisURL.path, detail: String(describing: error))
        }
        guard diagnosis.format <= Diagnosis.formatVersion else {
            throw .diagnosis(path: diagnosisURL.path, detail:
                "written by a newer Strain (diagnosis format \(diagnosis.format)); this build reads \(Diagnosis.formatVersion)")
        }
        return diagnosis
    }
}

/// Why a run could not be read for a report.
public enum ReportInputError: Error, CustomStringConvertible {
    case artifact(ArtifactError)
    case timeline(TimelineError)
    case diagnosis(path: String, detail: String)

    public var description: String {
        switch self {
        case .artifact(let error): error.description
        case .timeline(let error): error.description
        case .diagnosis(let path, let detail): "\(path): not a Strain diagnosis: \(detail)"
        }
    }
}
