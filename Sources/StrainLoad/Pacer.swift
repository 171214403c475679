import Foundation

/// Piecewise-linear arrival rate over time: the open model's load shape. Arrival `k` (0-based) is
/// intended at the moment the cumulative number of arrivals reaches `k`, so a ramp or a constant
/// rate comes out exact over any window rather than drifting with rounding. The end is exclusive:
/// R/s for D seconds is R×D arrivals, from 0 to one gap before D, as in k6 and vegeta.
public struct ArrivalCurve: Sendable, Equatable {
    /// A span where the rate moves linearly from `fromRate` to `toRate` (arrivals per second).
    public struct Segment: Sendable, Equatable {
        public var duration: Double
        public var fromRate: Double
        public var toRate: Double

        public init(duration: Double, fromRate: Double, toRate: Double) {
            self.duration = duration
            self.fromRate = fromRate
            self.toRate = toRate
        }

        /// Arrivals within the segment, `duration` seconds long.
        var arrivals: Double { (fromRate + toRate) / 2 * duration }

        /// Seconds into the segment at which `count` arrivals have accumulated (0 ≤ count ≤ arrivals).
        func time(reaching count: Double) -> Double {
            let slope = (toRate - fromRate) / duration
            // Solve fromRate·t + slope·t²/2 = count; the linear case avoids dividing by a ~0 slope.
            if abs(slope) < 1e-12 { return fromRate > 0 ? count / fromRate : 0 }
            let discriminant = max(0, fromRate * fromRate + 2 * slope * count)
            return min(duration, (discriminant.squareRoot() - fromRate) / slope)
        }
    }

    public let segments: [Segment]
    /// Cumulative arrivals at the start of each segment.
    private let arrivalsBefore: [Double]

    public init(_ segments: [Segment]) {
        self.segments = segments.filter { $0.duration > 0 }
        var total = 0.0
        arrivalsBefore = self.segments.map { segment in
            defer { total += segment.arrivals }
            return total
        }
    }

    public var duration: Double { segments.reduce(0) { $0 + $1.duration } }

    public var totalArrivals: Double { (arrivalsBefore.last ?? 0) + (segments.last?.arrivals ?? 0) }

    /// Arrivals the curve asks for from its start to `seconds` in (all of them past its end).
    public func arrivals(until seconds: Double) -> Double {
        var start = 0.0
        for (index, segment) in segments.enumerated() {
            let into = seconds - start
            if into < segment.duration {
                guard into > 0 else { return arrivalsBefore[index] }
                let rateThere = segment.fromRate + (segment.toRate - segment.fromRate) * into / segment.duration
                return arrivalsBefore[index] + (segment.fromRate + rateThere) / 2 * into
            }
            start += segment.duration
        }
        return totalArrivals
    }

    /// The time (seconds from the start) at which `count` arrivals have accumulated, or nil from the
    /// end on (the arrival at the very end belongs to the next run). The margin keeps a total that
    /// floating point puts a hair above a whole number (1.1/s × 90 s) from adding an arrival at the end.
    public func time(reaching count: Double) -> Double? {
        guard count < totalArrivals - 1e-6 else { return nil }
        var start = 0.0
        for (index, segment) in segments.enumerated() {
            let before = arrivalsBefore[index]
            if count <= before + segment.arrivals {
                return start + segment.time(reaching: count - before)
            }
            start += segment.duration
        }
        return nil
    }
}

/// Intended send times of one worker's share of the open-model arrivals (pure: no clock, no I/O).
///
/// With `workers` sharing a curve, worker `i` takes arrivals i, i+W, i+2W, … of the evenly spaced
/// sequence, or an independent Poisson process of 1/W of the rate — superposed, the W Poisson
/// processes form exactly a Poisson process at the full rate. Shards split the same way.
public struct Pacer: Sendable {
    public enum Arrival: Sendable { case constant, poisson }

    private let curve: ArrivalCurve
    private let arrival: Arrival
    private let share: Int
    private var position: Double
    private var random: SplitMix64

    /// - Parameters:
    ///   - slot: this worker's index among `share` workers taking from the same curve.
    ///   - seed: seeds the Poisson gaps, so a run can be replayed.
    ///   - phase: how far into its first gap (a fraction of one, 0 ..< 1) a constant rate's first
    ///     arrival falls; the same for every worker sharing the curve, so their merged arrivals stay
    ///     evenly spaced.
    public init(curve: ArrivalCurve, arrival: Arrival, slot: Int = 0, share: Int = 1, seed: UInt64 = 0x5eed,
                phase: Double = 0) {
        precondition(share >= 1 && (0..<share).contains(slot), "slot \(slot) outside 0..<\(share)")
        precondition((0..<1).contains(phase), "phase \(phase) outside 0 ..< 1")
        self.curve = curve
        self.arrival = arrival
        self.share = share
        // Each slot's stream from a seed mixed with its slot: seeds a multiple of SplitMix64's step apart
        // (as they were) give streams that are one another shifted by steps, so the slots' "independent"
        // Poisson processes were one process, offset, and their sum no Poisson process at all.
        random = SplitMix64(seed: SplitMix64.mixed(seed ^ SplitMix64.mixed(UInt64(slot))))
        switch arrival {
        case .constant: position = Double(slot) + phase
        case .poisson: position = 0
        }
    }

    /// The next intended send time in seconds from the start of the load, or nil when the curve ends.
    public mutating func next() -> Double? {
        switch arrival {
        case .constant:
            defer { position += Double(share) }
            return curve.time(reaching: position)
        case .poisson:
            // Exponential gap with mean `share` in the cumulative-arrivals domain (inverse transform).
            position += -Double(share) * log(1 - random.nextUnit())
            return curve.time(reaching: position)
        }
    }
}

/// A small, fast, seedable generator (Steele et al., SplitMix64) for arrival jitter.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mixed(state)
    }

    /// The generator's output function: a bijection whose every output bit depends on every input bit,
    /// so values close together (seeds, slots) come out far apart.
    static func mixed(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
