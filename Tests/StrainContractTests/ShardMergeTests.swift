import Foundation
import Testing
@testable import StrainContract

/// `strain merge`'s arithmetic: shards merge into exactly the run one process would have measured.
@Suite struct ShardMergeTests {
    static let profile = ProfileInfo(name: "p", path: "p.json5", sha256: "abc")

    /// Shard `index` of `count`, its step measuring `latencies` (and service times a tenth of them).
    static func shard(_ index: Int, of count: Int, latencies: [UInt64], started: Double = 0, valid: Bool = true,
                      profile: ProfileInfo = profile) -> ShardMerge.Input {
        let step = StepResult(
            name: "get", requests: UInt64(latencies.count), failures: 1,
            latency: Histogram(recording: latencies), service: Histogram(recording: latencies.map { $0 / 10 }),
            phases: ["ttfb": Histogram(recording: latencies.map { $0 / 2 })], counters: ["newConnections": 2],
            statuses: ["200": UInt64(latencies.count), "503": 1],
            errors: [ErrorTally(label: "http.5xx", count: 1, example: "503 from shard \(index)")])
        let artifact = RunArtifact(
            tool: ToolInfo(version: "0.1.0"), profile: profile,
            host: HostInfo(hostname: "pod-\(index)", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: Date(timeIntervalSince1970: 1_700_000_000 + started), endedAt: Date(timeIntervalSince1970: 1_700_000_008 + started),
            status: .completed, seed: 7, validity: Validity(valid: valid, reasons: valid ? [] : ["scheduler lag p99 30ms"]),
            scenarios: [ScenarioResult(name: "s", kind: .http, iterations: UInt64(latencies.count), askedRate: 100, steps: [step])],
            thresholds: [RecordedThreshold(scope: .all, metric: "latency", condition: "p(99) < 1s", abortOnFail: false)],
            shard: Shard(index: index, count: count))
        return ShardMerge.Input(name: "shard-\(index)", artifact: artifact)
    }

    /// A shard's timeline: two seconds of 10 requests each.
    static let timeline = (0..<2).map { second in
        TimelineInterval(start: Double(second), duration: 1, steps: [
            IntervalStep(scenario: "s", step: "get", requests: 10, failures: 0, latency: Histogram(recording: [1_000]))])
    }

    /// The shards' timelines (`timeline` unless given) merged as `strain merge` merges the files.
    static func mergedTimeline(_ shards: [ShardMerge.Input], timelines: [[TimelineInterval]]? = nil) throws -> [TimelineInterval] {
        var iterators = (timelines ?? shards.map { _ in Self.timeline }).map { $0.makeIterator() }
        var merged: [TimelineInterval] = []
        try ShardMerge.mergeTimelines(startedAt: shards.map(\.artifact.startedAt), next: { iterators[$0].next() }) { merged.append($0) }
        return merged
    }

    @Test("a merge of shards equals, histogram for histogram, the histogram of all their samples",
          arguments: Distribution.allCases)
    func mergeIsExact(distribution: Distribution) throws {
        let samples = Array(distribution.values.prefix(30_000))
        // Uneven parts, so no shard is a copy of another.
        let cuts = [0, samples.count / 5, samples.count / 2, samples.count]
        let shards = (0..<3).map { Self.shard($0, of: 3, latencies: Array(samples[cuts[$0]..<cuts[$0 + 1]])) }
        let step = ShardMerge.artifact(of: try ShardMerge.ordered(shards.reversed())).scenarios[0].steps[0]
        #expect(step.latency == Histogram(recording: samples))
        #expect(step.service == Histogram(recording: samples.map { $0 / 10 }))
        #expect(step.phases["ttfb"] == Histogram(recording: samples.map { $0 / 2 }))
        #expect(step.requests == UInt64(samples.count))
        #expect(step.counters == ["newConnections": 6])
        #expect(step.statuses == ["200": UInt64(samples.count), "503": 3])
        #expect(step.errors == [ErrorTally(label: "http.5xx", count: 3, example: "503 from shard 0")])
    }

    @Test func theMergedRunSpansAllShardsAndIsInvalidWhenOneIs() throws {
        let shards = [Self.shard(0, of: 2, latencies: [1, 2]), Self.shard(1, of: 2, latencies: [3], started: 0.4, valid: false)]
        let merged = ShardMerge.artifact(of: try ShardMerge.ordered(shards))
        #expect(merged.startedAt == shards[0].artifact.startedAt)
        #expect(merged.endedAt == shards[1].artifact.endedAt)
        #expect(merged.validity == Validity(valid: false, reasons: ["shard 1: scheduler lag p99 30ms"]))
        #expect(merged.scenarios[0].askedRate == 200)
        #expect(merged.scenarios[0].iterations == 3)
        #expect(merged.thresholds == shards[0].artifact.thresholds)
        #expect(merged.shard == nil && merged.seed == 7)
    }

    /// Intervals fall on the same wall-clock second when the shards started within half a second;
    /// a shard that started a second later lands a second later.
    @Test func timelinesAlignOnTheWallClock() throws {
        let together = try Self.mergedTimeline([Self.shard(0, of: 2, latencies: [1]), Self.shard(1, of: 2, latencies: [1], started: 0.3)])
        #expect(together.map(\.start) == [0, 1])
        #expect(together.map { $0.steps.map(\.requests) } == [[20], [20]])
        #expect(together[0].steps[0].latency.count == 2)
        let apart = try Self.mergedTimeline([Self.shard(0, of: 2, latencies: [1]), Self.shard(1, of: 2, latencies: [1], started: 1.2)])
        #expect(apart.map(\.start) == [0, 1, 2])
        #expect(apart.map { $0.steps[0].requests } == [10, 20, 10])
    }

    @Test(arguments: [
        ([(0, 3), (2, 3)], "missing shard 1 of 3"),
        // Two shards claiming 100,000: the first ten missing, and a count of the rest.
        ([(0, 100_000), (1, 100_000)], "missing shards 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 99988 more of 100000"),
        ([(0, 2), (0, 2), (1, 2)], "shard 0 of 2 is given twice: shard-0 and shard-0"),
        ([(0, 2), (1, 3)], "is a shard of 2 but shard-1 of 3"),
    ] as [([(Int, Int)], String)])
    func shardsThatDoNotBelongTogetherAreRefused(shards: [(Int, Int)], message: String) {
        let inputs = shards.map { Self.shard($0.0, of: $0.1, latencies: [1]) }
        let error = #expect(throws: ShardMergeError.self) { try ShardMerge.ordered(inputs) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    /// The merge walks the shards' timelines side by side, so it needs each in order, as runs write them.
    @Test func aTimelineOutOfOrderIsRefusedNamingItsShard() {
        let shards = [Self.shard(0, of: 2, latencies: [1]), Self.shard(1, of: 2, latencies: [1])]
        let error = #expect(throws: ShardMerge.OutOfOrder.self) {
            try Self.mergedTimeline(shards, timelines: [Self.timeline, Array(Self.timeline.reversed())])
        }
        #expect(error == ShardMerge.OutOfOrder(shard: 1, start: 0))
    }

    @Test func shardsOfDifferentProfilesAreRefused() {
        let other = ProfileInfo(name: "p", path: "p.json5", sha256: "def")
        let error = #expect(throws: ShardMergeError.self) {
            try ShardMerge.ordered([Self.shard(0, of: 2, latencies: [1]), Self.shard(1, of: 2, latencies: [1], profile: other)])
        }
        #expect(error?.description.contains("ran different profiles") == true)
    }

