import Foundation
import StrainContract
import StrainProfile
import Testing
@testable import StrainReport

/// The capacity search as a state machine: which rate comes next, and when it is done.
struct CapacitySearchTests {
    /// Runs the search against a target whose SLO holds up to `knee` (exclusive above it).
    static func search(knee: Double, start: Double = 100, maxRate: Double = 10_000, maxSteps: Int = 30,
                       generatorBoundFrom: Double = .infinity) -> (rates: [Double], outcome: CapacitySearch.Outcome) {
        var search = CapacitySearch(.init(startRate: start, maxRate: maxRate, maxSteps: maxSteps))
        var rates: [Double] = []
        while case .measure(let rate) = search.next {
            rates.append(rate)
            search.record(rate >= generatorBoundFrom ? .generatorBound : rate <= knee ? .held : .failed, at: rate)
        }
        // `next` is either a rate to measure or the outcome: past the loop it is the outcome.
        guard case .finished(let outcome) = search.next else { preconditionFailure("the search stopped without an outcome") }
        return (rates, outcome)
    }

    @Test func rampsByDoublingThenBisectsToFivePercent() {
        let (rates, outcome) = Self.search(knee: 500)
        #expect(Array(rates.prefix(4)) == [100, 200, 400, 800])
        #expect(rates.dropFirst(4).allSatisfy { $0 > 400 && $0 < 800 })
        guard case .sustainable(let rate, let failing) = outcome else {
            Issue.record("expected a bracketed knee, got \(outcome)")
            return
        }
        #expect(rate <= 500 && failing > 500)
        #expect(failing - rate <= 0.05 * rate)
        #expect(rate >= 500 / 1.05)
    }

    @Test func theLowestStepFailing() {
        let (rates, outcome) = Self.search(knee: 50)
        #expect(rates == [100])
        #expect(outcome == .noneHeld(lowestRate: 100))
    }

    @Test func holdingUpToTheMaximumRate() {
        let (rates, outcome) = Self.search(knee: 1e9, maxRate: 700)
        #expect(rates == [100, 200, 400, 700])
        #expect(outcome == .atLeast(rate: 700, limit: .maxRate))
    }

    /// A maximum below the profile's rate: the first step, and the header that announces it, use it.
    @Test func aMaximumBelowTheProfilesRateIsTheFirstStep() {
        let (rates, _) = Self.search(knee: 1e9, start: 20, maxRate: 10)
        #expect(rates == [10])
        #expect(CapacitySearch.Settings(startRate: 20, maxRate: 10, maxSteps: 5).firstRate == 10)
    }

    @Test func theGeneratorSaturatingFirstStopsTheSearch() {
        let (rates, outcome) = Self.search(knee: 5_000, generatorBoundFrom: 800)
        // Measured twice: a step the self-check rejects once may have met a busy machine's hiccup.
        #expect(rates == [100, 200, 400, 800, 800])
        #expect(outcome == .atLeast(rate: 400, limit: .generatorBound))
    }

    @Test func aStepDisturbedOnceIsMeasuredAgainAndTheSearchGoesOn() {
        var search = CapacitySearch(.init(startRate: 100, maxRate: 10_000, maxSteps: 30))
        var rates: [Double] = []
        var disturbed = false
        while case .measure(let rate) = search.next {
            rates.append(rate)
            if rate == 200, !disturbed {
                disturbed = true
                search.record(.generatorBound, at: rate)
            } else {
                search.record(rate <= 500 ? .held : .failed, at: rate)
            }
        }
        #expect(Array(rates.prefix(5)) == [100, 200, 200, 400, 800])
        guard case .finished(.sustainable(let rate, _)) = search.next else {
            Issue.record("expected a bracketed knee, got \(search.next)")
            return
        }
        #expect(rate <= 500 && rate >= 500 / 1.05)
        // The budget spent on the repeat ends the search as generator-bound when nothing is left for it.
        var tight = CapacitySearch(.init(startRate: 100, maxRate: 10_000, maxSteps: 2))
        tight.record(.held, at: 100)
        tight.record(.generatorBound, at: 200)
        #expect(tight.next == .finished(.atLeast(rate: 100, limit: .generatorBound)))
    }

    @Test func theBudgetEndsTheSearchWithWhatItKnows() {
        #expect(Self.search(knee: 5_000, maxSteps: 3).outcome == .atLeast(rate: 400, limit: .budget))
        // Bracketed but not yet narrow: the bracket found so far is the answer.
        #expect(Self.search(knee: 500, maxSteps: 5).outcome == .sustainable(rate: 400, failingRate: 600))
    }
}

extension CapacitySearchTests {
    /// A search cut short (a stop signal, a step that could not run) answers with what its finished steps showed.
    @Test(arguments: [
        ([], [], CapacitySearch.Outcome.atLeast(rate: 0, limit: .stopped)),
        ([100, 200], [], .atLeast(rate: 200, limit: .stopped)),
        ([100, 200, 400], [800], .sustainable(rate: 400, failingRate: 800)),
        ([], [100], .noneHeld(lowestRate: 100)),
    ] as [([Double], [Double], CapacitySearch.Outcome)])
    func aSearchCutShortKeepsWhatItsStepsShowed(held: [Double], failed: [Double], expected: CapacitySearch.Outcome) {
        var search = CapacitySearch(.init(startRate: 100, maxRate: 10_000, maxSteps: 30))
        for rate in held { search.record(.held, at: rate) }
        for rate in failed { search.record(.failed, at: rate) }
        #expect(search.outcomeSoFar == expected)
    }

