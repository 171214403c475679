import StrainContract
import Testing
@testable import StrainLoad

@Suite("recording, interval merging and the self-check")
struct RecordingTests {
    static func outcome(intendedLatency: UInt64 = 0, service: UInt64, status: Int? = 200, failure: StepFailure? = nil,
                        newConnections: UInt64 = 0) -> StepOutcome {
        var outcome = StepOutcome(sentAt: 1_000, finishedAt: 1_000 + service,
                                  status: status.map { .http($0) }, failure: failure)
        outcome.phases[.ttfb] = service / 2
        outcome.bytesIn = 1024
        outcome.newConnections = newConnections
        return outcome
    }

    @Test func latencyRunsFromTheIntendedTimeAndServiceFromTheSend() {
        var tally = StepTally()
        // Meant for t = 0, sent at 1 ms (a stalled slot), done at 3 ms.
        tally.record(Self.outcome(service: 2_000), intended: 0)
        #expect(tally.latency.max == 3_000)
        #expect(tally.service.max == 2_000)
        #expect(tally.histogram(of: .ttfb)?.max == 1_000)
        #expect(tally.histogram(of: .dns) == nil)
    }

    @Test func talliesMergeExactlyAndKeepTheFirstErrorExample() {
        var first = StepTally(), second = StepTally()
        first.record(Self.outcome(service: 100, newConnections: 1), intended: 1_000)
        first.record(Self.outcome(service: 100, status: nil, failure: StepFailure(.timeout, "first timeout")), intended: 1_000)
        second.record(Self.outcome(service: 300, status: 500, failure: StepFailure(.status5xx, "status 500")), intended: 1_000)
        second.record(Self.outcome(service: 300, status: nil, failure: StepFailure(.timeout, "second timeout")), intended: 1_000)
        second.add(4, to: .missed)
        first.merge(second)
        let result = first.stepResult(name: "GET /", hiding: [])
        #expect(result.requests == 4)
        #expect(result.failures == 3)
        // Latency is of the two responses; the two timeouts are errors only.
        #expect(result.latency.count == 2)
        #expect(result.service.count == 2)
        #expect(result.statuses == ["200": 1, "500": 1])
        #expect(result.counters["newConnections"] == 1)
        #expect(result.counters["reusedConnections"] == 1)
        #expect(result.counters["bytesIn"] == 4 * 1024)
        #expect(result.counters["missed"] == 4)
        #expect(result.errors == [ErrorTally(label: "timeout", count: 2, example: "first timeout"),
                                  ErrorTally(label: "5xx", count: 1, example: "status 500")])
    }

    /// Where a step's activity ended: its latest finish, a failure's too, or a request given up on.
    /// A message quotes what the target sent, and its label's example goes into every report: a
    /// 5 MB value is cut, saying so; a short one is kept whole.
    @Test func aFailureKeepsAtMost500CharactersOfItsMessage() {
        let huge = StepFailure(.checkFailed, "column \"a\" is \"" + String(repeating: "y", count: 5_000_000) + "\"")
        #expect(huge.message.count == 500 + "… (cut at 500 characters)".count)
        #expect(huge.message.hasPrefix("column \"a\" is \"yyy") && huge.message.hasSuffix("y… (cut at 500 characters)"))
        #expect(StepFailure(.checkFailed, "status 500").message == "status 500")
        #expect(StepFailure.bounded(String(repeating: "é", count: 200)) == String(repeating: "é", count: 200))
    }

    @Test func theLatestFinishIsKeptThroughFailuresAbandonsAndMerges() {
        var first = StepTally(), second = StepTally()
        first.record(Self.outcome(service: 5_000), intended: 0)
        first.record(Self.outcome(service: 2_000, status: nil, failure: StepFailure(.timeout, "timeout")), intended: 0)
        #expect(first.lastFinishedAt == 6_000)
        second.recordNotSent(StepFailure(.template, "unrenderable"))
        #expect(second.lastFinishedAt == 0)
        second.recordUnfinished(at: 9_000)
        #expect(second.lastFinishedAt == 9_000)
        first.merge(second)
        #expect(first.lastFinishedAt == 9_000)
        second.merge(StepTally())
        #expect(second.lastFinishedAt == 9_000)
    }

    @Test func statusesAreCountedExactlyAcrossRunsOfTheSameStatusAndMerges() {
        var first = StepTally(), second = StepTally()
        for status in [200, 200, 500, 200, 200, 200] {
            first.record(Self.outcome(service: 100, status: status), intended: 1_000)
        }
        for status in [500, 500, 204] {
            second.record(Self.outcome(service: 100, status: status), intended: 1_000)
        }
        #expect(first.responses == 6)
        first.merge(second)
        #expect(first.responses == 9)
        #expect(first.stepResult(name: "GET /", hiding: []).statuses == ["200": 5, "500": 3, "204": 1])
        // Counting goes on after a merge and a read.
        first.record(Self.outcome(service: 100, status: 204), intended: 1_000)
        #expect(first.stepResult(name: "GET /", hiding: []).statuses == ["200": 5, "500": 3, "204": 2])
    }

    @Test func aTransportFailureIsAnErrorNotALatency() {
        var tally = StepTally()
        tally.record(Self.outcome(service: 500, status: nil, failure: StepFailure(.connectRefused, "refused")), intended: 1_000)
        #expect(tally.requests == 1 && tally.failures == 1 && tally.responses == 0)
        #expect(tally.latency.isEmpty && tally.service.isEmpty)
        // Its user waited all the same, until it failed: the diagnosis counts that time.
        #expect(tally.histogram(of: .unanswered)?.count == 1 && tally.histogram(of: .unanswered)?.max == 500)
    }

    @Test func aStepThatCouldNotBeSentIsAFailureWithoutLatency() {
        var tally = StepTally()
        tally.recordNotSent(StepFailure(.template, "${x} has no value"))
        #expect(tally.requests == 1 && tally.failures == 1 && tally.latency.isEmpty)
        #expect(!tally.isEmpty)
    }

    static func report(worker: Int, interval: Int, final: Bool = false, requests: Int = 1) -> WorkerReport {
        var tally = StepTally()
        for _ in 0..<requests { tally.record(Self.outcome(service: 500), intended: 1_000) }
        return WorkerReport(worker: worker, interval: interval, end: UInt64(interval + 1) * 1_000_000, isFinal: final,
                            cpuMicros: 100, steps: [0: tally], iterations: [0: UInt64(requests)])
    }

    @Test func anIntervalIsReleasedOnceEveryRunningWorkerReportedIt() {
        var merger = IntervalMerger(workers: 2)
        merger.add(Self.report(worker: 0, interval: 0))
        merger.add(Self.report(worker: 0, interval: 1))
        #expect(merger.takeComplete().isEmpty)
        merger.add(Self.report(worker: 1, interval: 0, requests: 2))
        let released = merger.takeComplete()
        #expect(released.map(\.index) == [0])
        #expect(released[0].steps[0]?.requests == 3)
        #expect(released[0].iterations == [0: 3])
        #expect(released[0].cpuMicros == [0: 100, 1: 100])
        // Worker 1 ends in interval 1; worker 0 goes on alone after that.
        merger.add(Self.report(worker: 1, interval: 1, final: true))
        merger.add(Self.report(worker: 0, interval: 2, final: true))
        #expect(merger.takeComplete().map(\.index) == [1, 2])
        #expect(merger.allFinished)
        #expect(merger.takeComplete().isEmpty)
    }

    @Test func aWorkerThatFailedBeforeReportingDoesNotHoldTheRunUp() {
        var merger = IntervalMerger(workers: 2)
        merger.add(Self.report(worker: 0, interval: 0, final: true))
        merger.finish(worker: 1)
        merger.finish(worker: 0) // already final: nothing changes
        #expect(merger.takeComplete().map(\.index) == [0])
        #expect(merger.allFinished)
    }

    @Test func aTrustworthyRunIsValid() {
        let validity = SelfCheck.validity(busyShares: [0: 0.4, 1: 0.5], schedulerLag: Histogram(recording: [100, 900, 2_000]),
                                          connections: [.init(scenario: "s", asked: 64, established: 64)])
        #expect(validity == Validity(valid: true))
    }

    @Test func saturationLagAndMissingConnectionsMakeARunInvalid() {
        let lag = Histogram(recording: Array(repeating: 100, count: 85) + Array(repeating: 50_000, count: 15))
        let validity = SelfCheck.validity(busyShares: [0: 0.99, 1: 0.5], schedulerLag: lag,
                                          connections: [.init(scenario: "s", asked: 64, established: 12)])
        #expect(!validity.valid)
        #expect(validity.reasons.count == 3)
        #expect(validity.reasons[0].contains("worker 0 was busy 99%"))
        #expect(validity.reasons[1].contains("99th percentile 50.0ms behind schedule"))
        #expect(validity.reasons[2] == "scenario \"s\": only 12 of 64 connections were established")
    }

    /// A run of a few milliseconds (`-n 5`) is mostly its worker's start: no busy share is judged.
    @Test(arguments: [(cpuMicros: UInt64(4_900), wallSeconds: 0.005, shares: [Int: Double]()),
                      (cpuMicros: 1_900_000, wallSeconds: 2, shares: [0: 0.95])])
    func aRunTooShortHasNoBusyShareJudged(cpuMicros: UInt64, wallSeconds: Double, shares: [Int: Double]) {
        #expect(SelfCheck.busyShares(cpuMicros: [0: cpuMicros], wallSeconds: wallSeconds) == shares)
    }

    /// A closed loop whose worker is mostly busy turns at the generator's pace: still valid, but its
    /// throughput is flagged as the generator's. An open model's rate is asked, so it is never flagged.
    @Test(arguments: [(busy: 0.8, closedLoop: true, flagged: true, valid: true),
                      (busy: 0.5, closedLoop: true, flagged: false, valid: true),
                      (busy: 0.8, closedLoop: false, flagged: false, valid: true),
                      (busy: 0.99, closedLoop: true, flagged: false, valid: false)])
    func aClosedLoopLimitedByTheGeneratorIsFlagged(busy: Double, closedLoop: Bool, flagged: Bool, valid: Bool) {
        let validity = SelfCheck.validity(busyShares: [0: 0.3, 1: busy], schedulerLag: Histogram(), connections: [],
                                          closedLoop: closedLoop)
        #expect(validity.valid == valid)
        #expect((validity.generatorBound != nil) == flagged)
        if flagged { #expect(validity.generatorBound?.hasPrefix("generator-bound: worker 1 was busy 80% of the time") == true) }
    }

    /// The run gives a target that never accepted a connection 2 s (or the whole of a shorter run);
    /// one response, or a failure after connecting (a timeout), means the target is there.
    @Test(arguments: [(elapsed: UInt64(1_000_000), ended: false, also: nil, stops: false),
                      (elapsed: 2_000_000, ended: false, also: nil, stops: true),
                      (elapsed: 100_000, ended: true, also: nil, stops: true),
                      (elapsed: 2_000_000, ended: false, also: 200, stops: false),
                      (elapsed: 2_000_000, ended: false, also: -1, stops: false)] as [(UInt64, Bool, Int?, Bool)])
    func aTargetThatNeverAcceptedAConnectionStopsTheRun(elapsed: UInt64, ended: Bool, also: Int?, stops: Bool) {
        var tally = Self.refusals(10)
        switch also {
        case .some(200): tally.record(Self.outcome(service: 100), intended: 0)
        case .some(-1): tally.record(Self.outcome(service: 100, status: nil, failure: StepFailure(.timeout, "timed out")), intended: 0)
        default: break
        }
        var reach = UnreachableTarget()
        reach.add([StepTally(), tally], start: 0)
        let reason = reach.reason(elapsed: elapsed, runEnded: ended)
        #expect((reason != nil) == stops)
        if stops { #expect(reason?.contains("the target is unreachable: all 10 attempts") == true) }
        if stops { #expect(reason?.contains("failed to connect (connect refused), e.g. refused") == true) }
    }

    /// A target that answered and then refused every connection (a crash mid-run) gets 5 s from the
    /// start of the interval its refusals began in (a pause without requests does not count); a
    /// restart within them, or a failure after connecting, keeps the run going; at the run's end, a
    /// shorter spell of refusals is only errors. Per second after the first, answered one: n > 0
    /// refused connects, 0 an answer, -1 a timeout, -2 no request at all.
    @Test(arguments: [
        (after: [10, 10, 10, 10, 10], elapsed: UInt64(5_900_000), ended: false, stops: false),
        (after: [10, 10, 10, 10, 10, 10], elapsed: 6_000_000, ended: false, stops: true),
        (after: [10, 10, 10, 10, 10, 10], elapsed: 6_000_000, ended: true, stops: true),
        (after: [10, 10, 10], elapsed: 4_000_000, ended: true, stops: false),
        (after: [10, 10, 10, 0, 10, 10], elapsed: 8_000_000, ended: false, stops: false),
        (after: [10, 10, 10, -1, 10, 10], elapsed: 8_000_000, ended: false, stops: false),
        (after: [-2, -2, -2, -2, -2, -2, 10], elapsed: 8_000_000, ended: false, stops: false),
        (after: [-2, -2, 10, 10, 10, 10, 10], elapsed: 8_000_000, ended: false, stops: true),
    ] as [([Int], UInt64, Bool, Bool)])
    func aTargetThatStoppedAcceptingConnectionsStopsTheRun(after: [Int], elapsed: UInt64, ended: Bool, stops: Bool) {
        var reach = UnreachableTarget()
        var answered = StepTally()
        answered.record(Self.outcome(service: 100), intended: 0)
        reach.add([answered], start: 0)
        for (index, second) in after.enumerated() {
            var tally = Self.refusals(max(second, 0))
            if second == 0 { tally.record(Self.outcome(service: 100), intended: 0) }
            if second == -1 { tally.record(Self.outcome(service: 100, status: nil, failure: StepFailure(.timeout, "timed out")), intended: 0) }
            reach.add([tally], start: UInt64(index + 1) * 1_000_000)
        }
        let reason = reach.reason(elapsed: elapsed, runEnded: ended)
        #expect((reason != nil) == stops, "\(reason ?? "nil")")
        if stops {
            let began = after.firstIndex { $0 > 0 }! + 1
            #expect(reason == "the target stopped accepting connections \(began).00s into the run: all "
                + "\(after.filter { $0 > 0 }.reduce(0, +)) attempts since failed to connect (connect refused), e.g. refused")
        }
    }

    static func refusals(_ count: Int) -> StepTally {
        var tally = StepTally()
        for _ in 0..<count {
            tally.record(Self.outcome(service: 100, status: nil, failure: StepFailure(.connectRefused, "refused")), intended: 0)
        }
        return tally
    }

    @Test func aFewLateStartsInAShortRunAreTolerated() {
        let lag = Histogram(recording: Array(repeating: 100, count: 40) + Array(repeating: 50_000, count: 10))
        #expect(SelfCheck.validity(busyShares: [:], schedulerLag: lag, connections: []).valid)
    }

    @Test func progressLinesShowRateErrorsPercentilesAndTimeLeft() {
        let line = ProgressLine(elapsed: 12, planned: 30, intervalSeconds: 1, requests: 1_998, failures: 3,
                                latency: Histogram(recording: [400, 410, 1_200]))
        #expect(line.text == "12s/30s  1,998 req/s  3 errors (0.2%)  p50 410µs  p99 1.20ms  18s left")
    }
}
