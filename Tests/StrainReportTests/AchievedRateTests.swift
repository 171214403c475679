import Foundation
import StrainContract
import StrainProfile
import StrainReport
import Testing

/// A scenario's achieved rate is over its own schedule, as its asked rate is: not over the run's
/// drain, nor over another scenario's longer schedule.
struct AchievedRateTests {
    /// KnownRun with browse's schedule 10 s (150 requests) and reports' 4 s (40), in a run of 11 s.
    static var run: RunArtifact {
        var artifact = KnownRun.artifact
        artifact.endedAt = artifact.startedAt.addingTimeInterval(11)
        artifact.scenarios[0].rateSeconds = 10
        artifact.scenarios[1].rateSeconds = 4
        return artifact
    }

    @Test(arguments: [
        ("browse.home.requests", 10.0),
        ("browse.requests", 15),
        ("reports.requests", 10),
        ("http.requests", 15),
        // Side by side, each at its own rate.
        ("requests", 25),
    ])
    func requestRateThresholdsAreOverEachScenariosSchedule(key: String, rate: Double) throws {
        let threshold = try #require(try KnownRun.thresholds("\"\(key)\": [\"rate > 1/s\"]").first)
        let observed = try #require(ThresholdEvaluator.evaluate(threshold, on: Self.run).observed)
        #expect(abs(observed - rate) < 1e-9, "observed \(observed)")
    }

    @Test func theReportShowsEachStepsRateOverItsScenariosSchedule() {
        let text = TerminalReport.render(RunReport(artifact: Self.run), color: false)
        let rows = text.split(separator: "\n").filter { $0.contains("/s") }
        #expect(rows.contains { $0.contains("home") && $0.contains("10.0/s") }, "\(rows)")
        #expect(rows.contains { $0.contains("login") && $0.contains("5.00/s") }, "\(rows)")
        #expect(rows.contains { $0.contains("query") && $0.contains("10.0/s") }, "\(rows)")
    }

    /// A run folder written before scenarios recorded their time: rates are over the whole run.
    @Test func withoutRecordedSecondsTheRunsLengthIsUsed() throws {
        var artifact = Self.run
        artifact.scenarios[0].rateSeconds = nil
        #expect(artifact.rateSeconds(of: artifact.scenarios[0]) == 11)
        #expect(artifact.rate(of: artifact.scenarios[0], steps: artifact.scenarios[0].steps) == 150.0 / 11)
        let decoded = try JSONFormat.decoder().decode(ScenarioResult.self,
                                                      from: Data(#"{"name": "s", "kind": "http", "iterations": 1, "steps": []}"#.utf8))
        #expect(decoded.rateSeconds == nil)
    }

    /// No time at all (stopped before its schedule began): no rate rather than infinity.
    @Test func aScenarioWithNoTimeHasNoRate() {
        var artifact = Self.run
        artifact.scenarios[1].rateSeconds = 0
        #expect(artifact.rate(of: artifact.scenarios[1], steps: artifact.scenarios[1].steps) == nil)
        #expect(artifact.requestRate(of: artifact.scenarios) == 15)
    }
}
