import Foundation

/// The Mann–Whitney U (Wilcoxon rank-sum) test: is one sample stochastically larger than the
/// other? It assumes no distribution — interval latencies are skewed and heavy-tailed — only that
/// the intervals are exchangeable under "no change". Ties get mid-ranks.
public enum RankTest {
    /// Up to this many values in both samples together the p-value is exact (the permutation
    /// distribution of the rank sum, ties included); above it, the normal approximation with the
    /// tie correction, which is accurate there.
    static let exactLimit = 40

    /// One-sided p-value of "`second` tends to be larger than `first`": the probability, were both
    /// drawn from one distribution, of a rank sum for `second` at least as large as observed.
    /// 1 when either sample is empty.
    public static func pValueSecondLarger(_ first: [Double], _ second: [Double]) -> Double {
        guard !first.isEmpty, !second.isEmpty else { return 1 }
        let pooled = first + second
        let ranks = midRanks(pooled)
        // Doubled, mid-ranks are whole numbers: sums can be counted exactly.
        let doubled = ranks.map { Int(($0 * 2).rounded()) }
        let observed = doubled[first.count...].reduce(0, +)
        if pooled.count <= exactLimit {
            return exactUpperTail(doubledRanks: doubled, sampleSize: second.count, atLeast: observed)
        }
        return normalUpperTail(ranks: ranks, firstCount: first.count, secondCount: second.count, doubledSum: observed)
    }

    /// Ranks 1…n of `values`, tied values sharing the mean of their ranks.
    public static func midRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// P(sum of a random `sampleSize`-subset of `doubledRanks` ≥ `atLeast`), counted by dynamic
    /// programming over (subset size, sum): every subset is equally likely under the null.
    static func exactUpperTail(doubledRanks: [Int], sampleSize: Int, atLeast: Int) -> Double {
        let maximum = doubledRanks.reduce(0, +)
        // ways[k][s]: subsets of size k of the ranks seen so far with sum s (as Double: the counts
        // reach C(40, 20) ≈ 1.4e11, beyond what is worth an overflow check).
        var ways = [[Double]](repeating: [Double](repeating: 0, count: maximum + 1), count: sampleSize + 1)
        ways[0][0] = 1
        for rank in doubledRanks {
            for size in stride(from: sampleSize, through: 1, by: -1) {
                for sum in stride(from: maximum, through: rank, by: -1) where ways[size - 1][sum - rank] > 0 {
                    ways[size][sum] += ways[size - 1][sum - rank]
                }
            }
        }
        let all = ways[sampleSize].reduce(0, +)
        guard atLeast <= maximum else { return 0 }
        let tail = ways[sampleSize][max(atLeast, 0)...].reduce(0, +)
        return all > 0 ? min(1, tail / all) : 1
    }

    /// The normal approximation of the rank-sum's upper tail, with the tie-corrected variance and
    /// a continuity correction.
    static func normalUpperTail(ranks: [Double], firstCount: Int, secondCount: Int, doubledSum: Int) -> Double {
        let (m, n) = (Double(firstCount), Double(secondCount))
        let total = m + n
        let sum = Double(doubledSum) / 2
        let mean = n * (total + 1) / 2
        var tieTerm = 0.0
        for group in Dictionary(grouping: ranks, by: { $0 }).values where group.count > 1 {
            let t = Double(group.count)
            tieTerm += t * t * t - t
        }
        let variance = m * n / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        guard variance > 0 else { return 1 }
        let z = (sum - mean - 0.5) / variance.squareRoot()
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}