    @Test func aReportOfASearchCutShortSaysSoInItsHeadline() {
        let report = CapacityReport(profile: ProfileInfo(name: "web", path: "web.json5", sha256: ""), slo: ["errors: rate < 1%"],
                                    warmUpSeconds: 1, measuredSeconds: 3, outcome: .atLeast(rate: 200, limit: .stopped),
                                    limitedBy: nil, steps: [], stoppedEarly: "interrupted during the step at 400/s")
        #expect(report.headline == "capacity ≥ 200.0/s, the search stopped early: interrupted during the step at 400/s")
        let bracketed = CapacityReport(profile: report.profile, slo: report.slo, warmUpSeconds: 1, measuredSeconds: 3,
                                       outcome: .sustainable(rate: 400, failingRate: 800), limitedBy: nil, steps: [],
                                       stoppedEarly: "interrupted during the step at 600/s")
        #expect(bracketed.headline.hasSuffix("; the search stopped early: interrupted during the step at 600/s"))
        #expect(bracketed.html().contains(#"class="verdict invalid""#))
    }
}

/// A step is judged on its measured part only: the warm-up intervals and the partial last one are left out.
struct CapacityStepTests {
    static func interval(_ start: Double, requests: UInt64, failures: UInt64, latencyMicros: UInt64, partial: Bool = false) -> TimelineInterval {
        TimelineInterval(start: start, duration: partial ? 0.2 : 1, partial: partial, steps: [
            IntervalStep(scenario: "web", step: "home", requests: requests, failures: failures,
                         latency: Histogram(recording: Array(repeating: latencyMicros, count: Int(requests - failures)))),
        ])
    }

    static let artifact = RunArtifact(
        tool: ToolInfo(version: "test"), profile: nil, host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "linux", arch: "x86_64"),
        gitSHA: nil, startedAt: Date(timeIntervalSince1970: 1000), endedAt: Date(timeIntervalSince1970: 1005.2),
        status: .completed, validity: Validity(valid: true),
        scenarios: [ScenarioResult(name: "web", kind: .http, iterations: 0, rateSeconds: 5, steps: [StepResult(name: "home", requests: 999)])])

    static let timeline = [
        interval(0, requests: 100, failures: 50, latencyMicros: 900_000),  // warm-up: slow and failing
        interval(1, requests: 100, failures: 1, latencyMicros: 10_000),
        interval(2, requests: 100, failures: 0, latencyMicros: 10_000),
        interval(3, requests: 100, failures: 0, latencyMicros: 10_000),
        interval(4, requests: 100, failures: 0, latencyMicros: 30_000),
        interval(5, requests: 20, failures: 20, latencyMicros: 0, partial: true),
    ]

    @Test func theWarmUpAndThePartialLastIntervalAreLeftOut() throws {
        let measured = CapacitySLO.measuredPart(of: Self.artifact, timeline: Self.timeline, warmUp: 1)
        let step = try #require(measured.scenarios.first?.steps.first)
        #expect(step.requests == 400)
        #expect(step.failures == 1)
        #expect(measured.endedAt.timeIntervalSince(measured.startedAt) == 4)
        // The step's 5 s schedule is not the measured part's time: a rate SLO sees 100/s.
        let rate = try [Threshold(line: "requests: rate >= 100/s", scenarios: [])]
        #expect(ThresholdEvaluator.evaluate(rate, on: measured).first?.observed == 100)

        let slo = try [Threshold(line: "errors: rate < 1%", scenarios: []), Threshold(line: "latency: p(99) < 50ms", scenarios: [])]
        let result = CapacitySLO.step(rate: 100, measured: measured, slo: slo, validity: Validity(valid: true), folder: "steps/01")
        #expect(result.verdict == .held)
        #expect(result.throughput == 100)
        #expect(abs(result.errorRate - 0.0025) < 1e-12)
        // Little's law: 100/s × mean latency 15ms (three seconds at 10ms, one at 30ms).
        #expect(abs(result.inFlight - 1.5) < 0.05)

        let strict = try [Threshold(line: "latency: p(50) < 5ms", scenarios: [])]
        #expect(CapacitySLO.step(rate: 100, measured: measured, slo: strict, validity: Validity(valid: true), folder: "").verdict == .failed)
        #expect(CapacitySLO.step(rate: 100, measured: measured, slo: slo, validity: Validity(valid: false, reasons: ["busy"]), folder: "").verdict
                == .generatorBound)
    }

    @Test func onlyMetricsKeptPerSecondCanJudgeAStep() throws {
        #expect(CapacitySLO.problem(with: try Threshold(line: "latency: p(99) < 1s", scenarios: [])) == nil)
        #expect(CapacitySLO.problem(with: try Threshold(line: "checks: rate > 0.99", scenarios: [])) != nil)
    }
}
