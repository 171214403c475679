import Foundation
import StrainContract

/// When a difference between two runs counts. Each metric's per-interval values in the two runs
/// (whole intervals only) are compared with a one-sided Mann–Whitney U test; a change is a
/// regression when the test finds the new run worse at the significance level **and** the
/// whole-run change exceeds a practical floor. The level is `falseAlarmRate` shared out over every
/// metric compared (Bonferroni), so two runs of one system are called a regression with at most
/// that probability, however many steps they have; `scripts/bench-compare` measures it.
public struct ComparisonRule: Codable, Sendable, Equatable {
    /// The test, as reports name it.
    public static let method = "one-sided Mann–Whitney U test over whole intervals"
    /// Chance of any false regression when nothing changed, over all the metrics of one comparison.
    public var falseAlarmRate: Double = 0.05
    /// Relative floor for latency and throughput: smaller changes never count, however significant
    /// (run-to-run drift of a shared machine is of this order).
    public var relativeFloor: Double = 0.10
    /// Absolute floor for latency, in seconds: below it, scheduler and timer jitter dominate
    /// (sub-millisecond gates need a quiet, dedicated machine).
    public var latencyFloor: Double = 500e-6
    /// Absolute floor for the error rate (a fraction: 0.001 is 0.1 percentage points).
    public var errorRateFloor: Double = 0.001
    /// Whole intervals each run needs for a metric to be judged: with fewer, no test can reach a
    /// useful level (5 against 5 intervals, fully separated, give p = 1/252).
    public var minimumIntervals = 5

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
        /// No significant change beyond the floor.
        case withinNoise = "within_noise"
        /// A run has fewer whole intervals than the rule needs: not judged.
        case tooFewIntervals = "too_few_intervals"
    }

    /// "scenario.step".
    public var step: String
    public var metric: Metric
    public var unit: ThresholdResult.Unit
    /// Whole-run values.
    public var base: Double
    public var new: Double
    /// The smallest change that counts, in the metric's unit.
    public var floor: Double
    /// One-sided p-value of the rank test in the direction of the change; nil when not tested.
    public var pValue: Double?
    /// Whole intervals of each run the test compared.
    public var intervals: [Int]
    /// Throughput judged as the share of the rate the schedule asked (both runs open-model).
    public var againstAsked = false
    public var outcome: Outcome

    public var change: Double { new - base }
    /// The change relative to the baseline; nil when the baseline is zero.
    public var relativeChange: Double? { base != 0 ? change / base : nil }

    var baseText: String { ThresholdResult.format(base, unit) + (againstAsked ? " of asked" : "") }
    var newText: String { ThresholdResult.format(new, unit) + (againstAsked ? " of asked" : "") }
    var floorText: String { "±" + ThresholdResult.format(floor, unit) }
    var pValueText: String { pValue.map { $0 < 0.0001 ? "<0.0001" : String(format: "%.4f", $0) } ?? "–" }
    var changeText: String {
        if let relative = relativeChange { return Format.change(relative) }
        return (change >= 0 ? "+" : "-") + ThresholdResult.format(abs(change), unit)
    }
}

/// Two runs of the same system compared metric by metric (see `ComparisonRule`).
public struct RunComparison: Sendable {
    public var base: RunReport
    public var new: RunReport
    public var rule: ComparisonRule
    /// The significance level of each metric's test: the false-alarm rate shared out over the metrics.
    public var level: Double
    public var deltas: [MetricDelta]
    /// Steps present in only one of the runs ("scenario.step (base only)").
    public var unmatched: [String]

    public init(base: RunReport, new: RunReport, rule: ComparisonRule = ComparisonRule()) {
        self.base = base
        self.new = new
        self.rule = rule
        let newSteps = Self.steps(of: new.artifact)
        let baseSteps = Self.steps(of: base.artifact)
        let matched = baseSteps.compactMap { key, baseStep in
            newSteps.first { $0.key == key }.map { (key: key, base: baseStep, new: $0.step) }
        }
        let level = rule.falseAlarmRate / Double(max(1, matched.count * MetricDelta.Metric.allCases.count))
        self.level = level
        deltas = matched.flatMap { step in
            MetricDelta.Metric.allCases.map { metric in
                Self.delta(metric, step: step.key, base: (step.base, base), new: (step.new, new), rule: rule, level: level)
            }
        }
        unmatched = baseSteps.filter { step in !newSteps.contains { $0.key == step.key } }.map { "\($0.key) (base only)" }
            + newSteps.filter { step in !baseSteps.contains { $0.key == step.key } }.map { "\($0.key) (new only)" }
    }

    public var regressions: [MetricDelta] { deltas.filter { $0.outcome == .regression } }

    /// What the comparison amounts to for a gate (`Gate` decides).
    public var verdict: ComparisonVerdict { Gate.verdict(of: self) }

    /// Each step with its key and its achieved rate (over its scenario's time).
    private static func steps(of artifact: RunArtifact) -> [(key: String, step: MeasuredStep)] {
        artifact.scenarios.flatMap { scenario in
            scenario.steps.map { step in
                (TimelineDigest.key(scenario: scenario.name, step: step.name),
                 MeasuredStep(result: step, rate: artifact.rate(of: scenario, steps: [step]) ?? 0))
            }
        }
    }

    /// A step's whole-run figures and its achieved rate, over its scenario's time.
    struct MeasuredStep {
        let result: StepResult
        let rate: Double
    }

