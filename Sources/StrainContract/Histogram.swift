/// A log-linear latency histogram in microseconds, in the spirit of HdrHistogram.
///
/// Values below 2048 µs get one bucket each (exact). Above that, every power-of-two range
/// [2^k, 2^(k+1)) is split into 1024 equal sub-buckets, so any reported value is within
/// 1/1024 (< 0.1%) of the true one. The range ends at one hour; larger values are counted in
/// the top bucket, while `max` keeps the true largest value so clamping stays visible.
///
/// Memory is one array of counts up to the highest bucket recorded so far, so it never grows with the
/// number of values, only with their magnitude, and never beyond `bucketCount` buckets (about 186 KB):
/// latencies under 2 ms take 16 KB, under 2 s 97 KB. A fixed 186 KB array was written whole at `init`,
/// and the load workers make a fresh set of histograms every second. `record` is O(1) and allocates
/// only when a value lands above every earlier one's bucket; `merge` is exact, so per-worker histograms
/// can be combined at any time.
public struct Histogram: Sendable {
    /// One hour in microseconds: the largest value tracked with full precision.
    public static let highestTrackableValue: UInt64 = 3_600_000_000

    /// log2 of the sub-buckets per power-of-two range; 1024 sub-buckets bound the error at 1/1024.
    @usableFromInline static let subBucketMagnitude = 10

    /// Number of buckets every histogram holds (the size of its fixed storage).
    public static let bucketCount = index(for: highestTrackableValue) + 1

    /// Count per bucket, from bucket 0 up to at least the highest one recorded; at most `bucketCount` long.
    @usableFromInline var counts: [UInt64] = []
    /// Number of values recorded.
    public var count: UInt64 { total }
    @usableFromInline var total: UInt64 = 0
    // `.max` / `0` while empty, so the first `record` needs no special case.
    @usableFromInline var lowest: UInt64 = .max
    @usableFromInline var highest: UInt64 = 0

    public init() {}

    /// A histogram of `values`.
    public init(recording values: some Sequence<UInt64>) {
        self.init()
        for value in values { record(value) }
    }

    public var isEmpty: Bool { count == 0 }

    /// The smallest recorded value (exact), or 0 when empty.
    public var min: UInt64 { isEmpty ? 0 : lowest }

    /// The largest recorded value (exact, even when it was above `highestTrackableValue`), or 0 when empty.
    public var max: UInt64 { highest }

    /// Buckets of storage: up to the highest recorded so far, never more than `Histogram.bucketCount`.
    public var bucketCount: Int { counts.count }

    // `record` is @inlinable (hence the @usableFromInline storage) because load workers call it
    // per request from other modules: inlining takes roughly a quarter off its cost.
    @inlinable
    public mutating func record(_ micros: UInt64) {
        record(micros, count: 1)
    }

    /// Records `micros` as if it had been recorded `count` times.
    @inlinable
    public mutating func record(_ micros: UInt64, count occurrences: UInt64) {
        guard occurrences > 0 else { return }
        let index = Self.index(for: Swift.min(micros, Self.highestTrackableValue))
        if index >= counts.count { grow(toInclude: index) }
        counts[index] += occurrences
        total += occurrences
        if micros < lowest { lowest = micros }
        if micros > highest { highest = micros }
    }

    /// Extends the storage with empty buckets up to `index`. Not inlined: it runs a few times per
    /// histogram, and growing by half again at least keeps a slowly rising maximum from copying often.
    @usableFromInline
    mutating func grow(toInclude index: Int) {
        let wanted = Swift.min(Self.bucketCount, Swift.max(index + 1, counts.count + counts.count / 2))
        counts.append(contentsOf: repeatElement(0, count: wanted - counts.count))
    }

    /// Adds every value of `other`, exactly as if they had been recorded here.
    public mutating func merge(_ other: Histogram) {
        guard !other.isEmpty else { return }
        let range = other.occupiedRange
        if range.upperBound >= counts.count { grow(toInclude: range.upperBound) }
        counts.withUnsafeMutableBufferPointer { mine in
            other.counts.withUnsafeBufferPointer { theirs in
                // Saturating, as the total is: histograms read from files can claim up to 2^53 values
                // each, and enough of them merged would wrap. Add-compare-select stays vectorizable.
                for index in range {
                    let sum = mine[index] &+ theirs[index]
                    mine[index] = sum < mine[index] ? .max : sum
                }
            }
        }
        // Saturating: histograms read from files can claim any count.
        total = total.addingSaturated(other.count)
        lowest = Swift.min(lowest, other.lowest)
        highest = Swift.max(highest, other.highest)
    }

    /// Empties the histogram, keeping its storage.
    public mutating func reset() {
        guard !isEmpty else { return }
        let range = occupiedRange
        counts.withUnsafeMutableBufferPointer { buckets in
            for index in range { buckets[index] = 0 }
        }
        total = 0
        lowest = .max
        highest = 0
    }

