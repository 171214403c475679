import Foundation
@testable import StrainContract

/// A seeded generator (SplitMix64), so every test run sees the same "random" data.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Latency samples (µs) that exercise different parts of the histogram.
enum Distribution: String, CaseIterable, Sendable, CustomStringConvertible {
    case uniform
    case logNormal
    case allEqual
    case twoFarApartClusters
    case powersOfTwoAndBucketEdges
    case singleValue

    var description: String { rawValue }

    var values: [UInt64] {
        var random = SeededGenerator(seed: UInt64(rawValue.utf8.count) * 7919)
        switch self {
        case .uniform:
            return (0..<100_000).map { _ in UInt64.random(in: 0...10_000_000, using: &random) }
        case .logNormal:
            // Median 20 ms, σ = 1: a typical long-tailed service latency.
            return (0..<100_000).map { _ in
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &random)
                let u2 = Double.random(in: 0..<1, using: &random)
                let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
                return UInt64(exp(log(20_000) + normal))
            }
        case .allEqual:
            return Array(repeating: 12_345, count: 10_000)
        case .twoFarApartClusters:
            let fast = (0..<5_000).map { _ in UInt64.random(in: 40...60, using: &random) }
            let stalled = (0..<500).map { _ in UInt64.random(in: 2_900_000_000...3_000_000_000, using: &random) }
            return (fast + stalled).shuffled(using: &random)
        case .powersOfTwoAndBucketEdges:
            // 0, and 2^k - 1, 2^k, 2^k + 1 up to 2^31: where sub-bucket and bucket boundaries fall.
            return [0] + (0..<32).flatMap { shift -> [UInt64] in
                let power = UInt64(1) << UInt64(shift)
                return [power - 1, power, power + 1]
            }
        case .singleValue:
            return [777]
        }
    }
}

/// A fresh directory under the system temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
