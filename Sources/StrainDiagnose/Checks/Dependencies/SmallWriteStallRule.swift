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
    /// The signature is a timer's: this share of the stalls lie near the most common one — up to
    /// `timerEarlyMilliseconds` before it and `timerLateMilliseconds` after: a busy client reads
    /// some bodies late, never early. A server that works between its head and its body spreads
    /// them out instead.
    static let timerShare = 0.8
    static let timerEarlyMilliseconds = 5
    static let timerLateMilliseconds = 10

    static func findings(_ input: CheckInput) -> [Finding] {
        input.load?.httpEndpoints.compactMap { finding($0, input) } ?? []
    }

    private static func finding(_ endpoint: LoadContext.Endpoint, _ input: CheckInput) -> Finding? {
        guard let download = endpoint.download, !download.isEmpty else { return nil }
        var stalls: UInt64 = 0
        var stalledMicros = 0.0
        var stallsByMillisecond: [Int: UInt64] = [:]
        download.forEachBucket { micros, count in
            guard stallBand.contains(micros) else { return }
            stalls += count
            stalledMicros += micros * Double(count)
            stallsByMillisecond[Int(micros / 1000), default: 0] += count
        }
        let share = Double(stalls) / Double(download.count)
        guard stalls >= minimumStalls, share >= stalledShare,
              let mode = stallsByMillisecond.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else { return nil }
        // Not the time to first byte: a server may compute for a while, answer, and then stall.
        let nearMode = stallsByMillisecond.filter { (mode - timerEarlyMilliseconds...mode + timerLateMilliseconds).contains($0.key) }
            .values.reduce(0, +)
        guard Double(nearMode) >= timerShare * Double(stalls) else { return nil }
        var evidence = ["\(Format.count(stalls)) of \(Format.count(download.count)) responses (\(Format.percent(share))) took "
                        + "\(Format.duration(stallBand.lowerBound / 1e6))–\(Format.duration(stallBand.upperBound / 1e6)) from their "
                        + "first byte to their last, most often \(mode) ms (Linux delays an ACK by 40 ms)",
                        "median download (first byte to last) \(Format.duration(Double(download.percentile(50)) / 1e6))"]
        if let firstByte = endpoint.firstByteMedianSeconds {
            evidence.append("median time to first byte \(Format.duration(firstByte)); then the rest of the response waited")
        }
        let impact = input.impact(seconds: stalledMicros / 1e6)
        return Finding(
            step: .dependencies, check: .smallWriteStall,
            title: "Small-write stalls: responses wait ~\(mode) ms for a delayed ACK (Nagle)",
            object: endpoint.name, evidence: evidence, impact: impact,
            severity: input.severity(forProblemTaking: impact.share),
            fix: "The server writes each response in several small writes with Nagle's algorithm on: set TCP_NODELAY on "
                + "its sockets, or send the head and body in one write (buffer them, or writev). A proxy in front of it "
                + "needs it too (nginx: tcp_nodelay on).")
    }
}
