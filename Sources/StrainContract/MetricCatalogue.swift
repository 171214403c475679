/// The metric catalogue: every name a step records in the run artifact (`Phase`, `Counter`) and every
/// metric a threshold may judge (`Metric`) with its kind, unit and the aggregations it takes. The
/// engines' tallies (StrainLoad), thresholds (StrainProfile), the diagnoser, the reports and the JSON
/// Schema's threshold-key pattern (checked by SchemaTests) all read it: a new metric is added here.

/// A step's per-phase histograms, by their key in `StepResult.phases`. Each phase is the duration of
/// that phase alone (not cumulative like curl's raw times), so the phases of a request add up:
/// dns + connect + tls + ttfb + download = total. Declared in the order reports show them.
public enum Phase: Int, CaseIterable, Sendable {
    /// Name resolution (HTTP, new connections only).
    case dns
    /// The TCP handshake, after DNS (HTTP, new connections only).
    case connect
    /// The TLS handshake, after connect (HTTPS, new connections only).
    case tls
    /// From the request sent to the first response byte: the server's wait (HTTP).
    case ttfb
    /// From the first response byte to the last: the rest of the response's transfer (HTTP). Small
    /// responses take microseconds here, unless the server's writes wait for ACKs (Nagle).
    case download
    /// The whole transfer as the engine measured it, all phases included (HTTP).
    case total
    /// Time a query waited for a pooled PostgreSQL connection.
    case poolWait
    /// A PostgreSQL iteration (pgbench's transaction) from its intended start to the end of its last
    /// statement; on the last step.
    case transaction
    /// How late the generator started an iteration against its schedule (first step only): its own
    /// lag, which the self-check bounds, not part of the request, so it is left out of the per-request breakdown.
    case schedulerLag
    /// A request that got no answer (timed out, refused, reset), from its send to its failure: time
    /// its user waited that no latency percentile holds, which the diagnosis counts.
    case unanswered

    /// The key in `StepResult.phases`: the case's name.
    public var name: String { String(describing: self) }

    /// The phase recorded under `name`, if it is one of these.
    public init?(name: String) {
        guard let phase = Phase.allCases.first(where: { $0.name == name }) else { return nil }
        self = phase
    }
}

/// A step's counters, by their key in `StepResult.counters`.
public enum Counter: Int, CaseIterable, Sendable {
    /// Response body bytes received (HTTP; headers are not counted).
    case bytesIn
    /// Request body bytes sent.
    case bytesOut
    /// Connections opened (a high count under keep-alive means connections were not reused).
    case newConnections
    /// Requests that reused a kept-alive connection.
    case reusedConnections
    /// Checks evaluated (status, body …).
    case checks
    /// Checks that failed.
    case checkFailures
    /// Iterations that could not start on time because every allowed connection was busy (open
    /// model); they started once one was free, their latency including the wait (first step only).
    case missed
    /// Iterations never started: the backlog was full or the run ended first (first step only).
    case dropped
    /// Requests still in flight when the run's drain period ended: counted in `requests` and as
    /// failures (label "unfinished"), not in the latency histograms.
    case unfinished
    /// Rows returned (PostgreSQL).
    case rows
    /// Transactions a PostgreSQL iteration left open when it ended (after an error), rolled back.
    case rollbacks
    /// Broken PostgreSQL connections replaced by new ones.
    case reconnects
    /// HTTP responses whose body was longer than the step's `maxBodyBytes`: checks and extraction
    /// saw only its first `maxBodyBytes`.
    case truncatedBodies
    /// Requests refused before anything was sent: the step could not be rendered, or what it rendered
    /// cannot go on the wire (a header value with CR or LF, a URL with a space). No connection was used.
    case notSent

    /// The key in `StepResult.counters`: the case's name.
    public var name: String { String(describing: self) }
}

