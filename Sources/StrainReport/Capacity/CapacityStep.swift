import Foundation
import StrainContract
import StrainProfile

/// One rate `strain capacity` held and measured, as `capacity.json` records it. Figures are of the
/// measured part of the step only: the warm-up at its start (connections opening, queues filling
/// towards their steady state) is left out.
public struct CapacityStep: Codable, Sendable, Equatable {
    /// Total arrivals per second asked of all scenarios together.
    public var rate: Double
    /// Requests completed per second in the measured part.
    public var throughput: Double
    /// Latency from the intended send time, in seconds; nil when no response came.
    public var p50: Double?
    public var p99: Double?
    public var errorRate: Double
    /// Requests in flight on average, by Little's law: throughput × mean latency.
    public var inFlight: Double
    public var verdict: CapacitySearch.StepVerdict
    /// Every SLO against the measured part.
    public var slo: [ThresholdResult]
    /// Why the generator's self-check failed, when it did.
    public var invalidReasons: [String]
    /// The step's run folder (run.json, timeline.ndjson), relative to the capacity folder.
    public var folder: String

    public var passed: Bool { verdict == .held }
}

/// The SLO metrics a capacity step can judge: those the timeline keeps per second, so they can be
/// measured after the warm-up.
public enum CapacitySLO {
    public static let metrics: [Metric] = [.latency, .serviceTime, .errors, .requests]

    /// Why `threshold` cannot judge a capacity step, or nil when it can.
    public static func problem(with threshold: Threshold) -> String? {
        metrics.contains(threshold.metric) ? nil
            : "\(threshold): capacity judges \(metrics.map(\.rawValue).joined(separator: ", ")) after each step's warm-up; "
            + "\(threshold.metric.rawValue) is not measured per second"
    }

    /// `artifact` reduced to its whole intervals that start at or after `warmUp` seconds: requests,
    /// failures and latencies per step, and the start and end of that window, so that
    /// `ThresholdEvaluator` judges the measured part alone. Everything else the timeline does not
    /// keep per second (phases, counters, statuses) is left out.
    public static func measuredPart(of artifact: RunArtifact, timeline: [TimelineInterval], warmUp: Double) -> RunArtifact {
        let measured = timeline.filter { !$0.partial && $0.start >= warmUp }
        var window = artifact
        window.startedAt = artifact.startedAt.addingTimeInterval(measured.first?.start ?? warmUp)
        window.endedAt = window.startedAt.addingTimeInterval(measured.reduce(0) { $0 + $1.duration })
        window.scenarios = artifact.scenarios.map { scenario in
            var scenario = scenario
            // Its rates are over the window, not over the step's whole schedule.
            scenario.rateSeconds = nil
            scenario.steps = scenario.steps.map { step in
                var sum = StepResult(name: step.name)
                for interval in measured {
                    for part in interval.steps where part.scenario == scenario.name && part.step == step.name {
                        sum.requests += part.requests
                        sum.failures += part.failures
                        sum.latency.merge(part.latency)
                        if let service = part.service { sum.service.merge(service) }
                    }
                }
                return sum
            }
            return scenario
        }
        return window
    }

    /// The step's figures and verdict from its measured part.
    public static func step(rate: Double, measured: RunArtifact, slo: [Threshold], validity: Validity, folder: String) -> CapacityStep {
        let steps = measured.scenarios.flatMap(\.steps)
        var latency = Histogram()
        for step in steps { latency.merge(step.latency) }
        let requests = steps.reduce(UInt64(0)) { $0 + $1.requests }
        let failures = steps.reduce(UInt64(0)) { $0 + $1.failures }
        let throughput = measured.requestRate(of: measured.scenarios) ?? 0
        let results = ThresholdEvaluator.evaluate(slo, on: measured)
        let verdict: CapacitySearch.StepVerdict = !validity.valid ? .generatorBound
            : results.allSatisfy(\.passed) ? .held : .failed
        return CapacityStep(
            rate: rate, throughput: throughput,
            p50: latency.isEmpty ? nil : Double(latency.percentile(50)) / 1e6,
            p99: latency.isEmpty ? nil : Double(latency.percentile(99)) / 1e6,
            errorRate: requests > 0 ? Double(failures) / Double(requests) : 0,
            inFlight: throughput * latency.mean / 1e6,
            verdict: verdict, slo: results, invalidReasons: validity.reasons, folder: folder)
    }
}
