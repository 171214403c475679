import Foundation
import StrainContract
import StrainProfile

/// Everything a report about one run shows: the artifact plus what was worked out around it.
/// Every renderer takes one of these, so they all tell the same story.
public struct RunReport: Sendable {
    public var artifact: RunArtifact
    /// Nil when the thresholds were not evaluated; `thresholdsNote` then says why.
    public var thresholds: [ThresholdResult]?
    /// Why thresholds were not evaluated (a shard, a run.json from before thresholds were recorded).
    public var thresholdsNote: String?
    /// Scenario name → the iteration rate asked for, per second (open-model scenarios only): what the
    /// schedule asked over the time that ran, as the artifact records it, else the profile's plan.
    public var askedRates: [String: Double]
    public var diagnosis: Diagnosis?
    /// The run's timeline, reduced; nil when the run folder has none (the charts are then left out).
    public var timeline: TimelineDigest?

    public init(artifact: RunArtifact, thresholds: [ThresholdResult]? = nil, thresholdsNote: String? = nil,
                askedRates: [String: Double] = [:], diagnosis: Diagnosis? = nil, timeline: TimelineDigest? = nil) {
        self.artifact = artifact
        self.thresholds = thresholds
        self.thresholdsNote = thresholdsNote
        var recorded: [String: Double] = [:]
        for scenario in artifact.scenarios {
            if let rate = scenario.askedRate { recorded[scenario.name] = rate }
        }
        self.askedRates = askedRates.merging(recorded) { _, whatRan in whatRan }
        self.diagnosis = diagnosis
        self.timeline = timeline
    }

    /// A report with the thresholds evaluated and the asked rates taken from the profile the run used.
    public init(artifact: RunArtifact, profile: Profile, diagnosis: Diagnosis? = nil, timeline: TimelineDigest? = nil) {
        self.init(artifact: artifact, thresholds: ThresholdEvaluator.evaluate(profile.thresholds, on: artifact),
                  askedRates: Self.askedRates(Plan(profile)), diagnosis: diagnosis, timeline: timeline)
    }

    /// What the run amounts to for a gate (`Gate` decides).
    public var verdict: RunVerdict { Gate.verdict(of: self) }

    /// The average iteration rate each open-model scenario asked for: expected iterations over its duration.
    public static func askedRates(_ plan: Plan) -> [String: Double] {
        var rates: [String: Double] = [:]
        for scenario in plan.scenarios where scenario.model == .open {
            if let iterations = scenario.expectedIterations, let duration = scenario.duration, duration.seconds > 0 {
                rates[scenario.name] = iterations / duration.seconds
            }
        }
        return rates
    }

    /// Wall-clock length of the run in seconds.
    public var duration: Double {
        artifact.seconds
    }

    public var failedThresholds: [ThresholdResult] {
        (thresholds ?? []).filter { !$0.passed }
    }
}

public enum RunVerdict: String, Codable, Sendable {
    /// Completed, valid, and every evaluated threshold held.
    case passed
    /// Failed thresholds, or an `abortOnFail` threshold stopped the run.
    case thresholdsFailed
    /// The generator's self-check failed.
    case invalid
    /// The run could not go on, or the target could not be reached (`RunStatus.failed`).
    case failed
    /// Stopped by a signal before its plan was done.
    case interrupted
    /// Only a checkpoint: the run was killed (or is still running), so its plan was not done.
    case incomplete
    /// Stopped before its plan was done for a reason of its own (a unique feeder ran out).
    case stoppedEarly

    /// How the verdict reads in a report's title.
    var headline: String {
        switch self {
        case .passed: "passed"
        case .thresholdsFailed: "thresholds failed"
        case .invalid: "run invalid"
        case .failed: "run failed"
        case .interrupted: "interrupted"
        case .incomplete: "incomplete (killed, or still running)"
        case .stoppedEarly: "stopped early"
        }
    }
}

/// The percentiles every report shows, in order; 100 is the maximum.
enum ReportPercentiles {
    static let values: [Double] = [50, 90, 95, 99, 99.9, 100]
    static let titles = ["p50", "p90", "p95", "p99", "p99.9", "max"]
}

/// One step's figures, worked out once for every renderer.
struct StepFigures {
    let scenario: ScenarioResult
    let step: StepResult
    /// Achieved requests per second over the scenario's time (`RunArtifact.rateSeconds(of:)`).
    let rate: Double?
    let askedRate: Double?

    init(scenario: ScenarioResult, step: StepResult, report: RunReport) {
        self.scenario = scenario
        self.step = step
        rate = report.artifact.rate(of: scenario, steps: [step])
        askedRate = report.askedRates[scenario.name]
    }

    var errorShare: Double? {
        step.requests > 0 ? Double(step.failures) / Double(step.requests) : nil
    }

    /// "3 (0.25%)", or "0".
    var errorsText: String {
        guard step.failures > 0 else { return "0" }
        return Format.count(step.failures) + (errorShare.map { " (\(Format.percent($0)))" } ?? "")
    }

    static func percentiles(of histogram: Histogram) -> [String] {
        ReportPercentiles.values.map { histogram.isEmpty ? "–" : Format.micros(histogram.percentile($0)) }
    }

    /// Phases in display order: the known ones first, then any others alphabetically.
    static func phaseNames(in steps: [StepResult]) -> [String] {
        let present = Set(steps.flatMap { $0.phases.filter { !$0.value.isEmpty }.keys })
        return Phase.allCases.map(\.name).filter(present.contains) + present.subtracting(Phase.allCases.map(\.name)).sorted()
    }

    /// "200×1,180 · 503×20", or "ok×481 · 23505 integrity constraint violation×3" for PostgreSQL;
    /// most frequent first.
    var statusesText: String {
        step.statuses.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { "\(Self.statusLabel($0.key, kind: scenario.kind))×\(Format.count($0.value))" }.joined(separator: " · ")
    }

    /// An HTTP status as is; a SQLSTATE as "ok" for success, else the code with its class's name
    /// when the class is known.
    static func statusLabel(_ status: String, kind: StrainContract.ScenarioKind) -> String {
        guard kind == .postgres else { return status }
        if status == SQLState.success { return "ok" }
        return SQLState.className(of: status).map { "\(status) \($0)" } ?? status
    }

    func counter(_ name: String) -> UInt64? {
        step.counters[name]
    }
}
