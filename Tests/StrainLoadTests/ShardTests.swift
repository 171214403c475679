import Foundation
import StrainContract
import StrainProfile
import Testing
@testable import StrainLoad

/// `strain run --shard I/N`: every split is exact, whatever each shard's worker count.
@Suite("shards")
struct ShardTests {
    @Test(arguments: [(total: 10, count: 3, parts: [4, 3, 3]), (total: 2, count: 3, parts: [1, 1, 0]),
                      (total: 300, count: 3, parts: [100, 100, 100]), (total: 7, count: 1, parts: [7])])
    func partsAddUpWithTheFirstShardsTakingOneMore(total: Int, count: Int, parts: [Int]) {
        #expect((0..<count).map { Shard(index: $0, count: count).part(of: total) } == parts)
    }

    /// The constant arrivals of a ramp, taken by 3 shards with 1, 2 and 4 workers, are exactly the
    /// arrivals of one unsharded pacer.
    @Test func shardsWithAnyWorkerCountsTakeEveryArrivalExactlyOnce() {
        let curve = ArrivalCurve([.init(duration: 4, fromRate: 0, toRate: 300), .init(duration: 4, fromRate: 300, toRate: 300)])
        func times(slot: Int, share: Int) -> [Double] {
            var pacer = Pacer(curve: curve, arrival: .constant, slot: slot, share: share)
            return Array(sequence(state: ()) { _ in pacer.next() })
        }
        let workerCounts = [1, 2, 4]
        var sharded: [Double] = []
        for (index, workers) in workerCounts.enumerated() {
            let shard = Shard(index: index, count: workerCounts.count)
            for worker in 0..<workers {
                let (slot, share) = shard.arrivalSlot(worker: worker, workers: workers)
                sharded += times(slot: slot, share: share)
            }
        }
        #expect(sharded.sorted() == times(slot: 0, share: 1))
    }

    /// Poisson arrivals: independent processes of 1/(N·W) of the rate superpose to the full rate.
    @Test func poissonShardsAddUpToTheFullRate() {
        let curve = ArrivalCurve([.init(duration: 8, fromRate: 300, toRate: 300)])
        var total = 0
        for index in 0..<3 {
            for worker in 0..<2 {
                let (slot, share) = Shard(index: index, count: 3).arrivalSlot(worker: worker, workers: 2)
                var pacer = Pacer(curve: curve, arrival: .poisson, slot: slot, share: share, seed: 42)
                while pacer.next() != nil { total += 1 }
            }
        }
        // 2,400 expected; a Poisson count's standard deviation is √2400 ≈ 49 (a seeded, fixed draw).
        #expect(abs(total - 2_400) < 150, "\(total)")
    }

    @Test func scenarioPartsSplitConnectionsUsersAndIterations() throws {
        let profile = try TestProfile.parse("""
        { name: "parts", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [
            { name: "open", load: { rate: "300/s", duration: "8s", maxConnections: 2 }, steps: [{ path: "/" }] },
            { name: "closed", load: { model: "closed", connections: 10, iterations: 100 }, steps: [{ path: "/" }] },
            { name: "few", load: { model: "closed", connections: 5, iterations: 2 }, steps: [{ path: "/" }] },
          ] }
        """)
        let plan = Plan(profile)
        let parts = (0..<3).map { index in plan.scenarios.map { ScenarioPart($0, shard: Shard(index: index, count: 3)) } }
        // Every shard gets arrivals, so each keeps at least one connection.
        #expect(parts.map { $0[0].connections } == [1, 1, 1])
        #expect(parts.map { $0[1].concurrency } == [4, 3, 3])
        #expect(parts.map { $0[1].iterations } == [34, 33, 33])
        // Two iterations over three shards: the last shard runs none of the scenario.
        #expect(parts.map { $0[2].iterations } == [1, 1, 0])
        #expect(parts.map { $0[2].runs } == [true, true, false])
        #expect(ScenarioPart(plan.scenarios[1], shard: .whole) == ScenarioPart(connections: 10, concurrency: 10, iterations: 100))
    }

    /// Shard I takes the unique feeder's rows ≡ I (mod N): together every row once, never one twice.
    @Test func uniqueFeederRowsNeverRepeatAcrossShards() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try IterationRenderingTests.profile(path: "/${users.id}", feederMode: "unique", in: directory)
        let rowsByShard = try (0..<2).map { index in
            let inputs = try RunInputs(profile: profile, environment: [:], shard: Shard(index: index, count: 2))
            let random = WorkerRandom(seed: 1)
            return Array(sequence(state: ()) { _ in Iteration.pickFeederRows([0], inputs: inputs, random: random)?[0] })
        }
        #expect(rowsByShard == [[0, 2], [1]])
    }

    @Test func sequenceValuesNeverRepeatAcrossShards() throws {
        let directory = try TestProfile.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try IterationRenderingTests.profile(path: "/${sequence(1000)}", in: directory)
        let values = try (0..<3).map { index in
            let inputs = try RunInputs(profile: profile, environment: [:], shard: Shard(index: index, count: 3))
            return (0..<3).map { _ in inputs.nextSequenceValue(start: 1000) }
        }
        #expect(values == [[1000, 1003, 1006], [1001, 1004, 1007], [1002, 1005, 1008]])
    }

    @Test func theShardComesFromTheOptionOrFromTheIndexedJobsEnvironment() throws {
        #expect(try Shard.select(shard: "1/3", shards: nil, environment: [:]) == Shard(index: 1, count: 3))
        #expect(try Shard.select(shard: nil, shards: "3", environment: ["JOB_COMPLETION_INDEX": "2"]) == Shard(index: 2, count: 3))
        #expect(try Shard.select(shard: nil, shards: nil, environment: ["JOB_COMPLETION_INDEX": "0", "STRAIN_SHARDS": "2"])
            == Shard(index: 0, count: 2))
        #expect(try Shard.select(shard: nil, shards: nil, environment: [:]) == nil)
        for (shard, shards, environment, message) in [
            ("3/3", nil, [:], "the index must be 0 to 2"), ("1", nil, [:], "expected I/N"),
            (nil, "3", [:], "needs JOB_COMPLETION_INDEX"), (nil, nil, ["JOB_COMPLETION_INDEX": "1"], "--shards N"),
            (nil, "3", ["JOB_COMPLETION_INDEX": "3"], "expected 0 to 2"), ("0/2", "2", [:], "not both"),
        ] as [(String?, String?, [String: String], String)] {
            let error = try #require(throws: ShardOptionError.self) { try Shard.select(shard: shard, shards: shards, environment: environment) }
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func theStartTimeMustBeSoonAndNotPast() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2025-01-31T12:00:00Z"))
        #expect(try Shard.startAt("2025-01-31T12:00:02Z", now: now) == now.addingTimeInterval(2))
        #expect(try Shard.startAt("2025-01-31T13:00:00.500+01:00", now: now) == now.addingTimeInterval(0.5))
        #expect(try Shard.startAt("2025-01-31T11:59:59.500Z", now: now) == now.addingTimeInterval(-0.5))
        // Foundation took "…Zjunk" for the time before it.
        for text in ["2025-01-31T11:59:58Z", "2025-02-01T12:00:01Z", "tomorrow", "2025-01-31T12:00:02Zjunk"] {
            #expect(throws: ShardOptionError.self) { try Shard.startAt(text, now: now) }
        }
    }
}
