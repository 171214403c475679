import StrainContract

/// The gate: what a run or a comparison amounts to for CI, as a verdict and as an exit status. The
/// one place both are decided, from run folders alone; `strain run`, `report`, `merge` and `compare`
/// only print them, so each gives the same answer for the same folders.
public enum Gate {
    /// How the run ended outranks the rest: a run that failed, was interrupted or killed is not judged
    /// on its part, and one an `abortOnFail` threshold stopped failed that threshold. Then an invalid
    /// run outranks failed thresholds, because its numbers (passing or failing) cannot be trusted; a
    /// run that stopped early for another reason never passes.
    public static func verdict(of report: RunReport) -> RunVerdict {
        let artifact = report.artifact
        if artifact.status == .failed { return .failed }
        if artifact.earlyStop?.cause == .threshold { return .thresholdsFailed }
        switch artifact.status {
        case .interrupted: return .interrupted
        case .running: return .incomplete
        case .completed, .stoppedEarly, .failed: break
        }
        if !artifact.validity.valid { return .invalid }
        if !report.failedThresholds.isEmpty { return .thresholdsFailed }
        return artifact.status == .stoppedEarly ? .stoppedEarly : .passed
    }

    /// The verdict as an exit status; a killed run (only its checkpoint) exits as an interrupted one.
    public static func exitStatus(of report: RunReport) -> ExitStatus {
        switch verdict(of: report) {
        case .passed: .ok
        case .thresholdsFailed: .thresholdsFailed
        case .invalid: .invalidRun
        case .failed: .infrastructure
        case .interrupted, .incomplete: .interrupted
        case .stoppedEarly: .stoppedEarly
        }
    }

    /// A run that cannot be judged alone (invalid, failed, or killed: only a checkpoint) cannot be
    /// judged against another either.
    public static func verdict(of comparison: RunComparison) -> ComparisonVerdict {
        if !comparable(comparison.base) || !comparable(comparison.new) { return .invalid }
        if comparison.deltas.isEmpty { return .nothingInCommon }
        if !comparison.regressions.isEmpty { return .regression }
        return comparison.deltas.allSatisfy { $0.outcome == .tooFewIntervals } ? .tooShort : .noRegression
    }

    static func comparable(_ report: RunReport) -> Bool {
        report.artifact.validity.valid && report.artifact.status != .failed && report.artifact.status != .running
    }

    /// Runs that cannot be compared (nothing in common, too short) are bad input: the gate cannot judge them.
    public static func exitStatus(of comparison: RunComparison) -> ExitStatus {
        switch verdict(of: comparison) {
        case .noRegression: .ok
        case .regression: .regression
        case .invalid: .invalidRun
        case .nothingInCommon, .tooShort: .badInput
        }
    }
}
