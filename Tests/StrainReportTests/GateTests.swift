import Foundation
import StrainContract
import StrainReport
import Testing

/// The gate's whole table: how a run ended, its validity and its thresholds → verdict and exit status.
struct GateTests {
    struct RunCase: CustomTestStringConvertible, Sendable {
        let status: RunStatus
        let stop: EarlyStop.Cause?
        let valid: Bool
        /// Nil: no thresholds evaluated.
        let thresholdsHold: Bool?
        let verdict: RunVerdict
        let exit: StrainReport.ExitStatus

        var testDescription: String {
            "\(status) \(stop.map { "(\($0))" } ?? "") \(valid ? "valid" : "invalid") thresholds \(thresholdsHold.map { $0 ? "hold" : "fail" } ?? "none") → \(exit)"
        }
    }

    static let runCases: [RunCase] = [
        RunCase(status: .completed, stop: nil, valid: true, thresholdsHold: true, verdict: .passed, exit: .ok),
        RunCase(status: .completed, stop: nil, valid: true, thresholdsHold: nil, verdict: .passed, exit: .ok),
        RunCase(status: .completed, stop: nil, valid: true, thresholdsHold: false, verdict: .thresholdsFailed, exit: .thresholdsFailed),
        // Invalid outranks failed thresholds: the numbers cannot be trusted either way.
        RunCase(status: .completed, stop: nil, valid: false, thresholdsHold: false, verdict: .invalid, exit: .invalidRun),
        RunCase(status: .completed, stop: nil, valid: false, thresholdsHold: true, verdict: .invalid, exit: .invalidRun),
        // An abortOnFail threshold stopped the run: that threshold failed, whatever else.
        RunCase(status: .stoppedEarly, stop: .threshold, valid: true, thresholdsHold: false, verdict: .thresholdsFailed, exit: .thresholdsFailed),
        RunCase(status: .stoppedEarly, stop: .threshold, valid: false, thresholdsHold: false, verdict: .thresholdsFailed, exit: .thresholdsFailed),
        RunCase(status: .interrupted, stop: .threshold, valid: true, thresholdsHold: false, verdict: .thresholdsFailed, exit: .thresholdsFailed),
        // Stopped early for a reason of its own: never a pass, and judged on what it measured otherwise.
        RunCase(status: .stoppedEarly, stop: .feederExhausted, valid: true, thresholdsHold: true, verdict: .stoppedEarly, exit: .stoppedEarly),
        RunCase(status: .stoppedEarly, stop: .feederExhausted, valid: true, thresholdsHold: false, verdict: .thresholdsFailed, exit: .thresholdsFailed),
        RunCase(status: .stoppedEarly, stop: .feederExhausted, valid: false, thresholdsHold: true, verdict: .invalid, exit: .invalidRun),
        // How it ended outranks the rest: an interrupted, failed or killed run did not do what was asked.
        RunCase(status: .interrupted, stop: .signal, valid: true, thresholdsHold: true, verdict: .interrupted, exit: .interrupted),
        RunCase(status: .interrupted, stop: .signal, valid: false, thresholdsHold: false, verdict: .interrupted, exit: .interrupted),
        RunCase(status: .failed, stop: .failure, valid: true, thresholdsHold: true, verdict: .failed, exit: .infrastructure),
        RunCase(status: .failed, stop: .targetUnreachable, valid: false, thresholdsHold: false, verdict: .failed, exit: .infrastructure),
        // A checkpoint found after the fact: the run was killed before its plan was done.
        RunCase(status: .running, stop: nil, valid: true, thresholdsHold: true, verdict: .incomplete, exit: .interrupted),
        RunCase(status: .running, stop: nil, valid: true, thresholdsHold: false, verdict: .incomplete, exit: .interrupted),
    ]

    @Test(arguments: runCases)
    func aRunIsJudgedByHowItEndedThenItsValidityThenItsThresholds(_ run: RunCase) throws {
        var artifact = KnownRun.artifact
        artifact.status = run.status
        artifact.earlyStop = run.stop.map { EarlyStop(cause: $0, reason: "test", at: 1) }
        artifact.validity = Validity(valid: run.valid, reasons: run.valid ? [] : ["generator CPU above 90%"])
        // browse.login's latency is 2 ms throughout.
        let thresholds = try run.thresholdsHold.map { hold in
            ThresholdEvaluator.evaluate(try KnownRun.thresholds(#""browse.login.latency": ["p(99) \#(hold ? "<" : ">") 2500us"]"#), on: artifact)
        }
        let report = RunReport(artifact: artifact, thresholds: thresholds)
        #expect(Gate.verdict(of: report) == run.verdict)
        #expect(report.verdict == run.verdict)
        #expect(Gate.exitStatus(of: report) == run.exit)
    }

    @Test(arguments: [
        ("both valid, same steps, no timelines", true, true, true, ComparisonVerdict.tooShort, StrainReport.ExitStatus.badInput),
        ("the new run invalid", true, false, true, .invalid, .invalidRun),
        ("the base invalid", false, true, true, .invalid, .invalidRun),
        ("no step in common", true, true, false, .nothingInCommon, .badInput),
    ])
    func aComparisonIsJudgedByValidityThenWhatItCouldCompare(_ name: String, baseValid: Bool, newValid: Bool,
                                                             sameSteps: Bool, verdict: ComparisonVerdict, exit: StrainReport.ExitStatus) {
        var base = KnownRun.artifact
        base.validity = Validity(valid: baseValid)
        var new = KnownRun.artifact
        new.validity = Validity(valid: newValid)
        if !sameSteps {
            new.scenarios = new.scenarios.map { ScenarioResult(name: "other-" + $0.name, kind: $0.kind, iterations: $0.iterations, steps: $0.steps) }
        }
        let comparison = RunComparison(base: RunReport(artifact: base), new: RunReport(artifact: new))
        #expect(Gate.verdict(of: comparison) == verdict, "\(name)")
        #expect(Gate.exitStatus(of: comparison) == exit, "\(name)")
    }

    /// Only a checkpoint of the new run (it was killed), or a run that failed: nothing to judge.
    @Test(arguments: [(RunStatus.running, "the new run is incomplete (only a checkpoint: killed, or still running)"), (.failed, "the new run failed")])
    func aKilledOrFailedRunIsNotCompared(status: RunStatus, reason: String) throws {
        var new = KnownRun.artifact
        new.status = status
        let comparison = RunComparison(base: RunReport(artifact: KnownRun.artifact), new: RunReport(artifact: new))
        #expect(Gate.verdict(of: comparison) == .invalid)
        #expect(Gate.exitStatus(of: comparison) == .invalidRun)
        #expect(try ComparisonReport.render(comparison, as: .terminal).contains("cannot compare: \(reason)"))
    }
}
