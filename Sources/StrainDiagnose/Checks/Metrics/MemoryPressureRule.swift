import Foundation

/// Step 1, memory: the host reclaims or swaps — memory stalls (PSI), pages swapped in, or little
/// memory left available.
enum MemoryPressureRule {
    static func finding(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.memorySome)
        let fullStall = window.stallShare(\.memoryFull)
        let swappedIn = window.delta(\.swapIn)
        let swappedOut = window.delta(\.swapOut)
        // A total of 0, or less than what is available, is no reading (a broken exporter or a corrupt
        // evidence.json): it read as "MemAvailable fell to 0% of 0 B", a critical finding.
        let readings = window.host.samples.compactMap(\.memory).filter { $0.totalBytes > 0 && $0.availableBytes <= $0.totalBytes }
        let lowestAvailable = readings.map { Double($0.availableBytes) / Double($0.totalBytes) }.min()
        let pressured = (stall ?? 0) >= 0.05 || (swappedIn ?? 0) > 0 || (lowestAvailable ?? 1) < 0.10
        guard pressured else { return nil }
        var evidence: [String] = []
        if let lowestAvailable, let memory = readings.last {
            evidence.append("MemAvailable fell to \(Format.percent(lowestAvailable)) of \(Format.bytes(Double(memory.totalBytes)))")
        }
        if let swappedIn, let swappedOut, swappedIn + swappedOut > 0 {
            evidence.append("\(Format.count(swappedIn)) pages swapped in and \(Format.count(swappedOut)) out during the window")
        }
        if let stall { evidence.append("some task stalled on memory \(Format.percent(stall)) of the time (PSI memory some)") }
        if let fullStall, fullStall > 0 { evidence.append("all tasks stalled on memory \(Format.percent(fullStall)) of the time (PSI memory full)") }
        let swapInRate = Double(swappedIn ?? 0) / input.evidence.windowSeconds
        let critical = (fullStall ?? 0) >= 0.05 || (lowestAvailable ?? 1) < 0.05 || swapInRate >= 100
        let waited = MetricsCheck.stallImpact(share: stall ?? 0, stallSeconds: window.stallSeconds(\.memorySome) ?? 0, input)
        evidence.append(waited.evidence)
        return Finding(step: .metrics, check: .memoryPressure, title: "Memory pressure: the host reclaims or swaps",
                       object: "memory (\(window.host.source))", evidence: evidence,
                       impact: waited.impact,
                       severity: critical ? .critical : .warning,
                       fix: "Give the host more memory or use less: PostgreSQL's shared_buffers plus work_mem × connections, "
                           + "application heaps and caches. A swapped-in page costs a disk read on every touch.")
    }
}
