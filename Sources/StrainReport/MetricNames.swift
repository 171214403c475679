/// The keys of `StepResult.phases` and `StepResult.counters` that reports and thresholds read.
///
/// StrainMetrics keeps those maps open-ended; these names are the vocabulary the engines write and
/// the renderers read, kept in one place so a typo cannot make a threshold silently see nothing.
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
    /// The whole transfer as libcurl measured it, all phases included (HTTP).
    public static let total = "total"
    /// Time a query waited for a pooled PostgreSQL connection.
    public static let poolWait = "poolWait"
    /// How late the generator started an iteration against its schedule (first step only): its own
    /// lag, not part of the request, so it is left out of the per-request breakdown.
    public static let schedulerLag = "schedulerLag"

    /// The order phases are shown in; phases not listed here follow, alphabetically.
    public static let displayOrder = [dns, connect, tls, ttfb, total, poolWait, schedulerLag]
}

public enum CounterName {
    /// Response bytes received (HTTP body and headers).
    public static let bytesIn = "bytesIn"
    /// Request bytes sent.
    public static let bytesOut = "bytesOut"
    /// Connections opened (a high count under keep-alive means connections were not reused).
    public static let newConnections = "newConnections"
    /// Iterations that could not start on time because every allowed connection was busy (open
    /// model); they started late, their latency including the wait.
    public static let missed = "missed"
    /// Iterations never started: the backlog was full or the run ended first.
    public static let dropped = "dropped"
    /// Rows returned (PostgreSQL).
    public static let rows = "rows"
    /// Checks evaluated (status, body …).
    public static let checks = "checks"
    /// Checks that failed.
    public static let checkFailures = "checkFailures"
}