    /// The value at or below which `p` percent of the recorded values fall (nearest rank).
    ///
    /// Reported as the highest value equivalent to its bucket, never above `max`; percentile 0
    /// is `min` and percentile 100 is `max`, both exact. Returns 0 when empty.
    public func percentile(_ p: Double) -> UInt64 {
        guard !isEmpty else { return 0 }
        let target = Self.rank(ofPercentile: p, count: count)
        if target == 1 { return lowest }
        if target == count { return highest }
        var seen: UInt64 = 0
        for index in occupiedRange {
            // Saturated buckets (see `merge`) may add up past UInt64.max: that is past any target too.
            seen = seen.addingSaturated(counts[index])
            if seen >= target { return Swift.min(Self.highestEquivalentValue(ofIndex: index), highest) }
        }
        return highest
    }

    /// The arithmetic mean, taking each bucket at its middle (exact below 2048 µs), or 0 when empty.
    public var mean: Double {
        guard !isEmpty else { return 0 }
        var total = 0.0
        forEachBucket { value, occurrences in total += value * Double(occurrences) }
        return total / Double(count)
    }

    /// The population standard deviation, with the same bucket approximation as `mean`.
    public var stddev: Double {
        guard !isEmpty else { return 0 }
        let mean = self.mean
        var squares = 0.0
        forEachBucket { value, occurrences in
            let deviation = value - mean
            squares += deviation * deviation * Double(occurrences)
        }
        return (squares / Double(count)).squareRoot()
    }

    /// Calls `body` with the representative value and count of each non-empty bucket.
    public func forEachBucket(_ body: (Double, UInt64) -> Void) {
        for index in occupiedRange where counts[index] > 0 {
            let middle = Self.lowestEquivalentValue(ofIndex: index) + Self.bucketWidth(ofIndex: index) / 2
            body(Double(Swift.min(Swift.max(middle, lowest), highest)), counts[index])
        }
    }

    /// Indices from the bucket of `min` to the bucket of `max`: no bucket outside holds a value. Both
    /// clamped, as `record` clamps: a histogram whose smallest value is above one hour has it in the top bucket.
    var occupiedRange: ClosedRange<Int> {
        Self.index(for: Swift.min(lowest, Self.highestTrackableValue))...Self.index(for: Swift.min(highest, Self.highestTrackableValue))
    }
}

/// Equal when they hold the same values, whatever storage each has grown.
extension Histogram: Equatable {
    public static func == (left: Histogram, right: Histogram) -> Bool {
        guard left.total == right.total, left.lowest == right.lowest, left.highest == right.highest else { return false }
        return left.isEmpty || left.occupiedRange.allSatisfy { left.counts[$0] == right.counts[$0] }
    }
}

// MARK: - Bucket arithmetic

extension Histogram {
    /// The bucket of `value` (which must not exceed `highestTrackableValue`).
    ///
    /// `shift` is 0 below 2048 (one bucket per value) and grows by one per doubling; the
    /// value's top 11 bits then pick one of the 1024 sub-buckets of its power-of-two range.
    @inlinable @inline(__always)
    static func index(for value: UInt64) -> Int {
        let magnitude = UInt64.bitWidth - 1 - (value | 2047).leadingZeroBitCount
        let shift = magnitude - subBucketMagnitude
        return (shift << subBucketMagnitude) + Int(truncatingIfNeeded: value >> UInt64(shift))
    }

    private static func shift(ofIndex index: Int) -> Int {
        Swift.max(0, (index >> subBucketMagnitude) - 1)
    }

    static func bucketWidth(ofIndex index: Int) -> UInt64 {
        1 << UInt64(shift(ofIndex: index))
    }

    static func lowestEquivalentValue(ofIndex index: Int) -> UInt64 {
        let shift = shift(ofIndex: index)
        return UInt64(index - (shift << subBucketMagnitude)) << UInt64(shift)
    }

    static func highestEquivalentValue(ofIndex index: Int) -> UInt64 {
        lowestEquivalentValue(ofIndex: index) + bucketWidth(ofIndex: index) - 1
    }

    /// The 1-based nearest rank of percentile `p` among `count` values: ⌈p/100 · count⌉, at least 1.
    static func rank(ofPercentile p: Double, count: UInt64) -> UInt64 {
        precondition((0...100).contains(p), "percentile must be within 0...100, got \(p)")
        // Multiplying before dividing keeps e.g. 99.9 · 1000 / 100 at exactly 999.
        let exact = (p * Double(count) / 100).rounded(.up)
        // Double(count) rounds up near UInt64.max: convert only what is certainly below count.
        guard exact < Double(count) else { return count }
        return Swift.max(1, UInt64(exact))
    }
}
