import Foundation
import StrainContract

/// A timeline reduced to a few numbers per interval: what the charts plot and what the rank test
/// of `strain compare` compares. Built while streaming the file, so a long run never holds
/// more than one interval's histograms.
public struct TimelineDigest: Codable, Sendable, Equatable {
    /// One interval of one step (or of all steps together).
    public struct Point: Codable, Sendable, Equatable {
        /// Seconds since the run started.
        public var start: Double
        public var duration: Double
        /// Shorter than a whole interval (the run ended inside it): its `rate` is over a sliver of time,
        /// so it is left out of rate charts and must not enter a noise estimate.
        public var partial: Bool
        public var requests: UInt64
        public var failures: UInt64
        /// Latency percentiles of the interval in seconds; nil when it had no request.
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var max: Double?
        /// Iterations the open model's schedule asked for in the interval; nil for the closed model,
        /// for all steps together and in older timelines.
        public var asked: Double?

        public var rate: Double { duration > 0 ? Double(requests) / duration : 0 }
        /// The rate the schedule asked for during the interval.
        public var askedRate: Double? { duration > 0 ? asked.map { $0 / duration } : nil }
        public var errorRate: Double? { requests > 0 ? Double(failures) / Double(requests) : nil }

        init(start: Double, duration: Double, partial: Bool, requests: UInt64, failures: UInt64, latency: Histogram,
             asked: Double? = nil) {
            self.asked = asked
            self.start = start
            self.duration = duration
            self.partial = partial
            self.requests = requests
            self.failures = failures
            if !latency.isEmpty {
                p50 = Double(latency.percentile(50)) / 1e6
                p90 = Double(latency.percentile(90)) / 1e6
                p99 = Double(latency.percentile(99)) / 1e6
                max = Double(latency.max) / 1e6
            }
        }
    }

    /// Every step together, one point per interval.
    public private(set) var total: [Point] = []
    /// Per step ("scenario.step"), one point per interval in which the step appears.
    public var steps: [String: [Point]] = [:]

    public init() {}

    /// The run's interval length: the longest interval (only the last one is ever shorter).
    public private(set) var intervalSeconds: Double = 0

    /// Reads `url` streaming; a file cut off by a killed run is read up to its last whole line.
    public init(reading url: URL) throws(TimelineError) {
        try TimelineReader.read(from: url) { add($0) }
    }

    /// Adds the next interval of the timeline.
    public mutating func add(_ interval: TimelineInterval) {
        var merged = Histogram()
        var requests: UInt64 = 0, failures: UInt64 = 0
        for step in interval.steps {
            merged.merge(step.latency)
            // Saturating: a timeline read from a file can claim any count.
            requests = requests.addingSaturated(step.requests)
            failures = failures.addingSaturated(step.failures)
            steps[Self.key(scenario: step.scenario, step: step.step), default: []].append(
                Point(start: interval.start, duration: interval.duration, partial: interval.partial, requests: step.requests,
                      failures: step.failures, latency: step.latency, asked: step.asked))
        }
        intervalSeconds = max(intervalSeconds, interval.duration)
        total.append(Point(start: interval.start, duration: interval.duration, partial: interval.partial, requests: requests,
                           failures: failures, latency: merged))
    }

    static func key(scenario: String, step: String) -> String {
        "\(scenario).\(step)"
    }
}
