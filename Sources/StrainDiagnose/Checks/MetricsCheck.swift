import Foundation

/// Step 1: is the host short of CPU, memory, disk or network? Looks for saturation (queues,
/// stall time) and errors, not utilisation alone: a CPU at 95 % with nothing waiting is fine.
enum MetricsCheck {
    /// Share of the window in which some task stalled on a resource (PSI "some") that counts
    /// as saturation, and the share that makes it critical.
    static let stallWarning = 0.10
    static let stallCritical = 0.25
    /// Linux never retransmits sooner than this (TCP_RTO_MIN): each retransmission costs at least it.
    static let minimumRetransmitDelay = 0.2
    /// A dropped SYN is retried after a second (the initial RTO).
    static let synRetryDelay = 1.0

    static func run(_ input: CheckInput) -> CheckResult {
        guard let host = input.evidence.host, let first = host.samples.first, let last = host.samples.last,
              host.samples.count >= 2 else {
            return CheckResult(findings: [], summary: "no host samples")
        }
        let window = HostWindow(host: host, first: first, last: last)
        let findings = [cpu(window, input), memory(window, input), disk(window, input)].compactMap { $0 }
            + network(window, input)
        return CheckResult(findings: findings, summary: window.summary)
    }

    // MARK: CPU

    private static func cpu(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.cpuSome)
        let runQueue = window.averageRunnable
        let cores = Double(window.host.cores)
        let saturated = stall.map { $0 >= stallWarning } ?? ((runQueue ?? 0) > cores && (window.busyShare ?? 0) >= 0.9)
        guard saturated else { return nil }
        var evidence: [String] = []
        if let busy = window.busyShare { evidence.append("CPU busy \(Format.percent(busy)) of \(window.host.cores) cores") }
        if let runQueue { evidence.append("run queue \(Format.significant(runQueue)) on average (tasks running or ready) for \(window.host.cores) cores") }
        if let stall { evidence.append("some task waited for a CPU \(Format.percent(stall)) of the time (PSI cpu some)") }
        if let steal = window.cpuShare(\.steal), steal >= 0.05 {
            evidence.append("steal \(Format.percent(steal)): the hypervisor gave the CPUs to other guests")
        }
        if let generator = window.generatorShare {
            evidence.append("the load generator (this process) used \(Format.percent(generator)) of the host's CPU capacity")
        }
        // Without PSI, the run queue's excess over the cores is the share of runnable time spent waiting.
        let share = stall ?? max(0, ((runQueue ?? cores) - cores) / max(runQueue ?? cores, 1))
        let waited = stallImpact(share: share, stallSeconds: window.stallSeconds(\.cpuSome) ?? input.evidence.windowSeconds * share,
                                 input)
        evidence.append(waited.evidence)
        let critical = (stall ?? 0) >= stallCritical || (runQueue ?? 0) >= 2 * cores
        var fix = "Find what uses the CPU (`pidstat -u 1`, `top -H`) and either add cores or cut the work; "
            + "when the service itself is busy, profile it (step 5)."
        if (window.generatorShare ?? 0) >= 0.25 {
            fix += " The load generator shares this host: run it on another machine so it does not compete with the target."
        }
        return Finding(step: .metrics, check: .cpuSaturation, title: "CPU saturated: tasks wait for a core",
                       object: "CPU (\(window.host.cores) cores, \(window.host.source))", evidence: evidence,
                       impact: waited.impact, severity: critical ? .critical : .warning, fix: fix)
    }

    /// What a host stall cost users: its share of the time × the request time spent on this host
    /// (a request waiting on a dependency elsewhere is not slowed by it). The stall seconds are
    /// evidence; only without a load, when no request time is known, do they place the finding,
    /// and the finding says so.
    private static func stallImpact(share: Double, stallSeconds: Double, _ input: CheckInput)
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

    // MARK: Memory

    private static func memory(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.memorySome)
        let fullStall = window.stallShare(\.memoryFull)
        let swappedIn = window.delta(\.swapIn)
        let swappedOut = window.delta(\.swapOut)
        let lowestAvailable = window.host.samples.compactMap { sample in
            sample.memory.map { Double($0.availableBytes) / Double(max($0.totalBytes, 1)) }
        }.min()
        let pressured = (stall ?? 0) >= 0.05 || (swappedIn ?? 0) > 0 || (lowestAvailable ?? 1) < 0.10
        guard pressured else { return nil }
        var evidence: [String] = []
        if let lowestAvailable, let memory = window.last.memory {
            evidence.append("MemAvailable fell to \(Format.percent(lowestAvailable)) of \(Format.bytes(Double(memory.totalBytes)))")
        }
        if let swappedIn, let swappedOut, swappedIn + swappedOut > 0 {
            evidence.append("\(Format.count(swappedIn)) pages swapped in and \(Format.count(swappedOut)) out during the window")
        }
        if let stall { evidence.append("some task stalled on memory \(Format.percent(stall)) of the time (PSI memory some)") }
        if let fullStall, fullStall > 0 { evidence.append("all tasks stalled on memory \(Format.percent(fullStall)) of the time (PSI memory full)") }
        let swapInRate = Double(swappedIn ?? 0) / input.evidence.windowSeconds
        let critical = (fullStall ?? 0) >= 0.05 || (lowestAvailable ?? 1) < 0.05 || swapInRate >= 100
        let waited = stallImpact(share: stall ?? 0, stallSeconds: window.stallSeconds(\.memorySome) ?? 0, input)
        evidence.append(waited.evidence)
        return Finding(step: .metrics, check: .memoryPressure, title: "Memory pressure: the host reclaims or swaps",
                       object: "memory (\(window.host.source))", evidence: evidence,
                       impact: waited.impact,
                       severity: critical ? .critical : .warning,
                       fix: "Give the host more memory or use less: PostgreSQL's shared_buffers plus work_mem × connections, "
                           + "application heaps and caches. A swapped-in page costs a disk read on every touch.")
    }

    // MARK: Disk

    private static func disk(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.ioSome)
        let busiest = window.diskWindows.max { ($0.utilisation, $1.name) < ($1.utilisation, $0.name) }
        let deviceSaturated = busiest.map { $0.utilisation >= 0.9 && $0.averageQueue >= 1 } ?? false
        guard (stall ?? 0) >= stallWarning || deviceSaturated else { return nil }
        var evidence: [String] = []
        if let busiest {
            evidence.append("\(busiest.name): busy \(Format.percent(busiest.utilisation)) of the time, average queue "
                            + "\(Format.significant(busiest.averageQueue)), \(Format.significant(busiest.operationsPerSecond)) I/O per second, "
                            + "await \(Format.duration(busiest.awaitSeconds))")
        }
        if let stall { evidence.append("some task stalled on I/O \(Format.percent(stall)) of the time (PSI io some)") }
        if let iowait = window.cpuShare(\.iowait), iowait > 0 { evidence.append("CPU iowait \(Format.percent(iowait))") }
        let critical = (stall ?? 0) >= stallCritical || (busiest.map { $0.utilisation >= 0.95 && $0.averageQueue >= 2 } ?? false)
        // Without PSI, the busiest device's utilisation is the share of time I/O could be waited for.
        let waited = stallImpact(share: stall ?? (busiest?.utilisation ?? 0),
                                 stallSeconds: window.stallSeconds(\.ioSome) ?? (busiest?.busySeconds ?? 0), input)
        evidence.append(waited.evidence)
        return Finding(step: .metrics, check: .diskSaturation, title: "Disk saturated: I/O requests queue up",
                       object: busiest.map { "disk \($0.name)" } ?? "disk I/O", evidence: evidence,
                       impact: waited.impact, severity: critical ? .critical : .warning,
                       fix: "Read and write less: queries that scan whole tables (step 2), a cache too small for the "
                           + "working set (shared_buffers, page cache), checkpoints or autovacuum at peak time. "
                           + "`pidstat -d 1` shows who does the I/O; otherwise move to faster storage.")
    }

    // MARK: Network

    private static func network(_ window: HostWindow, _ input: CheckInput) -> [Finding] {
        var findings: [Finding] = []
        if let retransmitted = window.delta(\.tcp?.retransmittedSegments), let sent = window.delta(\.tcp?.outSegments),
           sent > 0, retransmitted >= 10 {
            let share = Double(retransmitted) / Double(sent)
            if share >= 0.01 {
                findings.append(Finding(
                    step: .metrics, check: .tcpRetransmits, title: "TCP retransmissions: packets are lost",
                    object: "TCP (\(window.host.source))",
                    evidence: ["\(Format.count(retransmitted)) of \(Format.count(sent)) segments retransmitted (\(Format.percent(share)))",
                               "each retransmission waits at least \(Format.duration(minimumRetransmitDelay)) (the minimum RTO)"],
                    impact: input.impact(seconds: Double(retransmitted) * minimumRetransmitDelay),
                    severity: share >= 0.05 ? .critical : .warning,
                    fix: "Find where packets are lost: interface errors and drops (`ethtool -S`), a saturated link, "
                        + "or a middlebox; `ss -ti` shows retransmissions per connection."))
            }
        }
        let overflows = max(window.delta(\.tcp?.listenOverflows) ?? 0, window.delta(\.tcp?.listenDrops) ?? 0)
        if overflows > 0 { findings.append(listenOverflows(overflows, source: window.host.source, input)) }
        for interface in window.interfaceErrors {
            findings.append(Finding(
                step: .metrics, check: .interfaceErrors, title: "Network interface errors or drops",
                object: "interface \(interface.name)",
                evidence: ["\(Format.count(interface.errors)) errors and \(Format.count(interface.drops)) dropped packets during the window"],
                impact: input.impact(seconds: 0), severity: .warning,
                fix: "Check the link and driver (`ethtool -S \(interface.name)`), the ring buffers (`ethtool -g`) "
                    + "and whether the CPU handling receive interrupts is saturated."))
        }
        return findings
    }

    /// The counters are the host's: any listener's drops. Where the load measured its own connects,
    /// a dropped SYN of its own shows as a connect that waited for the retry; the impact is those,
    /// and drops none of them felt were another listener's (information, not this service's fault).
    private static func listenOverflows(_ overflows: UInt64, source: String, _ input: CheckInput) -> Finding {
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

/// Differences between the first and last host sample, and averages over all of them.
private struct HostWindow {
    let host: HostEvidence
    let first: HostSample
    let last: HostSample

    var seconds: Double { max(last.at.timeIntervalSince(first.at), 0.001) }

    func delta(_ counter: KeyPath<HostSample, UInt64?>) -> UInt64? {
        guard let start = first[keyPath: counter], let end = last[keyPath: counter] else { return nil }
        return end >= start ? end - start : nil
    }

    private var cpuTotal: Double? {
        guard let start = first.cpu, let end = last.cpu, end.total > start.total else { return nil }
        return end.total - start.total
    }

    /// Share of all CPU time spent in one mode (user, steal, iowait, …).
    func cpuShare(_ mode: KeyPath<CPUTimes, Double>) -> Double? {
        guard let total = cpuTotal, let start = first.cpu, let end = last.cpu else { return nil }
        return (end[keyPath: mode] - start[keyPath: mode]) / total
    }

    var busyShare: Double? { cpuShare(\.busy) }

    var averageRunnable: Double? {
        let values = host.samples.compactMap(\.runnable)
        return values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count)
    }

    /// Share of the host's CPU capacity the generator used, when it runs on this host.
    var generatorShare: Double? {
        guard host.sharedWithGenerator, let start = first.ownCPUSeconds, let end = last.ownCPUSeconds else { return nil }
        return (end - start) / (seconds * Double(max(host.cores, 1)))
    }

    func stallSeconds(_ kind: KeyPath<PressureTotals, Double?>) -> Double? {
        guard let start = first.pressure?[keyPath: kind], let end = last.pressure?[keyPath: kind], end >= start else { return nil }
        return end - start
    }

    /// At most 1: samples are stamped after reading, so the counters can cover a little more than the gap.
    func stallShare(_ kind: KeyPath<PressureTotals, Double?>) -> Double? {
        stallSeconds(kind).map { min(1, $0 / seconds) }
    }

    struct DiskWindow {
        var name: String
        var utilisation: Double
        var averageQueue: Double
        var operationsPerSecond: Double
        var awaitSeconds: Double
        var busySeconds: Double
    }

    var diskWindows: [DiskWindow] {
        last.disks.compactMap { end in
            guard let start = first.disks.first(where: { $0.name == end.name }) else { return nil }
            let operations = Double((end.reads + end.writes) - (start.reads + start.writes))
            let requestTime = (end.readSeconds + end.writeSeconds) - (start.readSeconds + start.writeSeconds)
            let busy = end.busySeconds - start.busySeconds
            return DiskWindow(name: end.name, utilisation: min(1, busy / seconds),
                              averageQueue: (end.weightedSeconds - start.weightedSeconds) / seconds,
                              operationsPerSecond: operations / seconds,
                              awaitSeconds: operations > 0 ? requestTime / operations : 0, busySeconds: busy)
        }
    }

    var interfaceErrors: [(name: String, errors: UInt64, drops: UInt64)] {
        last.interfaces.compactMap { end in
            guard let start = first.interfaces.first(where: { $0.name == end.name }) else { return nil }
            let errors = (before: start.receiveErrors + start.transmitErrors, after: end.receiveErrors + end.transmitErrors)
            let drops = (before: start.receiveDrops + start.transmitDrops, after: end.receiveDrops + end.transmitDrops)
            // Counters that went down were reset (interface re-created): nothing to compare.
            guard errors.after >= errors.before, drops.after >= drops.before,
                  errors.after + drops.after > errors.before + drops.before else { return nil }
            return (end.name, errors.after - errors.before, drops.after - drops.before)
        }
    }

    var summary: String {
        var parts = ["\(host.samples.count) samples from \(host.source) over \(Format.duration(seconds))"]
        if let busy = busyShare { parts.append("CPU busy \(Format.percent(busy)) of \(host.cores) cores") }
        if let stall = stallShare(\.cpuSome) { parts.append("CPU stall \(Format.percent(stall))") }
        if let memory = last.memory {
            parts.append("MemAvailable \(Format.bytes(Double(memory.availableBytes))) of \(Format.bytes(Double(memory.totalBytes)))")
        }
        if let io = stallShare(\.ioSome) { parts.append("I/O stall \(Format.percent(io))") }
        if let retransmitted = delta(\.tcp?.retransmittedSegments) { parts.append("\(Format.count(retransmitted)) TCP retransmissions") }
        if let generator = generatorShare { parts.append("the generator used \(Format.percent(generator)) of the CPU") }
        return parts.joined(separator: "; ")
    }
}
