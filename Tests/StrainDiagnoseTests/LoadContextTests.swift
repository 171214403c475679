import Foundation
import StrainContract
import Testing
@testable import StrainDiagnose

struct LoadContextTests {
    @Test func runArtifactStepsBecomeEndpointsWithTheirTotals() throws {
        var step = StepResult(name: "orders", requests: 4)
        // Values below 2048 µs, which the histogram records exactly.
        step.service = Histogram(recording: [100, 200, 300, 400])
        step.phases = ["dns": Histogram(recording: [100, 100, 100, 100]), "connect": Histogram(recording: [200, 200, 200, 200]),
                       "download": Histogram(recording: [50, 50, 50, 50]), "ttfb": Histogram(recording: [10, 20, 30, 40]),
                       "poolWait": Histogram(recording: [500, 500, 500, 500])]
        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: Date(), endedAt: Date(), status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: 4, steps: [step])])

        let load = LoadContext(artifact: artifact)
        let endpoint = try #require(load.endpoints.first)
        #expect(endpoint.name == "shop/orders")
        #expect(endpoint.requests == 4)
        #expect(abs(endpoint.totalSeconds - 0.001) < 1e-9)
        // DNS, connect and the download (first byte to last) are time on the network.
        #expect(abs(try #require(endpoint.networkSeconds) - 0.0014) < 1e-9)
        #expect(endpoint.download?.count == 4)
        #expect(endpoint.firstByteMedianSeconds == 0.00002)
        #expect(abs(try #require(endpoint.poolWaitSeconds) - 0.002) < 1e-9)
        #expect(endpoint.poolWait?.count == 4)
        #expect(load.requests == 4)
        // The pool wait is kept apart from the service time; the requests' time is both, and a share of it
        // (here the whole wait) is of both.
        #expect(abs(load.requestSeconds - 0.003) < 1e-9)
        let share = try #require(CheckInput(evidence: EvidenceBuilder.evidence(), load: load, options: CheckOptions()).impact(seconds: 0.002).share)
        #expect(abs(share - 2.0 / 3) < 1e-9)
    }

    /// The timeline's seconds become request counts per endpoint on the wall clock, placed by the
    /// run's start, and fall into the snapshot interval holding their middle.
    @Test func timelineSecondsBecomeRequestIntervalsBetweenSnapshots() throws {
        let started = EvidenceBuilder.start
        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: started, endedAt: started.addingTimeInterval(3), status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: 9, steps: [StepResult(name: "orders", requests: 9)])])
        let timeline = (0..<3).map { second in
            TimelineInterval(start: Double(second), duration: 1, steps: [
                IntervalStep(scenario: "shop", step: "orders", requests: UInt64(second + 2), failures: 0, latency: Histogram()),
            ])
        }
        let load = LoadContext(artifact: artifact, timeline: timeline)
        let requests = try #require(load.requestIntervals)
        #expect(requests.map(\.requests) == [["shop/orders": 2], ["shop/orders": 3], ["shop/orders": 4]])
        #expect(requests[1].middle == started.addingTimeInterval(1.5))
        let snapshots = [0.0, 2, 3].map { offset in
            StatementSnapshot(label: "s", at: started.addingTimeInterval(offset),
                              statements: [EvidenceBuilder.statement(1, "SELECT 1", calls: Int64(offset) * 10, milliseconds: 1, rows: 0)],
                              deallocations: 0, statsReset: "r")
        }
        let intervals = EndpointAttribution.intervals(snapshots: snapshots, requests: requests)
        #expect(intervals == [ActivityInterval(statementCalls: [1: 20], endpointRequests: ["shop/orders": 5]),
                              ActivityInterval(statementCalls: [1: 10], endpointRequests: ["shop/orders": 4])])
        #expect(LoadContext(artifact: artifact).requestIntervals == nil)
    }

    /// Requests still in flight when the run stopped waiting are counted at the drain's end, with no
    /// time in any histogram: the endpoint counts the requests whose time was measured, and the
    /// last seconds lose them where they were counted (a starved pool ends runs with many of them).
    @Test func unfinishedRequestsAreLeftOutOfTheEndpointAndTheLastSeconds() throws {
        let started = EvidenceBuilder.start
        var step = StepResult(name: "pay", requests: 13)
        step.counters = [Counter.unfinished.name: 6]
        step.service = Histogram(recording: [1000, 1000, 1000, 1000, 1000, 1000, 1000])
        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: started, endedAt: started.addingTimeInterval(3), status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: 13, steps: [step])])
        // 4 and 3 answered; the drain's end counted 6 unfinished in a last, partial interval (and 0 in a
        // later one, which cannot take any).
        let timeline = [(0.0, 4), (1, 3), (2, 6), (2.5, 0)].map { start, requests in
            TimelineInterval(start: start, duration: 1, steps: [
                IntervalStep(scenario: "shop", step: "pay", requests: UInt64(requests), failures: 0, latency: Histogram()),
            ])
        }
        let load = LoadContext(artifact: artifact, timeline: timeline)
        #expect(load.endpoints.map(\.requests) == [7])
        #expect(abs(try #require(load.endpoints.first).meanSeconds - 0.001) < 1e-9)
        #expect(try #require(load.requestIntervals).map { $0.requests["shop/pay"] } == [4, 3, 0, 0])
    }

    /// Requests that got no answer (timed out after 10 ms) waited too: their time counts with the
    /// answered ones', so the endpoint's mean is the mean over its requests.
    @Test func unansweredRequestsCountTheTimeTheyWaited() throws {
        var step = StepResult(name: "pay", requests: 10)
        step.service = Histogram(recording: Array(repeating: 1000, count: 7))
        step.phases = [Phase.unanswered.name: Histogram(recording: [10_000, 10_000, 10_000])]
        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: Date(), endedAt: Date(), status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: 10, steps: [step])])
        let endpoint = try #require(LoadContext(artifact: artifact).endpoints.first)
        #expect(endpoint.requests == 10 && endpoint.answered == 7)
        #expect(abs(endpoint.totalSeconds - 0.037) < 1e-9)
    }

    /// Stretches that do not fall on the load's seconds take each second's requests in proportion
    /// to the part of it they cover.
    @Test func requestsAreSplitByTheShareOfEachSecondAStretchCovers() {
        let started = EvidenceBuilder.start
        let requests = (0..<3).map { second in
            LoadContext.RequestInterval(start: started.addingTimeInterval(Double(second)), duration: 1, requests: ["a": 10 * UInt64(second + 1)])
        }
        let stretches = [(-1.0, 0.5), (0.5, 2.25), (2.25, 4)].map { from, to in
            StatementCalls(from: started.addingTimeInterval(from), to: started.addingTimeInterval(to), calls: [.init(queryID: 7, calls: 3)])
        }
        let intervals = EndpointAttribution.intervals(calls: stretches, requests: requests)
        #expect(intervals.map { $0.endpointRequests["a"] ?? 0 } == [5, 5 + 20 + 7.5, 22.5])
        #expect(intervals.allSatisfy { $0.statementCalls == [7: 3] })
    }

    @Test func aLoadWithoutRequestsCountsAsNoLoad() {
        let empty = LoadContext(endpoints: [.init(scenario: "s", step: "t", kind: .http, requests: 0, totalSeconds: 0)])
        let diagnosis = Diagnoser.diagnose(EvidenceBuilder.evidence(), load: empty)
        #expect(diagnosis.requests == nil)
    }

    @Test func withALoadTheDiagnosisCarriesTheRequestCount() {
        let diagnosis = Diagnoser.diagnose(EvidenceBuilder.evidence(), load: EvidenceBuilder.load(requests: 250, seconds: 5))
        #expect(diagnosis.requests == 250)
        #expect(diagnosis.findings.map(\.check) == [.profileTheCode])
    }
}
