import Foundation
import Testing
@testable import StrainLoad

@Suite("open-model pacing")
struct PacerTests {
    static func sendTimes(_ curve: ArrivalCurve, _ arrival: Pacer.Arrival, slot: Int = 0, share: Int = 1) -> [Double] {
        var pacer = Pacer(curve: curve, arrival: arrival, slot: slot, share: share)
        var times: [Double] = []
        while let time = pacer.next() { times.append(time) }
        return times
    }

    @Test func aConstantRateIsEvenlySpacedAndExact() {
        let times = Self.sendTimes(ArrivalCurve([.init(duration: 2, fromRate: 100, toRate: 100)]), .constant)
        #expect(times.count == 200) // arrivals at 0, 10 ms, …, 1.99 s: R×D, as in k6 and vegeta
        #expect(times.first == 0)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(abs(later - earlier - 0.01) < 1e-9)
        }
    }

    @Test func aRampFollowsTheIntegralOfTheRate() {
        // 0 → 100/s over 10 s: 500 arrivals, half of them in the last ~2.93 s (t = 10·√0.5).
        let curve = ArrivalCurve([.init(duration: 10, fromRate: 0, toRate: 100)])
        let times = Self.sendTimes(curve, .constant)
        #expect(times.count == 500)
        #expect(abs(times[250] - 10 * 0.5.squareRoot()) < 1e-6)
        #expect(times.allSatisfy { (0...10).contains($0) })
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    /// What a schedule asked for up to a moment: the integral of its rate, all of it past the end.
    @Test(arguments: [(until: 0.0, arrivals: 0.0), (until: 2, arrivals: 20), (until: 10, arrivals: 500),
                      (until: 12, arrivals: 700), (until: 30, arrivals: 1_500)])
    func arrivalsUntilAMoment(until: Double, arrivals: Double) {
        // 0 → 100/s over 10 s, then 100/s for 10 s.
        let curve = ArrivalCurve([.init(duration: 10, fromRate: 0, toRate: 100), .init(duration: 10, fromRate: 100, toRate: 100)])
        #expect(abs(curve.arrivals(until: until) - arrivals) < 1e-9)
    }

    @Test func stagesChainAtTheirBoundaries() {
        let curve = ArrivalCurve([
            .init(duration: 1, fromRate: 0, toRate: 100),   // 50 arrivals
            .init(duration: 2, fromRate: 100, toRate: 100), // 200 arrivals
        ])
        #expect(curve.totalArrivals == 250)
        #expect(curve.duration == 3)
        #expect(abs(curve.time(reaching: 50)! - 1) < 1e-9)
        #expect(abs(curve.time(reaching: 150)! - 2) < 1e-9)
        #expect(curve.time(reaching: 249) != nil)
        #expect(curve.time(reaching: 250) == nil)
    }

    @Test(arguments: [1, 2, 3, 7])
    func workersSplitTheArrivalsWithoutOverlapOrLoss(share: Int) {
        let curve = ArrivalCurve([.init(duration: 1, fromRate: 0, toRate: 300)])
        let all = Self.sendTimes(curve, .constant)
        let split = (0..<share).flatMap { Self.sendTimes(curve, .constant, slot: $0, share: share) }.sorted()
        #expect(split == all)
    }

    @Test(arguments: [1, 3])
    func aPhaseDelaysEveryWorkersArrivalsByTheSameFractionOfAGap(share: Int) {
        let curve = ArrivalCurve([.init(duration: 1, fromRate: 10, toRate: 10)])
        let times = (0..<share).flatMap { slot in
            var pacer = Pacer(curve: curve, arrival: .constant, slot: slot, share: share, phase: 0.25)
            return Array(sequence(state: ()) { _ in pacer.next() })
        }.sorted()
        // 25 ms into each 100 ms gap: 0.025, 0.125, …, 0.925.
        #expect(times.count == 10)
        for (index, time) in times.enumerated() {
            #expect(abs(time - (0.025 + 0.1 * Double(index))) < 1e-9)
        }
    }

    /// Constant-rate scenarios take turns within a gap; Poisson and closed ones have no schedule to shift.
    @Test func constantRateScenariosTakeTurns() throws {
        let profile = try TestProfile.parse("""
        { name: "turns", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [
            { name: "a", load: { model: "open", rate: "5/s", duration: "1s" }, steps: [{ path: "/" }] },
            { name: "b", load: { model: "open", rate: "5/s", duration: "1s", arrival: "poisson" }, steps: [{ path: "/" }] },
            { name: "c", load: { model: "closed", connections: 1, iterations: 1 }, steps: [{ path: "/" }] },
            { name: "d", load: { model: "open", rate: "7/s", duration: "1s" }, steps: [{ path: "/" }] },
            { name: "e", load: { model: "open", rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] },
          ] }
        """)
        let phases = profile.scenarios.indices.map { IterationDriver.constantRatePhase(of: $0, in: profile) }
        #expect(phases == [0, 0, 0, 1.0 / 3, 2.0 / 3])
    }

    @Test func poissonArrivalsHaveTheRightRateAndExponentialGaps() {
        let curve = ArrivalCurve([.init(duration: 100, fromRate: 200, toRate: 200)])
        let times = Self.sendTimes(curve, .poisson)
        // 20,000 expected; a Poisson count has σ ≈ 141, so ±3% is over 4σ.
        #expect(abs(Double(times.count) - 20_000) < 600)
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)
        #expect(abs(mean - 0.005) < 0.0005)
        // An exponential's standard deviation equals its mean (a constant rate would give ~0).
        #expect(abs(variance.squareRoot() - mean) / mean < 0.1)
    }

    @Test func poissonWorkersTogetherKeepTheFullRate() {
        let curve = ArrivalCurve([.init(duration: 50, fromRate: 400, toRate: 400)])
        let total = (0..<4).reduce(0) { $0 + Self.sendTimes(curve, .poisson, slot: $1, share: 4).count }
        #expect(abs(Double(total) - 20_000) < 600)
    }

    /// Workers sharing a Poisson curve draw independent gaps: before, worker 1's gaps were worker 0's,
    /// shifted by one (its generator's seed was worker 0's one step on), so the merged arrivals came in
    /// pairs a fixed distance apart.
    @Test func poissonWorkersDrawIndependentGaps() {
        let curve = ArrivalCurve([.init(duration: 100, fromRate: 100, toRate: 100)])
        func gaps(_ slot: Int) -> [Double] {
            let times = Self.sendTimes(curve, .poisson, slot: slot, share: 2)
            return zip(times, times.dropFirst()).map { $1 - $0 }
        }
        let (first, second) = (gaps(0), gaps(1))
        let repeated = zip(first.dropFirst(), second).filter { abs($0 - $1) < 1e-12 }.count
        #expect(repeated == 0, "\(repeated) of \(second.count) gaps repeat the other worker's")
        // Merged, the arrivals are a Poisson process: exponential gaps, whose deviation equals their mean.
        let merged = (Self.sendTimes(curve, .poisson, slot: 0, share: 2) + Self.sendTimes(curve, .poisson, slot: 1, share: 2)).sorted()
        let mergedGaps = zip(merged, merged.dropFirst()).map { $1 - $0 }
        let mean = mergedGaps.reduce(0, +) / Double(mergedGaps.count)
        let deviation = (mergedGaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(mergedGaps.count)).squareRoot()
        #expect(abs(deviation - mean) / mean < 0.1)
    }

    @Test func zeroLengthSegmentsAreIgnored() {
        let curve = ArrivalCurve([.init(duration: 0, fromRate: 10, toRate: 10), .init(duration: 1, fromRate: 10, toRate: 10)])
        #expect(curve.segments.count == 1)
        #expect(Self.sendTimes(curve, .constant).count == 10)
    }

    /// 1.1/s × 90 s is a hair above 99 in floating point: still 99 arrivals, none at the very end.
    @Test func aTotalJustAboveAWholeNumberAddsNoArrivalAtTheEnd() {
        let curve = ArrivalCurve([.init(duration: 90, fromRate: 1.1, toRate: 1.1)])
        #expect(curve.totalArrivals > 99)
        let times = Self.sendTimes(curve, .constant)
        #expect(times.count == 99)
        #expect(times.last.map { $0 < 90 } == true)
    }
}
