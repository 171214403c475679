import Foundation
import StrainMetrics

/// When a difference between two runs counts: it must exceed the noise band, the larger of
/// `sigmas` × the interval-to-interval standard deviation (pooled over both runs' timelines)
/// and a floor. Interval values swing far more than whole-run aggregates do, so the band is
/// deliberately wide: a regression it reports is one a rerun will not explain away.
public struct NoiseRule: Codable, Sendable, Equatable {
    public var sigmas: Double = 3
    /// Relative floor for latency and throughput: changes smaller than this share of the baseline
    /// never count (run-to-run drift of a shared machine is of this order).
    public var relativeFloor: Double = 0.10
    /// Absolute floor for latency, in seconds: below it, scheduler and timer jitter dominate (sub-millisecond
    /// gates need a quiet, dedicated machine).
    public var latencyFloor: Double = 500e-6
    /// Absolute floor for the error rate (a fraction: 0.001 is 0.1 percentage points).
    public var errorRateFloor: Double = 0.001

    public init() {}
}

/// One metric of one step in both runs.
public struct MetricDelta: Codable, Sendable, Equatable {
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case p50, p90, p99
        case errorRate = "error_rate"
        case throughput

        var unit: ThresholdResult.Unit {
            switch self {
            case .p50, .p90, .p99: .seconds
            case .errorRate: .fraction
            case .throughput: .perSecond
            }
        }

        var higherIsWorse: Bool { self != .throughput }
    }

    public enum Outcome: String, Codable, Sendable {
        case regression, improvement
        case withinNoise = "within_noise"
    }

    /// "scenario.step".
    public var step: String
    public var metric: Metric
    public var unit: ThresholdResult.Unit
    public var base: Double
    public var new: Double
    /// Half-width of the noise band around the baseline, in the metric's unit.
    public var band: Double
    public var outcome: Outcome

    public var change: Double { new - base }
    /// The change relative to the baseline; nil when the baseline is zero.
    public var relativeChange: Double? { base != 0 ? change / base : nil }

    var baseText: String { ThresholdResult.format(base, unit) }
    var newText: String { ThresholdResult.format(new, unit) }
    var bandText: String { "±" + ThresholdResult.format(band, unit) }
    var changeText: String {
        if let relative = relativeChange { return Format.signedPercent(relative) }
        return (change >= 0 ? "+" : "-") + ThresholdResult.format(abs(change), unit)
    }
}

/// Two runs of the same system compared metric by metric, with a noise band from their timelines.
public struct RunComparison: Sendable {
    public var base: RunReport
    public var new: RunReport
    public var rule: NoiseRule
    public var deltas: [MetricDelta]
    /// Steps present in only one of the runs ("scenario.step (base only)").
    public var unmatched: [String]

    public init(base: RunReport, new: RunReport, rule: NoiseRule = NoiseRule()) {
        self.base = base
        self.new = new
        self.rule = rule
        var deltas: [MetricDelta] = []
        var unmatched: [String] = []
        let newSteps = Self.steps(of: new.artifact)
        let baseSteps = Self.steps(of: base.artifact)
        for (key, baseStep) in baseSteps {
            guard let newStep = newSteps.first(where: { $0.key == key })?.step else {
                unmatched.append("\(key) (base only)")
                continue
            }
            for metric in MetricDelta.Metric.allCases {
                deltas.append(Self.delta(metric, step: key, base: (baseStep, base), new: (newStep, new), rule: rule))
            }
        }
        unmatched += newSteps.filter { step in !baseSteps.contains { $0.key == step.key } }.map { "\($0.key) (new only)" }
        self.deltas = deltas
        self.unmatched = unmatched
    }

    public var regressions: [MetricDelta] { deltas.filter { $0.outcome == .regression } }

    public var verdict: ComparisonVerdict {
        if !base.artifact.validity.valid || !new.artifact.validity.valid { return .invalid }
        return regressions.isEmpty ? .noRegression : .regression
    }

    /// Whether either run has no timeline, so the bands are the floors alone.
    public var bandsFromFloorsOnly: Bool { base.timeline == nil || new.timeline == nil }

    private static func steps(of artifact: RunArtifact) -> [(key: String, step: StepResult)] {
        artifact.scenarios.flatMap { scenario in
            scenario.steps.map { (TimelineDigest.key(scenario: scenario.name, step: $0.name), $0) }
        }
    }

    static func delta(_ metric: MetricDelta.Metric, step key: String, base: (StepResult, RunReport), new: (StepResult, RunReport),
                      rule: NoiseRule) -> MetricDelta {
        let baseValue = value(metric, of: base.0, in: base.1), newValue = value(metric, of: new.0, in: new.1)
        let sigma = pooledDeviation(intervalValues(metric, key, base.1.timeline), intervalValues(metric, key, new.1.timeline))
        let floor = switch metric {
        case .p50, .p90, .p99: max(rule.relativeFloor * abs(baseValue), rule.latencyFloor)
        case .errorRate: rule.errorRateFloor
        case .throughput: rule.relativeFloor * abs(baseValue)
        }
        let band = max(rule.sigmas * sigma, floor)
        let worse = metric.higherIsWorse ? newValue - baseValue : baseValue - newValue
        let outcome: MetricDelta.Outcome = worse > band ? .regression : -worse > band ? .improvement : .withinNoise
        return MetricDelta(step: key, metric: metric, unit: metric.unit, base: baseValue, new: newValue, band: band, outcome: outcome)
    }

    /// The whole-run value of `metric`.
    static func value(_ metric: MetricDelta.Metric, of step: StepResult, in report: RunReport) -> Double {
        switch metric {
        case .p50: Double(step.latency.percentile(50)) / 1e6
        case .p90: Double(step.latency.percentile(90)) / 1e6
        case .p99: Double(step.latency.percentile(99)) / 1e6
        case .errorRate: step.requests > 0 ? Double(step.failures) / Double(step.requests) : 0
        case .throughput: report.duration > 0 ? Double(step.requests) / report.duration : 0
        }
    }

    /// The metric in each interval of one step's timeline that has something to say about it.
    static func intervalValues(_ metric: MetricDelta.Metric, _ key: String, _ timeline: TimelineDigest?) -> [Double] {
        let points = timeline?.steps[key] ?? []
        return switch metric {
        case .p50: points.compactMap(\.p50)
        case .p90: points.compactMap(\.p90)
        case .p99: points.compactMap(\.p99)
        case .errorRate: points.compactMap(\.errorRate)
        case .throughput: points.filter { $0.duration > 0 }.map(\.rate)
        }
    }

    /// √((s₁² + s₂²) / 2) of the two samples' standard deviations; a sample of fewer than two values adds nothing.
    static func pooledDeviation(_ first: [Double], _ second: [Double]) -> Double {
        let variances = [first, second].compactMap(sampleVariance)
        guard !variances.isEmpty else { return 0 }
        return (variances.reduce(0, +) / Double(variances.count)).squareRoot()
    }

    static func sampleVariance(_ values: [Double]) -> Double? {
        guard values.count >= 2 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }
}

public enum ComparisonVerdict: String, Codable, Sendable {
    case noRegression = "no_regression"
    case regression
    /// One of the runs failed the generator's self-check: no comparison can be trusted.
    case invalid
}
