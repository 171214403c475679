import Foundation

/// Step 1, disk: I/O requests queue up — I/O stalls (PSI), or a device busy nearly all the time
/// with a queue.
enum DiskSaturationRule {
    static func finding(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.ioSome)
        let busiest = window.diskWindows.max { ($0.utilisation, $1.name) < ($1.utilisation, $0.name) }
        let deviceSaturated = busiest.map { $0.utilisation >= 0.9 && $0.averageQueue >= 1 } ?? false
        guard (stall ?? 0) >= MetricsCheck.stallWarning || deviceSaturated else { return nil }
        var evidence: [String] = []
        if let busiest {
            evidence.append("\(busiest.name): busy \(Format.percent(busiest.utilisation)) of the time, average queue "
                            + "\(Format.significant(busiest.averageQueue)), \(Format.significant(busiest.operationsPerSecond)) I/O per second, "
                            + "await \(Format.duration(busiest.awaitSeconds))")
        }
        if let stall { evidence.append("some task stalled on I/O \(Format.percent(stall)) of the time (PSI io some)") }
        if let iowait = window.cpuShare(\.iowait), iowait > 0 { evidence.append("CPU iowait \(Format.percent(iowait))") }
        let critical = (stall ?? 0) >= MetricsCheck.stallCritical
            || (busiest.map { $0.utilisation >= 0.95 && $0.averageQueue >= 2 } ?? false)
        // Without PSI, the busiest device's utilisation is the share of time I/O could be waited for.
        let waited = MetricsCheck.stallImpact(share: stall ?? (busiest?.utilisation ?? 0),
                                              stallSeconds: window.stallSeconds(\.ioSome) ?? (busiest?.busySeconds ?? 0), input)
        evidence.append(waited.evidence)
        return Finding(step: .metrics, check: .diskSaturation, title: "Disk saturated: I/O requests queue up",
                       object: busiest.map { "disk \($0.name)" } ?? "disk I/O", evidence: evidence,
                       impact: waited.impact, severity: critical ? .critical : .warning,
                       fix: "Read and write less: queries that scan whole tables (step 2), a cache too small for the "
                           + "working set (shared_buffers, page cache), checkpoints or autovacuum at peak time. "
                           + "`pidstat -d 1` shows who does the I/O; otherwise move to faster storage.")
    }
}
