import Foundation

/// A statement whose time goes mostly to a minority of slow calls: slow for some parameter values (a
/// customer with many orders, a common status) or for calls that waited, which one plan, taken for one
/// value or for none, does not show.
///
/// pg_stat_statements gives a window's mean m, standard deviation σ and (since its statistics were
/// reset) the slowest call M, not the calls themselves; from them, a bound that holds for any mix of
/// call times: the time S per call spent in calls slower than T satisfies
/// E[x²] ≤ T·(m − S) + M·S, so S ≥ (σ² + m² − T·m) / (M − T). Only a clear case is reported: the
/// bound errs low when M is one outlier far above the other slow calls.
struct ParameterSkew: Equatable {
    /// Calls slower than this are slow: this many times the mean.
    static let slowFactor = 5.0
    /// The slowest call must be this many times the mean …
    static let minimumSlowdown = 10.0
    /// … slow calls must take at least this share of the statement's time …
    static let minimumTimeShare = 1.0 / 3
    /// … and be at least this many: a few stalls are not a pattern.
    static let minimumSlowCalls = 5.0

    let meanSeconds: Double
    let slowestSeconds: Double
    let slowestWasInWindow: Bool
    /// Calls slower than this …
    let slowSeconds: Double
    /// … took at least this share of the statement's time, and were at least this many.
    let timeShare: Double
    let slowCalls: Double

    init?(_ statement: StatementActivity) {
        guard let stddev = statement.stddevSeconds, let slowest = statement.slowestSeconds, statement.calls > 0 else { return nil }
        let mean = statement.meanSeconds
        let threshold = Self.slowFactor * mean
        guard mean > 0, slowest >= Self.minimumSlowdown * mean else { return nil }
        let slowTimePerCall = (stddev * stddev + mean * mean - threshold * mean) / (slowest - threshold)
        timeShare = min(1, slowTimePerCall / mean)
        // Each slow call took at most the slowest's time.
        slowCalls = slowTimePerCall * Double(statement.calls) / slowest
        guard timeShare >= Self.minimumTimeShare, slowCalls >= Self.minimumSlowCalls else { return nil }
        meanSeconds = mean
        slowestSeconds = slowest
        slowestWasInWindow = statement.slowestWasInWindow
        slowSeconds = threshold
    }

    var evidence: String {
        let slowest = slowestWasInWindow ? "the slowest took \(Format.duration(slowestSeconds))"
            : "the slowest since its statistics were reset took \(Format.duration(slowestSeconds))"
        return "calls over \(Format.duration(slowSeconds)) (\(Format.significant(Self.slowFactor)) times the mean) took at least "
            + "\(Format.percent(timeShare)) of its time, at least \(Format.count(slowCalls.rounded(.down))) of them; \(slowest) "
            + "(from the spread of its call times in pg_stat_statements)"
    }

    /// Logging the slow calls with their values and plans; the threshold is where a call is slow.
    var fix: String {
        let threshold = max(1, (slowSeconds * 1000).rounded(.up))
        return "It is slow for some calls only — some parameter values, or waits — which one plan does not show: log them with "
            + "their values and plans (auto_explain with auto_explain.log_min_duration = '\(Int(threshold))ms' and "
            + "auto_explain.log_analyze = on), then index or rewrite for those values."
    }
}
