import Foundation
import StrainContract
import StrainProfile

/// One threshold checked against a run: what it asked, what was observed, and the outcome.
public struct ThresholdResult: Codable, Sendable, Equatable {
    /// The unit of `observed` (and of the threshold's limit).
    public typealias Unit = MetricUnit

    /// Canonical text, e.g. `browse-and-buy.latency: p(99) < 300ms`.
    public var threshold: String
    /// `all`, `http`, `postgres`, a scenario or `scenario.step`.
    public var scope: String
    public var metric: String
    /// The condition alone, e.g. `p(99) < 300ms`.
    public var condition: String
    public var unit: Unit
    /// The observed aggregate in base units; nil when the run measured nothing it applies to.
    public var observed: Double?
    /// Why nothing was observed, when `observed` is nil.
    public var missing: String?
    /// False when the condition failed, and also when nothing was observed: a gate must not pass
    /// on a metric that was never measured.
    public var passed: Bool
    public var abortOnFail: Bool

    /// The observed value in the threshold's own units ("123ms", "0.24%", "1,200", "199.8/s"), or why there is none.
    public var observedText: String {
        guard let observed else { return missing ?? "no data" }
        return ThresholdResult.format(observed, unit)
    }

    /// The run should stop now: an `abortOnFail` threshold failed on data (not merely on no data
    /// yet, which is normal in the first intervals of a run).
    public var shouldAbort: Bool {
        abortOnFail && observed != nil && !passed
    }

    static func format(_ value: Double, _ unit: Unit) -> String {
        switch unit {
        case .seconds: Format.duration(seconds: value)
        case .fraction: Format.percent(value)
        // A count past Int64 (only a corrupt or hostile run file holds one) in plain digits.
        case .count: abs(value) < 9.2e18 ? Format.count(Int64(value.rounded())) : String(format: "%.0f", value)
        case .perSecond: Format.rate(value)
        }
    }
}

/// Checks a profile's thresholds against a run artifact. Pure: the driver calls it on the partial
/// artifact every interval for `abortOnFail`, `strain run` / `strain report` on the final one.
public enum ThresholdEvaluator {
    public static func evaluate(_ thresholds: [Threshold], on artifact: RunArtifact) -> [ThresholdResult] {
        thresholds.map { evaluate($0, on: artifact) }
    }

    public static func evaluate(_ threshold: Threshold, on artifact: RunArtifact) -> ThresholdResult {
        let observation = observe(threshold, in: artifact)
        let observed = try? observation.get()
        let missing: String? = switch observation {
        case .success: nil
        case .failure(let reason): reason.text
        }
        return ThresholdResult(
            threshold: threshold.description,
            scope: threshold.scope == .all ? "all" : threshold.scope.description,
            metric: threshold.metric.rawValue,
            condition: "\(threshold.aggregation) \(threshold.comparison)",
            unit: unit(of: threshold),
            observed: observed,
            missing: missing,
            passed: observed.map(threshold.comparison.holds(observed:)) ?? false,
            abortOnFail: threshold.abortOnFail)
    }

    /// Why a threshold has no observed value.
    struct NoData: Error {
        let text: String
    }

    static func unit(of threshold: Threshold) -> ThresholdResult.Unit {
        threshold.metric.unit(rate: threshold.aggregation == .rate)
    }

    /// The scenarios a scope covers, each with only the steps it covers, or why it covers none in this run.
    static func scenarios(in scope: ThresholdScope, of artifact: RunArtifact) -> Result<[ScenarioResult], NoData> {
        let scenarios: [ScenarioResult]
        switch scope {
        case .all:
            scenarios = artifact.scenarios
        case .http, .postgres:
            let kind: StrainContract.ScenarioKind = scope == .http ? .http : .postgres
            scenarios = artifact.scenarios.filter { $0.kind == kind }
            if scenarios.isEmpty { return .failure(NoData(text: "the run has no \(kind.rawValue) scenario")) }
        case .scenario(let name), .step(let name, _):
            scenarios = artifact.scenarios.filter { $0.name == name }
            if scenarios.isEmpty { return .failure(NoData(text: "the run has no scenario \"\(name)\"")) }
        }
        guard case .step(let scenario, let step) = scope else { return .success(scenarios) }
        let covered = scenarios.map { scenario in
            var covered = scenario
            covered.steps = scenario.steps.filter { $0.name == step }
            return covered
        }
        if covered.allSatisfy(\.steps.isEmpty) { return .failure(NoData(text: "scenario \"\(scenario)\" has no step \"\(step)\" in this run")) }
        return .success(covered)
    }

