import Foundation

/// A live destination for a run's intervals besides the timeline file, like Prometheus remote write
/// (`strain run --output prometheus=URL`). The run's coordinator hands it each interval as it closes
/// and asks for its summary at the end; the load never waits for it.
public protocol RunOutput: Sendable {
    /// Called on the run's coordinator thread when an interval closes; must return at once (queue the
    /// work), so a slow or failing destination never delays the load or the timeline.
    func intervalClosed(_ interval: TimelineInterval, runStartedAt: Date)
    /// The run is over: sends what is still queued, waiting a bounded time, and says how it went.
    func finish() -> OutputSummary
}

/// How a live output fared, recorded in run.json (`outputs`) and printed at the end of a run.
public struct OutputSummary: Codable, Sendable, Equatable {
    /// The kind of output, e.g. `prometheus`.
    public var kind: String
    /// Where it went, without user information or query.
    public var destination: String
    /// Intervals handed to the output.
    public var intervals: Int
    /// Intervals the destination accepted.
    public var delivered: Int
    /// Pushes the destination accepted.
    public var pushes: Int
    /// Pushes that failed (refused, timed out, an error status, or still going when the run's wait for
    /// them ended); their intervals are missing at the destination.
    public var failedPushes: Int
    /// The first failure's message, if any.
    public var firstError: String?

    public init(kind: String, destination: String, intervals: Int, delivered: Int, pushes: Int, failedPushes: Int,
                firstError: String?) {
        self.kind = kind
        self.destination = destination
        self.intervals = intervals
        self.delivered = delivered
        self.pushes = pushes
        self.failedPushes = failedPushes
        self.firstError = firstError
    }
}
