import StrainContract

/// The gate: what a run or a comparison amounts to for CI, as a verdict and as an exit status. The
/// one place both are decided, from run folders alone; `strain run`, `report`, `merge` and `compare`
/// only print them, so each gives the same answer for the same folders.
public enum Gate {
    /// An invalid run outranks failed thresholds, because its numbers (passing or failing) cannot be trusted.
    public static func verdict(of report: RunReport) -> RunVerdict {
        if !report.artifact.validity.valid { return .invalid }
        return report.failedThresholds.isEmpty ? .passed : .thresholdsFailed
    }

    /// How the run ended outranks its verdict: a run that failed or was interrupted is not judged on
    /// its part, and one an `abortOnFail` threshold stopped failed that threshold. A run that stopped
    /// early for another reason passes only as "stopped early"; a checkpoint of a killed run (status
    /// `running`) is judged on what it measured.
    public static func exitStatus(of report: RunReport) -> ExitStatus {
        let artifact = report.artifact
        if artifact.status == .failed { return .infrastructure }
        if artifact.earlyStop?.cause == .threshold { return .thresholdsFailed }
        if artifact.status == .interrupted { return .interrupted }
        switch verdict(of: report) {
        case .invalid: return .invalidRun
        case .thresholdsFailed: return .thresholdsFailed
        case .passed: return artifact.status == .stoppedEarly ? .stoppedEarly : .ok
        }
    }

    public static func verdict(of comparison: RunComparison) -> ComparisonVerdict {
        if !comparison.base.artifact.validity.valid || !comparison.new.artifact.validity.valid { return .invalid }
        if comparison.deltas.isEmpty { return .nothingInCommon }
        if !comparison.regressions.isEmpty { return .regression }
        return comparison.deltas.allSatisfy { $0.outcome == .tooFewIntervals } ? .tooShort : .noRegression
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