    static func delta(_ metric: MetricDelta.Metric, step key: String, base: (MeasuredStep, RunReport), new: (MeasuredStep, RunReport),
                      rule: ComparisonRule, level: Double) -> MetricDelta {
        let compared = Intervals(key, base: base.1.timeline, new: new.1.timeline, metric: metric)
        var baseValue = value(metric, of: base.0), newValue = value(metric, of: new.0)
        if metric == .throughput, compared.againstAsked {
            (baseValue, newValue) = (Intervals.shareOfAsked(compared.base), Intervals.shareOfAsked(compared.new))
        }
        let floor = switch metric {
        case .p50, .p90, .p99: max(rule.relativeFloor * abs(baseValue), rule.latencyFloor)
        case .errorRate: rule.errorRateFloor
        case .throughput: rule.relativeFloor * abs(baseValue)
        }
        let baseIntervals = compared.values(of: compared.base), newIntervals = compared.values(of: compared.new)
        var delta = MetricDelta(step: key, metric: metric, unit: compared.againstAsked ? .fraction : metric.unit, base: baseValue,
                                new: newValue, floor: floor, pValue: nil, intervals: [baseIntervals.count, newIntervals.count],
                                outcome: .tooFewIntervals)
        delta.againstAsked = compared.againstAsked
        guard min(baseIntervals.count, newIntervals.count) >= rule.minimumIntervals else { return delta }
        let worse = metric.higherIsWorse ? newValue - baseValue : baseValue - newValue
        let (low, high) = metric.higherIsWorse ? (baseIntervals, newIntervals) : (newIntervals, baseIntervals)
        let pWorse = RankTest.pValueSecondLarger(low, high)
        let pBetter = RankTest.pValueSecondLarger(high, low)
        delta.pValue = worse >= 0 ? pWorse : pBetter
        delta.outcome = pWorse < level && worse > floor ? .regression : pBetter < level && -worse > floor ? .improvement : .withinNoise
        return delta
    }

    /// The whole-run value of `metric`.
    static func value(_ metric: MetricDelta.Metric, of measured: MeasuredStep) -> Double {
        let step = measured.result
        return switch metric {
        case .p50: Double(step.latency.percentile(50)) / 1e6
        case .p90: Double(step.latency.percentile(90)) / 1e6
        case .p99: Double(step.latency.percentile(99)) / 1e6
        case .errorRate: step.requests > 0 ? Double(step.failures) / Double(step.requests) : 0
        case .throughput: measured.rate
        }
    }

    /// One step's intervals in both runs that can be compared for one metric.
    ///
    /// - Whole intervals only: one cut short by the end of the run holds a sliver whose rate and
    ///   percentiles are not comparable.
    /// - Open-model runs: throughput is judged as the share of what the schedule asked in each
    ///   interval; the other metrics only over intervals whose asked rate both runs covered (within
    ///   5%), so a ramp's early, quiet seconds are never set against another run's busy ones.
    struct Intervals {
        typealias Point = TimelineDigest.Point
        let metric: MetricDelta.Metric
        var base: [Point]
        var new: [Point]
        /// Both runs recorded what was asked in every interval compared.
        let againstAsked: Bool

        init(_ key: String, base: TimelineDigest?, new: TimelineDigest?, metric: MetricDelta.Metric) {
            self.metric = metric
            self.base = Self.whole(base?.steps[key] ?? [], in: base)
            self.new = Self.whole(new?.steps[key] ?? [], in: new)
            let asked = !self.base.isEmpty && !self.new.isEmpty
                && (self.base + self.new).allSatisfy { ($0.askedRate ?? 0) > 0 }
            againstAsked = asked && metric == .throughput
            if asked && metric != .throughput {
                let rates = [self.base, self.new].map { points in points.compactMap(\.askedRate) }
                let low = rates.map { $0.min()! }.max()! * 0.95, high = rates.map { $0.max()! }.min()! * 1.05
                self.base = self.base.filter { (low...Swift.max(low, high)).contains($0.askedRate!) }
                self.new = self.new.filter { (low...Swift.max(low, high)).contains($0.askedRate!) }
            }
        }

        /// Timelines older than the `partial` mark are judged by the interval's length.
        private static func whole(_ points: [Point], in timeline: TimelineDigest?) -> [Point] {
            points.filter { !$0.partial && $0.duration >= (timeline?.intervalSeconds ?? 0) * 0.99 }
        }

        /// The metric in each interval that has something to say about it.
        func values(of points: [Point]) -> [Double] {
            switch metric {
            case .p50: points.compactMap(\.p50)
            case .p90: points.compactMap(\.p90)
            case .p99: points.compactMap(\.p99)
            case .errorRate: points.compactMap(\.errorRate)
            case .throughput: againstAsked ? points.map { Double($0.requests) / $0.asked! } : points.map(\.rate)
            }
        }

        /// Requests over what was asked, over all the intervals.
        static func shareOfAsked(_ points: [Point]) -> Double {
            let asked = points.reduce(0) { $0 + ($1.asked ?? 0) }
            // In Double: a timeline read from a file can claim counts whose sum overflows UInt64.
            return asked > 0 ? points.reduce(0) { $0 + Double($1.requests) } / asked : 0
        }
    }
}

public enum ComparisonVerdict: String, Codable, Sendable {
    case noRegression = "no_regression"
    case regression
    /// The runs have no step in common: there is nothing to compare.
    case nothingInCommon = "nothing_in_common"
    /// Every metric had too few whole intervals to be judged.
    case tooShort = "too_short"
    /// One of the runs failed the generator's self-check: no comparison can be trusted.
    case invalid
}
