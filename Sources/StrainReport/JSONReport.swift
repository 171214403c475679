import Foundation
import StrainContract

/// The machine-readable report (`report.json`): a stable, versioned summary for dashboards and
/// scripts, so they need not decode histograms. Durations are in seconds, rates per second,
/// error rates fractions. Fields are only ever added within a format version.
public struct JSONReport: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public var format: Int
    /// "run" for `strain report`, so a script can tell it from a comparison.
    public var kind: String
    public var verdict: RunVerdict
    public var run: Run
    public var thresholds: Thresholds
    public var scenarios: [Scenario]
    /// All steps together, one point per timeline interval; nil without a timeline.
    public var timeline: [TimelineDigest.Point]?
    public var diagnosis: Diagnosis?

    public struct Run: Codable, Sendable, Equatable {
        public var profile: ProfileInfo?
        public var tool: ToolInfo
        public var host: HostInfo
        public var gitSHA: String?
        public var startedAt: Date
        public var endedAt: Date
        public var durationSeconds: Double
        public var status: RunStatus
        /// Why and when the run stopped before its plan was done.
        public var earlyStop: EarlyStop?
        public var validity: Validity
    }

    public struct Thresholds: Codable, Sendable, Equatable {
        public var evaluated: Bool
        /// Why they were not evaluated.
        public var note: String?
        public var results: [ThresholdResult]
    }

    public struct Scenario: Codable, Sendable, Equatable {
        public var name: String
        public var kind: ScenarioKind
        public var iterations: UInt64
        /// Iterations per second the profile asked for (open model), when known.
        public var askedRate: Double?
        public var steps: [Step]
    }

    public struct Step: Codable, Sendable, Equatable {
        public var name: String
        public var requests: UInt64
        public var failures: UInt64
        public var errorRate: Double?
        /// Achieved requests per second over the run.
        public var rate: Double?
        public var latency: Distribution
        public var service: Distribution
        public var phases: [String: Distribution]
        public var counters: [String: UInt64]
        public var statuses: [String: UInt64]
        public var errors: [ErrorTally]
    }

    /// A histogram summarised, in seconds.
    public struct Distribution: Codable, Sendable, Equatable {
        public var count: UInt64
        public var min: Double
        public var mean: Double
        public var p50: Double
        public var p90: Double
        public var p95: Double
        public var p99: Double
        public var p99_9: Double
        public var max: Double

        enum CodingKeys: String, CodingKey {
            case count, min, mean, p50, p90, p95, p99, max
            case p99_9 = "p99.9"
        }

        init(_ histogram: Histogram) {
            func seconds(_ micros: UInt64) -> Double { Double(micros) / 1e6 }
            count = histogram.count
            min = seconds(histogram.min)
            mean = histogram.mean / 1e6
            p50 = seconds(histogram.percentile(50))
            p90 = seconds(histogram.percentile(90))
            p95 = seconds(histogram.percentile(95))
            p99 = seconds(histogram.percentile(99))
            p99_9 = seconds(histogram.percentile(99.9))
            max = seconds(histogram.max)
        }
    }

    public init(_ report: RunReport) {
        let artifact = report.artifact
        format = Self.formatVersion
        kind = "run"
        verdict = report.verdict
        run = Run(profile: artifact.profile, tool: artifact.tool, host: artifact.host, gitSHA: artifact.gitSHA,
                  startedAt: artifact.startedAt, endedAt: artifact.endedAt, durationSeconds: report.duration,
                  status: artifact.status, earlyStop: artifact.earlyStop, validity: artifact.validity)
        thresholds = Thresholds(evaluated: report.thresholds != nil, note: report.thresholdsNote, results: report.thresholds ?? [])
        scenarios = artifact.scenarios.map { scenario in
            Scenario(name: scenario.name, kind: scenario.kind, iterations: scenario.iterations,
                     askedRate: report.askedRates[scenario.name], steps: scenario.steps.map { step in
                let figures = StepFigures(scenario: scenario, step: step, report: report)
                return Step(name: step.name, requests: step.requests, failures: step.failures, errorRate: figures.errorShare,
                            rate: figures.rate, latency: Distribution(step.latency), service: Distribution(step.service),
                            phases: step.phases.mapValues(Distribution.init), counters: step.counters,
                            statuses: step.statuses, errors: step.errors)
            })
        }
        timeline = report.timeline?.total
        diagnosis = report.diagnosis
    }

    public static func render(_ report: RunReport) throws -> String {
        try JSONReport(report).encoded()
    }

    /// The document as written: pretty, sorted keys, ISO-8601 dates, ending in a newline.
    public func encoded() throws -> String {
        try Self.encode(self)
    }

    /// Pretty, sorted-key JSON ending in a newline.
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONFormat.encoder(pretty: true).encode(value), as: UTF8.self) + "\n"
    }
}