    static func observe(_ threshold: Threshold, in artifact: RunArtifact) -> Result<Double, NoData> {
        scenarios(in: threshold.scope, of: artifact).flatMap { scenarios in
            let steps = scenarios.flatMap(\.steps)
            let metric = threshold.metric
            if metric.isTrend {
                return trend(metric, of: steps).flatMap { aggregate($0, threshold.aggregation, metric: metric) }
            }
            let sum = { (value: (StepResult) -> UInt64) in steps.reduce(UInt64(0)) { $0 + value($1) } }
            let requests = sum(\.requests)
            switch (metric, threshold.aggregation) {
            case (.requests, .rate):
                // Each scenario over its own time: a short scenario's rate is not spread over a longer one's.
                guard let rate = artifact.requestRate(of: scenarios) else { return .failure(NoData(text: "the run has no duration yet")) }
                return .success(rate)
            case (.requests, _):
                return .success(Double(requests))
            case (.errors, .rate):
                guard requests > 0 else { return .failure(NoData(text: "no requests were made")) }
                return .success(Double(sum(\.failures)) / Double(requests))
            case (.errors, _):
                return .success(Double(sum(\.failures)))
            case (.dropped, _):
                return .success(Double(sum { $0.counters[Counter.dropped.name] ?? 0 }))
            case (.checks, .rate):
                // The pass fraction, as in k6: `checks: ["rate > 0.99"]` holds on a run whose checks all pass.
                let checks = sum { $0.counters[Counter.checks.name] ?? 0 }
                guard checks > 0 else { return .failure(NoData(text: "no checks were evaluated")) }
                let failed = sum { $0.counters[Counter.checkFailures.name] ?? 0 }
                return .success(Double(checks - min(failed, checks)) / Double(checks))
            default:
                // `checks` count: the checks that failed.
                return .success(Double(sum { $0.counters[Counter.checkFailures.name] ?? 0 }))
            }
        }
    }

    /// The merged distribution of a duration metric over `steps`.
    static func trend(_ metric: Metric, of steps: [StepResult]) -> Result<Histogram, NoData> {
        var merged = Histogram()
        for step in steps {
            switch metric {
            case .latency: merged.merge(step.latency)
            case .serviceTime: merged.merge(step.service)
            default: if let name = metric.phase?.name, let phase = step.phases[name] { merged.merge(phase) }
            }
        }
        if merged.isEmpty {
            // Latency and service time are of responses: none means every request failed or none was made.
            let measure = metric == .latency || metric == .serviceTime ? "response" : metric.rawValue
            return .failure(NoData(text: "no \(measure) was measured"))
        }
        return .success(merged)
    }

    static func aggregate(_ histogram: Histogram, _ aggregation: Aggregation, metric: Metric) -> Result<Double, NoData> {
        let micros: Double = switch aggregation {
        case .percentile(let percent): Double(histogram.percentile(percent))
        case .average: histogram.mean
        case .minimum: Double(histogram.min)
        case .maximum: Double(histogram.max)
        case .median: Double(histogram.percentile(50))
        case .rate, .count: .nan
        }
        // The profile parser only pairs duration metrics with duration aggregations.
        guard micros.isFinite else { return .failure(NoData(text: "\(aggregation) does not apply to \(metric.rawValue)")) }
        return .success(micros / 1e6)
    }
}
