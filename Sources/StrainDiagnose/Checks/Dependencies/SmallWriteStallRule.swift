import Foundation
import StrainContract

/// Step 4, network: responses whose last bytes wait for a delayed ACK. A server that writes a
/// response in several small writes with Nagle's algorithm on (no TCP_NODELAY) holds each write
/// after the first until the previous one is acknowledged, and the client delays that ACK (40 ms
/// on Linux, up to 200 ms elsewhere): the server answers at once, and the rest of the response
/// arrives a delayed ACK later. The driver's download phase (first byte to last) shows it.
enum SmallWriteStallRule {
    /// Downloads in this band, in µs, are delayed-ACK stalls: from Linux's 40 ms minimum (less a
    /// margin) to the common 200 ms maximum (plus one); small responses otherwise take microseconds.
    static let stallBand: ClosedRange<Double> = 30_000...250_000
    /// An endpoint is reported when at least this share of its responses stalled…
    static let stalledShare = 0.2
    /// …and at least this many: a few stalls are noise.
    static let minimumStalls: UInt64 = 10
    /// The signature is a timer's: this share of the stalls lie within one window this wide. Linux
    /// fires the delayed ACK on a clock tick (4 ms at HZ=250, 10 ms at HZ=100) from 40 ms up to the
    /// smoothed round trip, and a busy client reads a head or a body a few ms late, so the stalls
    /// spread over a tick or two and a short tail. A server that works between its head and its
    /// body spreads them out over its work's range instead.
    static let timerShare = 0.8
    static let timerWindowMicros = 15_000.0

    static func findings(_ input: CheckInput) -> [Finding] {
        input.load?.httpEndpoints.compactMap { finding($0, input) } ?? []
    }

    private static func finding(_ endpoint: LoadContext.Endpoint, _ input: CheckInput) -> Finding? {
        guard let download = endpoint.download, !download.isEmpty else { return nil }
        var stalled: [(micros: Double, count: UInt64)] = []
        download.forEachBucket { micros, count in
            if stallBand.contains(micros) { stalled.append((micros, count)) }
        }
        let stalls = stalled.reduce(0) { $0 + $1.count }
        let share = Double(stalls) / Double(download.count)
        guard stalls >= minimumStalls, share >= stalledShare else { return nil }
        // Not the time to first byte: a server may compute for a while, answer, and then stall.
        let timer = densestWindow(stalled)
        guard Double(timer.count) >= timerShare * Double(stalls) else { return nil }
        let stalledMicros = stalled.reduce(0) { $0 + $1.micros * Double($1.count) }
        let typical = Int(median(stalled, of: stalls) / 1000)
        var evidence = ["\(Format.count(stalls)) of \(Format.count(download.count)) responses (\(Format.percent(share))) took "
                        + "\(Format.duration(stallBand.lowerBound / 1e6))–\(Format.duration(stallBand.upperBound / 1e6)) from their "
                        + "first byte to their last, median \(typical) ms (Linux delays an ACK by 40 ms)",
                        "\(Format.percent(Double(timer.count) / Double(stalls))) of them within "
                        + "\(Int(timer.start / 1000))–\(Int((timer.start + timerWindowMicros) / 1000)) ms: a timer's signature",
                        "median download (first byte to last) \(Format.duration(Double(download.percentile(50)) / 1e6))"]
        if let firstByte = endpoint.firstByteMedianSeconds {
            evidence.append("median time to first byte \(Format.duration(firstByte)); then the rest of the response waited")
        }
        let impact = input.impact(seconds: stalledMicros / 1e6)
        return Finding(
            step: .dependencies, check: .smallWriteStall,
            title: "Small-write stalls: responses wait ~\(typical) ms for a delayed ACK (Nagle)",
            object: endpoint.name, evidence: evidence, impact: impact,
            severity: input.severity(forProblemTaking: impact.share),
            fix: "The server writes each response in several small writes with Nagle's algorithm on: set TCP_NODELAY on "
                + "its sockets, or send the head and body in one write (buffer them, or writev). A proxy in front of it "
                + "needs it too (nginx: tcp_nodelay on).")
    }

    /// The window of `timerWindowMicros` holding the most stalls, and how many it holds; `stalled`
    /// is in ascending order of duration, as a histogram's buckets are.
    private static func densestWindow(_ stalled: [(micros: Double, count: UInt64)]) -> (start: Double, count: UInt64) {
        var best: (start: Double, count: UInt64) = (0, 0)
        var first = 0
        var inside: UInt64 = 0
        for bucket in stalled {
            inside += bucket.count
            while bucket.micros - stalled[first].micros > timerWindowMicros {
                inside -= stalled[first].count
                first += 1
            }
            if inside > best.count { best = (stalled[first].micros, inside) }
        }
        return best
    }

    private static func median(_ stalled: [(micros: Double, count: UInt64)], of total: UInt64) -> Double {
        var seen: UInt64 = 0
        for bucket in stalled {
            seen += bucket.count
            if 2 * seen >= total { return bucket.micros }
        }
        return stalled.last?.micros ?? 0
    }
}
