import Foundation
import StrainMetrics
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
        /// The thresholds the run recorded (or, for artifacts older than that, the profile the run
        /// recorded, if that file is unchanged: see `ProfileLookup`).
        case recordedProfile
        /// None: the report does not mention thresholds (a comparison).
        case skip
    }

    /// Reads what the folder holds into a report, evaluating the thresholds of `thresholds`.
    public func report(thresholds: Thresholds = .recordedProfile) throws(ReportInputError) -> RunReport {
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
        let lookup: Result<Profile, ProfileLookup.Unavailable>
        switch thresholds {
        case .from(let profile): lookup = .success(profile)
        case .recordedProfile:
            // The thresholds the run recorded judge it; only older artifacts need their profile's file.
            if let recorded = artifact.thresholds {
                let thresholds: [Threshold]
                do {
                    thresholds = try recorded.map { (threshold) throws(ValueError) in try Threshold(recorded: threshold) }
                } catch {
                    throw .artifact(.notAnArtifact(path: artifactURL.path, detail: "thresholds: \(error.message)"))
                }
                // Asked rates still come from the profile, when it is there unchanged.
                let profile = try? ProfileLookup.recorded(for: artifact).get()
                return RunReport(artifact: artifact, thresholds: ThresholdEvaluator.evaluate(thresholds, on: artifact),
                                 askedRates: profile.map { RunReport.askedRates(Plan($0)) } ?? [:],
                                 diagnosis: diagnosis, timeline: timeline)
            }
            lookup = ProfileLookup.recorded(for: artifact)
        case .skip: return RunReport(artifact: artifact, diagnosis: diagnosis, timeline: timeline)
        }
        switch lookup {
        case .success(let profile):
            return RunReport(artifact: artifact, profile: profile, diagnosis: diagnosis, timeline: timeline)
        case .failure(let reason):
            return RunReport(artifact: artifact, thresholdsNote: reason.description, diagnosis: diagnosis, timeline: timeline)
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

/// Finds the profile a past run used, so its thresholds can be evaluated again.
public enum ProfileLookup {
    /// Why the recorded profile cannot be used.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The profile at the path the run recorded, if that file still has the recorded SHA-256:
    /// thresholds from an edited profile would judge the run by rules it was not run with.
    public static func recorded(for artifact: RunArtifact) -> Result<Profile, Unavailable> {
        guard let recorded = artifact.profile else {
            return .failure(Unavailable(description: "the run recorded no profile; pass --profile"))
        }
        guard let data = try? InputFile.read(recorded.path, maxBytes: Limits.profileBytes) else {
            return .failure(Unavailable(description: "the run's profile \(recorded.path) is not there any more; pass --profile"))
        }
        guard SHA256.hexDigest(data) == recorded.sha256 else {
            return .failure(Unavailable(description: "the run's profile \(recorded.path) has changed since the run; pass --profile to use it anyway"))
        }
        do {
            return .success(try ProfileLoader.load(path: recorded.path))
        } catch {
            return .failure(Unavailable(description: "the run's profile does not load: \(error)"))
        }
    }
}