    /// Folders edited by hand: the same profile with other steps, counts that add up past UInt64.max.
    @Test func shardsWithDifferentStepsAreRefused() {
        var second = Self.shard(1, of: 2, latencies: [1])
        second.artifact.scenarios[0].steps = []
        let error = #expect(throws: ShardMergeError.self) { try ShardMerge.ordered([Self.shard(0, of: 2, latencies: [1]), second]) }
        #expect(error?.description.contains("hold different scenarios or steps") == true)
    }

    @Test func countsSaturateInsteadOfOverflowing() throws {
        let shards = (0..<2).map { index in
            var shard = Self.shard(index, of: 2, latencies: [1])
            shard.artifact.scenarios[0].iterations = .max
            shard.artifact.scenarios[0].steps[0].requests = .max
            shard.artifact.scenarios[0].steps[0].counters = ["bytesIn": .max]
            shard.artifact.scenarios[0].steps[0].errors = [ErrorTally(label: "x", count: .max, example: "e")]
            return shard
        }
        var timeline = Self.timeline
        timeline[0].steps[0].requests = .max
        let ordered = try ShardMerge.ordered(shards)
        let scenario = ShardMerge.artifact(of: ordered).scenarios[0]
        #expect(scenario.iterations == .max && scenario.steps[0].requests == .max)
        #expect(scenario.steps[0].counters["bytesIn"] == .max && scenario.steps[0].errors[0].count == .max)
        #expect(try Self.mergedTimeline(ordered, timelines: [timeline, timeline])[0].steps[0].requests == .max)
    }

    @Test(arguments: [
        (#"{"index": 0, "count": 0}"#, "from 1 to 100000, found 0"),
        (#"{"index": 0, "count": 4611686018427387904}"#, "from 1 to 100000"),
        (#"{"index": 2, "count": 2}"#, "from 0 to 1 for 2 shards, found 2"),
        (#"{"index": -1, "count": 2}"#, "found -1"),
    ])
    func aShardOutOfRangeIsNotRead(json: String, message: String) {
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(Shard.self, from: Data(json.utf8)) }
        #expect("\(String(describing: error))".contains(message))
    }
}
