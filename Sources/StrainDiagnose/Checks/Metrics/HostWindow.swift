import Foundation

/// Differences between the first and last host sample, and averages over all of them.
struct HostWindow {
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
            let operations = Double(end.reads.rise(since: start.reads)) + Double(end.writes.rise(since: start.writes))
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
