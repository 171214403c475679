import Foundation
import StrainContract
import Testing
@testable import StrainDiagnose

struct StatementCallSeriesTests {
    static let start = Date(timeIntervalSince1970: 1_000_000)

    /// Reads become the calls made between them; a count that fell (an evicted entry made anew)
    /// counts from zero, and statements that did not run are left out.
    @Test func cumulativeReadsBecomeTheCallsOfEachStretch() {
        var series = StatementCallSeries()
        series.add([1: 10, 2: 5], at: Self.start)
        series.add([1: 25, 2: 5], at: Self.start.addingTimeInterval(1))
        series.add([1: 4, 2: 6, 3: 2], at: Self.start.addingTimeInterval(2))
        #expect(series.stretches == [
            StatementCalls(from: Self.start, to: Self.start.addingTimeInterval(1), calls: [.init(queryID: 1, calls: 15)]),
            StatementCalls(from: Self.start.addingTimeInterval(1), to: Self.start.addingTimeInterval(2),
                           calls: [.init(queryID: 1, calls: 4), .init(queryID: 2, calls: 1), .init(queryID: 3, calls: 2)]),
        ])
    }

    /// A long window stays whole at a coarser grain instead of growing without bound.
    @Test func pastTheLimitNeighbouringStretchesMerge() {
        var series = StatementCallSeries()
        for second in 0...(StatementCallSeries.maximumStretches + 1) {
            series.add([1: Int64(second) * 3], at: Self.start.addingTimeInterval(Double(second)))
        }
        #expect(series.stretches.count <= StatementCallSeries.maximumStretches)
        #expect(series.stretches.first?.from == Self.start)
        #expect(series.stretches.last?.to == Self.start.addingTimeInterval(Double(StatementCallSeries.maximumStretches + 1)))
        #expect(zip(series.stretches, series.stretches.dropFirst()).allSatisfy { $0.to == $1.from })
        #expect(series.stretches.flatMap(\.calls).reduce(0) { $0 + $1.calls } == Int64(StatementCallSeries.maximumStretches + 1) * 3)
    }

    @Test(arguments: [(0.0, 1.0), (0.2, 1.0), (1.0, 2.0), (2.999, 3.0), (-0.5, 0.0)])
    func readsFallOnTheLoadsWholeSeconds(elapsed: Double, next: Double) {
        let origin = Self.start
        #expect(StatementCallsSampler.nextRead(after: origin.addingTimeInterval(elapsed), origin: origin)
                == origin.addingTimeInterval(next))
    }
}
