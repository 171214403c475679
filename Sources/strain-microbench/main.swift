// Measures the hot-path cost of `Histogram`: ns per record, per merge, per percentile query, and
// the encoded size of typical histograms. Run through scripts/bench-histogram (release build).
import Foundation
import StrainContract
#if canImport(Glibc)
import Glibc
#endif

#if DEBUG
FileHandle.standardError.write(Data("warning: debug build; these figures mean nothing, use scripts/bench-histogram\n".utf8))
#endif

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Runs `work` (which performs `operations` operations) a few times and returns the fastest
/// round's nanoseconds per operation: on a shared machine the minimum is the least noisy figure.
func nanosecondsPerOperation(_ operations: Int, rounds: Int = 5, _ work: () -> Void) -> Double {
    var best = UInt64.max
    for _ in 0..<rounds {
        let start = monotonicNanoseconds()
        work()
        best = min(best, monotonicNanoseconds() - start)
    }
    return Double(best) / Double(operations)
}

func report(_ name: String, _ value: Double, _ unit: String, _ note: String) {
    let figure = String(format: "%10.2f", value)
    print("\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(figure) \(unit.padding(toLength: 8, withPad: " ", startingAt: 0)) \(note)")
}

// Log-normal latencies (median 20 ms, σ = 1), generated before timing so the RNG stays out of
// the measured loops. A power-of-two count lets the loop index with a mask instead of a modulo.
let sampleCount = 1 << 20
var generator = SystemRandomNumberGenerator()
let latencies: [UInt64] = (0..<sampleCount).map { _ in
    let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
    let u2 = Double.random(in: 0..<1, using: &generator)
    return UInt64(exp(log(20_000) + (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)))
}

// record
let recordCount = 50_000_000
var recorded = Histogram()
let recordCost = nanosecondsPerOperation(recordCount) {
    for index in 0..<recordCount { recorded.record(latencies[index & (sampleCount - 1)]) }
}
report("record", recordCost, "ns/op", "50M values per round; p99 \(recorded.percentile(99)) µs")

// merge: a typical per-worker histogram (1M values) into an accumulator
let typical = Histogram(recording: latencies)
let mergeCount = 5_000
var accumulator = Histogram()
let mergeCost = nanosecondsPerOperation(mergeCount) {
    for _ in 0..<mergeCount { accumulator.merge(typical) }
}
report("merge (1M values)", mergeCost / 1_000, "µs/op", "\(accumulator.count) values in the sum")

// merge: a one-second interval histogram (1000 values) — what happens at every interval boundary
let interval = Histogram(recording: latencies.prefix(1_000))
var intervalAccumulator = Histogram()
let intervalMergeCost = nanosecondsPerOperation(mergeCount) {
    for _ in 0..<mergeCount { intervalAccumulator.merge(interval) }
}
report("merge (1k values)", intervalMergeCost / 1_000, "µs/op", "\(intervalAccumulator.count) values in the sum")

// percentile queries, cycling through the usual ones so none can be hoisted out of the loop
let queries: [Double] = [50, 90, 99, 99.9]
let queryCount = 20_000
var checksum: UInt64 = 0
let percentileCost = nanosecondsPerOperation(queryCount) {
    for index in 0..<queryCount { checksum &+= typical.percentile(queries[index & 3]) }
}
report("percentile (1M values)", percentileCost / 1_000, "µs/op", "checksum \(checksum)")

// encoded sizes and encode/decode cost
let encoder = JSONEncoder()
encoder.outputFormatting = .sortedKeys
for (name, histogram) in [("1M values", typical), ("1k values", interval)] {
    let encoded = try encoder.encode(histogram)
    report("encoded size (\(name))", Double(encoded.count), "bytes", "\(histogram.count) values")
    let roundTrips = 20
    var decodedCount: UInt64 = 0
    let codingCost = nanosecondsPerOperation(roundTrips) {
        for _ in 0..<roundTrips {
            let decoded = try! JSONDecoder().decode(Histogram.self, from: try! encoder.encode(histogram))
            decodedCount &+= decoded.count
        }
    }
    report("JSON round trip (\(name))", codingCost / 1_000, "µs/op", "\(decodedCount) values decoded")
}
report("memory per histogram, at most", Double(Histogram.bucketCount * MemoryLayout<UInt64>.stride) / 1024, "KiB", "\(Histogram.bucketCount) buckets")
report("memory of the typical histogram", Double(typical.bucketCount * MemoryLayout<UInt64>.stride) / 1024, "KiB",
       "\(typical.bucketCount) buckets, max \(typical.max) µs")
