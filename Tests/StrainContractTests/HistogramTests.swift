import Testing
@testable import StrainContract

@Suite struct HistogramTests {
    static let percentiles: [Double] = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]

    /// The exact nearest-rank percentile of `sorted`.
    static func exactPercentile(_ p: Double, of sorted: [UInt64]) -> UInt64 {
        sorted[Int(Histogram.rank(ofPercentile: p, count: UInt64(sorted.count))) - 1]
    }

    @Test("percentiles are within 0.1% of the exact ones", arguments: Distribution.allCases)
    func percentileAccuracy(_ distribution: Distribution) {
        let values = distribution.values
        let sorted = values.sorted()
        let histogram = Histogram(recording: values)
        for p in Self.percentiles {
            let exact = Self.exactPercentile(p, of: sorted)
            let reported = histogram.percentile(p)
            // Reported values are the top of the exact value's bucket: never below, at most 1/1024 above.
            #expect(reported >= exact, "p\(p)")
            #expect(Double(reported - exact) <= Double(exact) * 0.001, "p\(p): reported \(reported), exact \(exact)")
        }
    }

    @Test("count, min and max are exact, mean and stddev within 0.1%", arguments: Distribution.allCases)
    func summaryStatistics(_ distribution: Distribution) {
        let values = distribution.values
        let histogram = Histogram(recording: values)
        let exactMean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let exactVariance = values.reduce(0.0) { $0 + (Double($1) - exactMean) * (Double($1) - exactMean) } / Double(values.count)
        #expect(histogram.count == UInt64(values.count))
        #expect(histogram.min == values.min())
        #expect(histogram.max == values.max())
        #expect(abs(histogram.mean - exactMean) <= exactMean * 0.001)
        #expect(abs(histogram.stddev - exactVariance.squareRoot()) <= exactMean * 0.001)
        #expect(!histogram.isEmpty)
    }

    @Test("nearest rank", arguments: [
        (50.0, 10, 5), (0, 10, 1), (100, 10, 10), (99.9, 1000, 999), (99.99, 1000, 1000),
        (10, 1, 1), (33.3, 3, 1), (33.4, 3, 2), (0.0001, 1_000_000, 1),
    ] as [(Double, UInt64, UInt64)])
    func rank(p: Double, count: UInt64, expected: UInt64) {
        #expect(Histogram.rank(ofPercentile: p, count: count) == expected)
    }

    @Test("every bucket maps back to itself, buckets tile the range without gaps, width ≤ 1/1024 of value")
    func bucketLayout() {
        var expectedLowest: UInt64 = 0
        for index in 0..<Histogram.bucketCount {
            let lowest = Histogram.lowestEquivalentValue(ofIndex: index)
            let highest = Histogram.highestEquivalentValue(ofIndex: index)
            #expect(lowest == expectedLowest, "bucket \(index)")
            #expect(Histogram.index(for: lowest) == index)
            #expect(Histogram.index(for: Swift.min(highest, Histogram.highestTrackableValue)) == index)
            #expect(lowest < 2048 ? highest == lowest : Double(highest - lowest) < Double(lowest) / 1024)
            expectedLowest = highest + 1
        }
        #expect(Histogram.lowestEquivalentValue(ofIndex: Histogram.bucketCount - 1) <= Histogram.highestTrackableValue)
        #expect(Histogram.highestEquivalentValue(ofIndex: Histogram.bucketCount - 1) >= Histogram.highestTrackableValue)
    }

    @Test("0 counts in the lowest bucket; values above one hour are clamped but max stays true")
    func zeroAndBeyondOneHour() {
        let beyond: UInt64 = 5 * 3_600_000_000
        var histogram = Histogram()
        histogram.record(0, count: 3)
        histogram.record(beyond, count: 2)
        #expect(histogram.min == 0)
        #expect(histogram.max == beyond)
        #expect(histogram.percentile(0) == 0)
        #expect(histogram.percentile(50) == 0)
        #expect(histogram.percentile(100) == beyond)
        let clamped = histogram.percentile(70)
        #expect(clamped >= Histogram.highestTrackableValue)
        #expect(Double(clamped - Histogram.highestTrackableValue) <= Double(Histogram.highestTrackableValue) * 0.001)
    }

    @Test("record(_:count:) equals recording one by one; a count of 0 records nothing")
    func recordWithCount() {
        var batched = Histogram()
        batched.record(1_500, count: 4)
        batched.record(9, count: 0)
        #expect(batched == Histogram(recording: repeatElement(1_500, count: 4)))
        #expect(batched.min == 1_500)
    }

    @Test("merge(a, b) equals recording everything into one", arguments: Distribution.allCases)
    func mergeIsExact(_ distribution: Distribution) {
        let values = distribution.values
        let all = Histogram(recording: values)
        var merged = Histogram(recording: values.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element))
        merged.merge(Histogram(recording: values.enumerated().filter { !$0.offset.isMultiple(of: 2) }.map(\.element)))
        #expect(merged == all)
        #expect(Self.percentiles.map(merged.percentile) == Self.percentiles.map(all.percentile))

        var intoEmpty = Histogram()
        intoEmpty.merge(all)
        #expect(intoEmpty == all)
        var withEmpty = all
        withEmpty.merge(Histogram())
        #expect(withEmpty == all)
    }

    @Test("reset empties the histogram and keeps its storage", arguments: Distribution.allCases)
    func reset(_ distribution: Distribution) {
        var histogram = Histogram(recording: distribution.values)
        histogram.reset()
        #expect(histogram == Histogram())
        #expect(histogram.isEmpty)
        #expect((histogram.count, histogram.min, histogram.max, histogram.percentile(99)) == (0, 0, 0, 0))
        #expect(histogram.bucketCount == Histogram(recording: distribution.values).bucketCount)
        histogram.record(42)
        #expect(histogram == Histogram(recording: [42]))
    }

    @Test("memory is bounded: storage does not grow with the number of values, and never beyond bucketCount")
    func boundedMemory() {
        var histogram = Histogram()
        var random = SeededGenerator(seed: 42)
        for _ in 0..<1_000 { histogram.record(UInt64.random(in: 0...(1 << 40), using: &random)) }
        let before = histogram.bucketCount
        for _ in 0..<1_000_000 { histogram.record(UInt64.random(in: 0...(1 << 40), using: &random)) }
        #expect(histogram.count == 1_001_000)
        #expect(histogram.bucketCount == before)
        #expect(before == Histogram.bucketCount)
    }

    @Test("storage reaches only as far as the highest bucket recorded or merged", arguments: [
        [], [0], [100, 7], [2047], [1_999_999, 3], [UInt64.max],
    ] as [[UInt64]])
    func storageFollowsTheMaximum(values: [UInt64]) {
        let buckets = values.max().map { Histogram.index(for: min($0, Histogram.highestTrackableValue)) + 1 } ?? 0
        let recorded = Histogram(recording: values)
        #expect(recorded.bucketCount == buckets)
        var merged = Histogram(recording: [1])
        merged.merge(recorded)
        #expect(merged.bucketCount == max(buckets, 2))
        #expect(merged == Histogram(recording: values + [1]))
    }

    @Test("histograms holding the same values are equal whatever storage they grew", arguments: Distribution.allCases)
    func equalityIgnoresStorage(_ distribution: Distribution) {
        var grownFirst = Histogram(recording: [Histogram.highestTrackableValue])
        grownFirst.reset()
        for value in distribution.values { grownFirst.record(value) }
        let plain = Histogram(recording: distribution.values)
        #expect(grownFirst.bucketCount == Histogram.bucketCount)
        #expect(grownFirst == plain)
        #expect(grownFirst != Histogram(recording: distribution.values.dropLast()))
    }

    @Test("an empty histogram reports zeros")
    func empty() {
        let histogram = Histogram()
        #expect(histogram.isEmpty)
        #expect([histogram.count, histogram.min, histogram.max, histogram.percentile(50)] == [0, 0, 0, 0])
        #expect(histogram.mean == 0)
        #expect(histogram.stddev == 0)
    }

    /// Histograms read from files claim up to 2^53 values each; merging thousands of them must neither
    /// wrap a bucket nor trap in a percentile.
    @Test func mergingPastUInt64MaxSaturates() {
        var one = Histogram()
        one.record(100, count: 1 << 53)
        one.record(200, count: 1 << 53)
        var merged = Histogram()
        for _ in 0..<2_048 { merged.merge(one) }
        #expect(merged.count == .max)
        #expect(merged.percentile(50) == 100)
        #expect(merged.percentile(99.9) == 100)
        #expect(merged.max == 200)
    }
}
