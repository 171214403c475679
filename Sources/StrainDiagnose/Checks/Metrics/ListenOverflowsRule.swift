import Foundation

/// Step 1, network: connection attempts dropped because an accept queue was full; each dropped SYN
/// waits for a retry.
enum ListenOverflowsRule {
    /// A dropped SYN is retried after a second (the initial RTO).
    static let synRetryDelay = 1.0

    /// The counters are the host's: any listener's drops. Where the load measured its own connects,
    /// a dropped SYN of its own shows as a connect that waited for the retry; the impact is those,
    /// and drops none of them felt were another listener's (information, not this service's fault).
    static func finding(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let overflows = max(window.delta(\.tcp?.listenOverflows) ?? 0, window.delta(\.tcp?.listenDrops) ?? 0)
        guard overflows > 0 else { return nil }
        let source = window.host.source
        var evidence = ["\(Format.count(overflows)) connection attempts dropped on this host because an accept queue was full",
                        "each dropped SYN is retried after about \(Format.duration(synRetryDelay))"]
        let fix = "A server accepts connections too slowly: raise its listen backlog (and net.core.somaxconn), "
            + "add workers, or keep connections alive so fewer are opened."
        let connects = input.load?.httpEndpoints.compactMap(\.connect) ?? []
        guard !connects.isEmpty else {
            return Finding(step: .metrics, check: .listenOverflows, title: "Listen queue overflows: connections are dropped",
                           object: "TCP listen queues (\(source))", evidence: evidence,
                           impact: input.impact(seconds: Double(overflows) * synRetryDelay),
                           severity: overflows >= 100 ? .critical : .warning, fix: fix)
        }
        let opened = connects.reduce(0) { $0 + $1.count }
        let retried = connects.reduce(0) { $0 + countAtLeast(retriedConnect * 1_000_000, in: $1) }
        evidence.append("the load opened \(Format.count(opened)) connections, \(Format.count(retried)) of which took "
                        + "\(Format.duration(retriedConnect)) or more to connect (a SYN retried)")
        guard retried > 0 else {
            return Finding(step: .metrics, check: .listenOverflows,
                           title: "Listen queue overflows on this host, at another listener than the load's",
                           object: "TCP listen queues (\(source))", evidence: evidence, impact: input.impact(seconds: 0),
                           severity: .info, fix: fix)
        }
        return Finding(step: .metrics, check: .listenOverflows, title: "Listen queue overflows: connections are dropped",
                       object: "TCP listen queues (\(source))", evidence: evidence,
                       impact: input.impact(seconds: Double(retried) * synRetryDelay),
                       severity: retried >= 100 ? .critical : .warning, fix: fix)
    }

    /// A connect this slow waited for a SYN retry (the first retry comes after 1 s).
    static let retriedConnect = 0.9

    private static func countAtLeast(_ value: Double, in histogram: Histogram) -> UInt64 {
        var count: UInt64 = 0
        histogram.forEachBucket { bucket, bucketCount in
            if bucket >= value { count += bucketCount }
        }
        return count
    }
}
