import Foundation

/// Step 1: is the host short of CPU, memory, disk or network? Looks for saturation (queues,
/// stall time) and errors, not utilisation alone: a CPU at 95 % with nothing waiting is fine.
/// Each resource's rule has its own file; this one orders them and holds what they share.
enum MetricsCheck {
    /// Share of the window in which some task stalled on a resource (PSI "some") that counts
    /// as saturation, and the share that makes it critical.
    static let stallWarning = 0.10
    static let stallCritical = 0.25

    static func run(_ input: CheckInput) -> CheckResult {
        guard let host = input.evidence.host, let first = host.samples.first, let last = host.samples.last,
              host.samples.count >= 2 else {
            return CheckResult(findings: [], summary: "no host samples")
        }
        let window = HostWindow(host: host, first: first, last: last)
        let findings = [CPUSaturationRule.finding(window, input), MemoryPressureRule.finding(window, input),
                        DiskSaturationRule.finding(window, input), TCPRetransmitsRule.finding(window, input),
                        ListenOverflowsRule.finding(window, input)].compactMap { $0 }
            + InterfaceErrorsRule.findings(window, input)
        return CheckResult(findings: findings, summary: window.summary)
    }

    /// What a host stall cost users: its share of the time × the request time spent on this host
    /// (a request waiting on a dependency elsewhere is not slowed by it). The stall seconds are
    /// evidence; only without a load, when no request time is known, do they place the finding,
    /// and the finding says so.
    static func stallImpact(share: Double, stallSeconds: Double, _ input: CheckInput)
        -> (impact: Finding.Impact, evidence: String) {
        guard let requestSeconds = input.hostBoundRequestSeconds else {
            return (input.impact(seconds: stallSeconds),
                    "no load measured, so the request time it cost is unknown: ranked by its \(Format.duration(stallSeconds)) "
                        + "of stall time instead")
        }
        let seconds = share * requestSeconds
        return (input.impact(seconds: seconds),
                "\(Format.duration(stallSeconds)) of stall time; requests spent \(Format.duration(requestSeconds)) on this host, "
                    + "\(Format.percent(share)) of it waiting: \(Format.duration(seconds))")
    }
}
