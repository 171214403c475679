import Foundation
import StrainContract

/// What the load driver knows about the window, so findings can be stated per request and
/// as a share of the measured time. Absent in window mode (`strain diagnose`), where nothing
/// but the observed system is known.
public struct LoadContext: Codable, Sendable, Equatable {
    /// One scenario step: an HTTP endpoint or a SQL statement the driver sent.
    public struct Endpoint: Codable, Sendable, Equatable {
        public var scenario: String
        public var step: String
        public var kind: ScenarioKind
        public var requests: UInt64
        /// Service time (send → response) summed over the requests, in seconds.
        public var totalSeconds: Double
        /// DNS, TCP connect, TLS handshake and download time summed over the requests (HTTP only).
        public var networkSeconds: Double?
        /// Time spent waiting for a free connection in the driver's own pool, apart from the service time.
        public var poolWaitSeconds: Double?
        /// Each iteration's wait for a connection, in µs, none waiting as 0 (SQL scenarios).
        public var poolWait: Histogram?
        /// The 10th percentile of the service time, in seconds: what the endpoint's fast requests
        /// take. A request that calls a dependency is never faster than the dependency's answer.
        public var fastTenthSeconds: Double?
        /// Each response's time from its first byte to its last, in µs (HTTP only).
        public var download: Histogram?
        /// The median time to the first response byte, in seconds (HTTP only).
        public var firstByteMedianSeconds: Double?
        /// Each new connection's time to connect, in µs (HTTP only).
        public var connect: Histogram?
        /// The requests that got an answer (a status or a SQLSTATE); nil when all did (an access log).
        /// The others — timed out, refused, never sent — may or may not have reached the service.
        public var answered: UInt64?

        public init(scenario: String, step: String, kind: ScenarioKind, requests: UInt64, totalSeconds: Double,
                    networkSeconds: Double? = nil, poolWaitSeconds: Double? = nil, poolWait: Histogram? = nil,
                    fastTenthSeconds: Double? = nil, download: Histogram? = nil, firstByteMedianSeconds: Double? = nil,
                    connect: Histogram? = nil, answered: UInt64? = nil) {
            self.scenario = scenario
            self.step = step
            self.kind = kind
            self.requests = requests
            self.totalSeconds = totalSeconds
            self.networkSeconds = networkSeconds
            self.poolWaitSeconds = poolWaitSeconds
            self.poolWait = poolWait
            self.fastTenthSeconds = fastTenthSeconds
            self.download = download
            self.firstByteMedianSeconds = firstByteMedianSeconds
            self.connect = connect
            self.answered = answered
        }

        /// "scenario/step", the endpoint's name in findings.
        public var name: String { "\(scenario)/\(step)" }
        public var meanSeconds: Double { requests > 0 ? totalSeconds / Double(requests) : 0 }
    }

    /// Requests completed per endpoint in one interval of the run (normally a second).
    public struct RequestInterval: Codable, Sendable, Equatable {
        public var start: Date
        public var duration: Double
        /// Requests per endpoint name.
        public var requests: [String: UInt64]

        public init(start: Date, duration: Double, requests: [String: UInt64]) {
            self.start = start
            self.duration = duration
            self.requests = requests
        }

        public var middle: Date { start.addingTimeInterval(duration / 2) }
    }

    public var endpoints: [Endpoint]
    /// Where the request counts come from, said in the diagnosis: the ranking rests on them.
    public var source: String
    /// The run's per-interval request counts, which tell which endpoint issues a statement
    /// (nil when the timeline is not known).
    public var requestIntervals: [RequestInterval]?

    /// The scenario name of endpoints read from an access log ("access log/GET /orders/:id").
    public static let accessLogScenario = "access log"
    public static let driverSource = "requests counted by the load driver"

    public init(endpoints: [Endpoint], source: String = LoadContext.driverSource, requestIntervals: [RequestInterval]? = nil) {
        self.endpoints = endpoints
        self.source = source
        self.requestIntervals = requestIntervals
    }

    /// The load a run artifact records. Phase histograms are taken as the duration of each
    /// phase: DNS, connect, TLS and the download (first byte to last) add up to the network time;
    /// pool wait is the wait for a connection.
    /// `timeline`, the run's per-second intervals, gives the per-interval request counts.
    /// Requests still in flight when the run stopped waiting (`unfinished`) are left out: their time
    /// is in no histogram, whether they ran their statements is unknown, and they are counted at the
    /// drain's end, where they would read as a burst of requests that ran nothing. A run against a
    /// service whose pool ran dry ends with many of them.
    public init(artifact: RunArtifact, timeline: [TimelineInterval] = []) {
        source = Self.driverSource
        func seconds(_ histogram: Histogram?) -> Double? {
            histogram.map { $0.mean * Double($0.count) / 1_000_000 }
        }
        endpoints = artifact.scenarios.flatMap { scenario in
            scenario.steps.map { step in
                let network = [Phase.dns.name, Phase.connect.name, Phase.tls.name, Phase.download.name].compactMap { seconds(step.phases[$0]) }
                let firstByte = step.phases[Phase.ttfb.name].flatMap { $0.isEmpty ? nil : Double($0.percentile(50)) / 1_000_000 }
                let unfinished = min(step.requests, step.counters[Counter.unfinished.name] ?? 0)
                return Endpoint(scenario: scenario.name, step: step.name, kind: scenario.kind, requests: step.requests - unfinished,
                                // Requests without an answer waited too (until a timeout, say): their time counts.
                                totalSeconds: (seconds(step.service) ?? 0) + (seconds(step.phases[Phase.unanswered.name]) ?? 0),
                                networkSeconds: network.isEmpty ? nil : network.reduce(0, +),
                                poolWaitSeconds: seconds(step.phases[Phase.poolWait.name]), poolWait: step.phases[Phase.poolWait.name],
                                fastTenthSeconds: step.service.isEmpty ? nil : Double(step.service.percentile(10)) / 1_000_000,
                                download: step.phases[Phase.download.name], firstByteMedianSeconds: firstByte,
                                connect: step.phases[Phase.connect.name], answered: step.service.count)
            }
        }
        var intervals = timeline.map { interval in
            RequestInterval(start: artifact.startedAt.addingTimeInterval(interval.start), duration: interval.duration,
                            requests: Dictionary(interval.steps.map { ("\($0.scenario)/\($0.step)", $0.requests) }, uniquingKeysWith: +))
        }
        for scenario in artifact.scenarios {
            for step in scenario.steps {
                // Taken from the last intervals back, where the drain's end counted them.
                var left = step.counters[Counter.unfinished.name] ?? 0
                let name = "\(scenario.name)/\(step.name)"
                for index in intervals.indices.reversed() where left > 0 {
                    let taken = min(left, intervals[index].requests[name] ?? 0)
                    intervals[index].requests[name]? -= taken
                    left -= taken
                }
            }
        }
        requestIntervals = intervals.isEmpty ? nil : intervals
    }

    public var requests: UInt64 { endpoints.reduce(0) { $0 + $1.requests } }
    /// Measured service time over all endpoints, in seconds.
    public var totalSeconds: Double { endpoints.reduce(0) { $0 + $1.totalSeconds } }
    /// The requests' whole time: the service time and the waits for the driver's pool (SQL scenarios),
    /// which are kept apart from it. What a share of request time is of.
    public var requestSeconds: Double { endpoints.reduce(0) { $0 + $1.totalSeconds + ($1.poolWaitSeconds ?? 0) } }
    public var httpEndpoints: [Endpoint] { endpoints.filter { $0.kind == .http } }
}
