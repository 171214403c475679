/// The keys of `StepResult.phases` and `StepResult.counters` that reports and thresholds read.
///
/// The maps stay open-ended; these names are the vocabulary the engines (StrainLoad) write and the
/// diagnoser and renderers read, kept in one place so a typo cannot make a threshold silently see nothing.
/// Each phase is the duration of that phase alone (not cumulative like curl's raw times), so the
/// phases of a request add up: dns + connect + tls + ttfb + transfer = total.
public enum PhaseName {
    /// Name resolution (HTTP).
    public static let dns = "dns"
    /// The TCP handshake, after DNS (HTTP).
    public static let connect = "connect"
    /// The TLS handshake, after connect (HTTPS).
    public static let tls = "tls"
    /// From the request sent to the first response byte: the server's wait (HTTP).
    public static let ttfb = "ttfb"
    /// From the first response byte to the last: the rest of the response's transfer (HTTP). Small
    /// responses take microseconds here, unless the server's writes wait for ACKs (Nagle).
    public static let download = "download"
    /// The whole transfer as libcurl measured it, all phases included (HTTP).
    public static let total = "total"
    /// Time a query waited for a pooled PostgreSQL connection.
    public static let poolWait = "poolWait"
    /// A PostgreSQL iteration from its intended start to its last result (pgbench's transaction time).
    public static let transaction = "transaction"
    /// How late the generator started an iteration against its schedule (first step only): its own
    /// lag, not part of the request, so it is left out of the per-request breakdown.
    public static let schedulerLag = "schedulerLag"

    /// The order phases are shown in; phases not listed here follow, alphabetically.
    public static let displayOrder = [dns, connect, tls, ttfb, download, total, poolWait, transaction, schedulerLag]
}

public enum CounterName {
    /// Response body bytes received (HTTP; headers are not counted).
    public static let bytesIn = "bytesIn"
    /// Request body bytes sent.
    public static let bytesOut = "bytesOut"
    /// Connections opened (a high count under keep-alive means connections were not reused).
    public static let newConnections = "newConnections"
    /// Requests that reused a kept-alive connection.
    public static let reusedConnections = "reusedConnections"
    /// Iterations that could not start on time because every allowed connection was busy (open
    /// model); they started late, their latency including the wait.
    public static let missed = "missed"
    /// Iterations never started: the backlog was full or the run ended first.
    public static let dropped = "dropped"
    /// Requests still in flight when the run's drain period ended; not in the latency histograms.
    public static let unfinished = "unfinished"
    /// Rows returned (PostgreSQL).
    public static let rows = "rows"
    /// Checks evaluated (status, body …).
    public static let checks = "checks"
    /// Checks that failed.
    public static let checkFailures = "checkFailures"
    /// Transactions a PostgreSQL iteration left open when it ended (after an error), rolled back.
    public static let rollbacks = "rollbacks"
    /// Broken PostgreSQL connections replaced by new ones.
    public static let reconnects = "reconnects"
    /// HTTP responses whose body was longer than the step's `maxBodyBytes`: checks and extraction
    /// saw only its first `maxBodyBytes`.
    public static let truncatedBodies = "truncatedBodies"
}

/// The series `strain run --output prometheus=URL` writes (Prometheus remote write), one per step,
/// labelled `run_id`, `profile`, `scenario`, `step`; a sample per series at the end of each interval.
/// Dashboards and alerts are written against these names (scripts/grafana/strain.json).
public enum PrometheusName {
    /// Requests sent since the run started (a counter: the step's `requests` in run.json at the end).
    public static let requests = "strain_requests_total"
    /// Failed requests since the run started (a counter: the step's `failures` in run.json at the end).
    public static let errors = "strain_errors_total"
    /// Latency from the intended send time during the interval, in seconds, with a `quantile` label
    /// (`quantiles`); only for intervals with at least one response.
    public static let latency = "strain_latency_seconds"
    /// Plain service time during the interval, in seconds, with a `quantile` label.
    public static let serviceTime = "strain_service_time_seconds"

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
