import Foundation

/// Every exit code `strain` can return, in one place; the README's table lists the same names
/// (keep the two in step). CI systems branch on these, so a code never changes meaning. `Gate`
/// decides the ones that judge a run or a comparison.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// The command did what was asked and every threshold held.
    case ok = 0
    /// The run completed but at least one threshold failed.
    case thresholdsFailed = 1
    /// Bad input: an invalid profile, an unknown subcommand or option, a missing argument.
    case badInput = 2
    /// `strain compare`: the new run is significantly worse than the baseline, beyond the practical floor.
    case regression = 3
    /// The generator's self-check failed: its numbers can't be trusted (CPU saturated, scheduler
    /// lag, connections not established). Results are still written, marked invalid.
    case invalidRun = 4
    /// The target or a server could not be reached or used (connection refused everywhere,
    /// database down, unwritable output folder).
    case infrastructure = 5
    /// The run stopped before its plan was done for a reason of its own, e.g. a unique feeder ran out
    /// of rows; what ran was measured and written (`earlyStop` in run.json says why and when).
    case stoppedEarly = 6
    /// `strain diagnose --fail-on SEVERITY`: a finding at or above that severity, for CI gates.
    case findings = 7
    /// Stopped by SIGINT, SIGTERM or SIGHUP; everything measured so far was written.
    case interrupted = 130

    public var meaning: String {
        switch self {
        case .ok: "success"
        case .thresholdsFailed: "a threshold failed"
        case .badInput: "bad profile or usage: the message says what and where"
        case .regression: "regression against the baseline"
        case .invalidRun: "the run is invalid (generator self-check failed)"
        case .infrastructure: "target or infrastructure unreachable"
        case .stoppedEarly: "the run stopped before its plan was done"
        case .findings: "diagnose --fail-on: a finding at or above that severity"
        case .interrupted: "interrupted; partial results were written"
        }
    }
}