/// What a threshold may judge, by its name in a profile's threshold keys (`"checkout.latency"`).
public enum Metric: String, Sendable, CaseIterable {
    /// From the intended start (the schedule in the open model) to the end of the response: corrected for
    /// coordinated omission.
    case latency
    /// From the actual send to the end of the response.
    case serviceTime = "service_time"
    case dns
    case connect
    case tls
    case ttfb
    /// Time a PostgreSQL query waited for a pooled connection.
    case poolWait = "pool_wait"
    /// Failed requests or queries (transport errors, timeouts, failed checks' requests).
    case errors
    case requests
    /// Failed checks.
    case checks
    /// Open-model arrivals never sent (k6's `dropped_iterations`): every connection busy and the backlog
    /// of waiting arrivals full, or still waiting when the run ended. Counted on a scenario's first step.
    case dropped

    public enum Kind: Sendable {
        /// A distribution of durations, summarised with p(N), avg, min, max or med.
        case duration
        /// A count, summarised with count or rate.
        case count
    }

    public var kind: Kind {
        switch self {
        case .latency, .serviceTime, .dns, .connect, .tls, .ttfb, .poolWait: .duration
        case .errors, .requests, .checks, .dropped: .count
        }
    }

    public var isTrend: Bool { kind == .duration }

    /// The phase histogram a duration metric other than latency and service time is read from.
    public var phase: Phase? {
        switch self {
        case .dns: .dns
        case .connect: .connect
        case .tls: .tls
        case .ttfb: .ttfb
        case .poolWait: .poolWait
        case .latency, .serviceTime, .errors, .requests, .checks, .dropped: nil
        }
    }

    /// The only kind of scenario that measures this metric, if it is not measured for both.
    public var measuredOnly: ScenarioKind? {
        switch self {
        case .dns, .connect, .tls, .ttfb: .http
        case .poolWait: .postgres
        case .latency, .serviceTime, .errors, .requests, .checks, .dropped: nil
        }
    }

    /// The aggregations a threshold on this metric may use, as a profile writes them.
    public var aggregations: [String] {
        switch self {
        case _ where isTrend: ["p(N)", "avg", "min", "max", "med"]
        case .requests: ["count", "rate"]
        case .dropped: ["count"]
        default: ["rate", "count"]
        }
    }

    /// The unit of an aggregate of this metric: `rate` is per second for requests, and a fraction
    /// (of requests failed, of checks passed) otherwise.
    public func unit(rate: Bool) -> MetricUnit {
        switch kind {
        case .duration: .seconds
        case .count where !rate: .count
        case .count: self == .requests ? .perSecond : .fraction
        }
    }
}

/// The base unit of a metric's aggregate, and of a threshold's limit on it.
public enum MetricUnit: String, Codable, Sendable {
    case seconds, fraction, count, perSecond
}

/// How `strain run --output prometheus=URL` (Prometheus remote write) names a run's series: a metric
/// of the catalogue under Prometheus's conventions — `strain_` + its name + `_seconds` for durations,
/// `_total` for counts — labelled `run_id`, `profile`, `scenario`, `step`. Pushed per step at the end
/// of each interval: `requests` and `errors` as counters since the start (`strain_requests_total`,
/// `strain_errors_total`), `latency` and `service_time` as the interval's quantiles
/// (`strain_latency_seconds{quantile="0.99"}`). scripts/grafana/strain.json is written against them.
public enum PrometheusSeries {
    /// The series name of `metric`, e.g. `strain_latency_seconds`.
    public static func name(_ metric: Metric) -> String {
        "strain_" + metric.rawValue + (metric.kind == .duration ? "_seconds" : "_total")
    }

    /// The `quantile` label's values and the percentiles they stand for: p50, p90, p99 and the
    /// maximum (quantile 1, as Prometheus summaries write it).
    public static let quantiles: [(label: String, percentile: Double)] = [
        ("0.5", 50), ("0.9", 90), ("0.99", 99), ("1", 100),
    ]

    public static let runIDLabel = "run_id"
    public static let profileLabel = "profile"
    public static let scenarioLabel = "scenario"
    public static let stepLabel = "step"
    public static let quantileLabel = "quantile"
}
