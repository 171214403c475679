import Foundation

/// Step 1, network: TCP segments retransmitted — packets are lost, and each loss costs at least
/// the minimum retransmission timeout.
enum TCPRetransmitsRule {
    /// Linux never retransmits sooner than this (TCP_RTO_MIN): each retransmission costs at least it.
    static let minimumRetransmitDelay = 0.2

    static func finding(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        guard let retransmitted = window.delta(\.tcp?.retransmittedSegments), let sent = window.delta(\.tcp?.outSegments),
              sent > 0, retransmitted >= 10 else { return nil }
        let share = Double(retransmitted) / Double(sent)
        guard share >= 0.01 else { return nil }
        return Finding(
            step: .metrics, check: .tcpRetransmits, title: "TCP retransmissions: packets are lost",
            object: "TCP (\(window.host.source))",
            evidence: ["\(Format.count(retransmitted)) of \(Format.count(sent)) segments retransmitted (\(Format.percent(share)))",
                       "each retransmission waits at least \(Format.duration(minimumRetransmitDelay)) (the minimum RTO)"],
            impact: input.impact(seconds: Double(retransmitted) * minimumRetransmitDelay),
            severity: share >= 0.05 ? .critical : .warning,
            fix: "Find where packets are lost: interface errors and drops (`ethtool -S`), a saturated link, "
                + "or a middlebox; `ss -ti` shows retransmissions per connection.")
    }
}
