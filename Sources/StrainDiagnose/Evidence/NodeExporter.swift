import Foundation

/// The Prometheus text exposition format as a node exporter serves it, and its mapping to a
/// `HostSample` (for hosts the diagnoser cannot read /proc of).
public struct PrometheusMetrics: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public var samples: [Sample]

    /// Parses exposition text; comment lines (`# HELP`, `# TYPE`) and blank lines are skipped.
    /// Throws with the line number for a line that is not `name{labels} value [timestamp]`.
    public init(parsing text: String) throws(NodeExporterError) {
        var samples: [Sample] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let sample = Self.sample(Substring(trimmed)) else {
                throw NodeExporterError(line: offset + 1, text: String(trimmed.prefix(120)))
            }
            samples.append(sample)
        }
        self.samples = samples
    }

    private static func sample(_ line: Substring) -> Sample? {
        var rest = line
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty else { return nil }
        rest = rest[name.endIndex...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while true {
                rest = rest.drop { $0 == " " || $0 == "," }
                if rest.first == "}" {
                    rest = rest.dropFirst()
                    break
                }
                let label = rest.prefix { $0 != "=" }
                rest = rest[label.endIndex...]
                guard rest.hasPrefix("=\""), !label.isEmpty else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[label.trimmingCharacters(in: .whitespaces)] = value
            }
        }
        guard let valueText = rest.split(separator: " ").first, let value = parseValue(valueText) else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    /// The samples of `name` the host sample can use. NaN and ±Inf are legal in the format but no
    /// counter or gauge the diagnosis reads: one would make every rate infinite and the evidence
    /// unwritable, so such a sample counts as missing.
    private func readable(_ name: String) -> [Sample] {
        samples.filter { $0.name == name && $0.value.isFinite }
    }

    /// The value of an unlabelled metric (or the sum over its label sets).
    func total(_ name: String) -> Double? {
        let matching = readable(name)
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// Values of `name` keyed by one label's value, summed over the other labels.
    func byLabel(_ name: String, _ label: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for sample in readable(name) {
            if let key = sample.labels[label] { values[key, default: 0] += sample.value }
        }
        return values
    }

    /// The host counters node_exporter reports, in the same shape as /proc gives them.
    public func hostSample(at date: Date) -> HostSample {
        let cpuByMode = byLabel("node_cpu_seconds_total", "mode")
        let cpu = cpuByMode.isEmpty ? nil : CPUTimes(
            user: cpuByMode["user"] ?? 0, nice: cpuByMode["nice"] ?? 0, system: cpuByMode["system"] ?? 0,
            idle: cpuByMode["idle"] ?? 0, iowait: cpuByMode["iowait"] ?? 0, irq: cpuByMode["irq"] ?? 0,
            softirq: cpuByMode["softirq"] ?? 0, steal: cpuByMode["steal"] ?? 0)
        var memory: MemoryState?
        if let memoryTotal = total("node_memory_MemTotal_bytes"), let available = total("node_memory_MemAvailable_bytes") {
            memory = MemoryState(totalBytes: Self.count(memoryTotal), availableBytes: Self.count(available),
                                 swapTotalBytes: Self.count(total("node_memory_SwapTotal_bytes") ?? 0),
                                 swapFreeBytes: Self.count(total("node_memory_SwapFree_bytes") ?? 0))
        }
        var tcp: TCPCounters?
        if let out = total("node_netstat_Tcp_OutSegs"), let retransmitted = total("node_netstat_Tcp_RetransSegs") {
            tcp = TCPCounters(outSegments: Self.count(out), retransmittedSegments: Self.count(retransmitted),
                              listenOverflows: total("node_netstat_TcpExt_ListenOverflows").map { Self.count($0) },
                              listenDrops: total("node_netstat_TcpExt_ListenDrops").map { Self.count($0) })
        }
        let pressure = PressureTotals(
            cpuSome: total("node_pressure_cpu_waiting_seconds_total"),
            memorySome: total("node_pressure_memory_waiting_seconds_total"),
            memoryFull: total("node_pressure_memory_stalled_seconds_total"),
            ioSome: total("node_pressure_io_waiting_seconds_total"),
            ioFull: total("node_pressure_io_stalled_seconds_total"))
        return HostSample(
            at: date, cpu: cpu,
            runnable: total("node_procs_running").map { Int(clamping: Self.count($0)) },
            blocked: total("node_procs_blocked").map { Int(clamping: Self.count($0)) },
            load1: total("node_load1"), memory: memory,
            swapIn: total("node_vmstat_pswpin").map { Self.count($0) },
            swapOut: total("node_vmstat_pswpout").map { Self.count($0) },
            disks: disks(), interfaces: interfaces(), tcp: tcp,
            pressure: pressure == PressureTotals() ? nil : pressure)
    }

    /// A counter as an integer; negative values or ones past what 64 bits hold (a broken exporter) count as 0.
    private static func count(_ value: Double) -> UInt64 {
        UInt64(exactly: value.rounded(.down)) ?? 0
    }

    /// Cores: the distinct `cpu` labels of node_cpu_seconds_total.
    public var cores: Int? {
        let cpus = Set(samples.filter { $0.name == "node_cpu_seconds_total" }.compactMap { $0.labels["cpu"] })
        return cpus.isEmpty ? nil : cpus.count
    }

    private func disks() -> [DiskCounters] {
        let reads = byLabel("node_disk_reads_completed_total", "device")
        let writes = byLabel("node_disk_writes_completed_total", "device")
        let readTime = byLabel("node_disk_read_time_seconds_total", "device")
        let writeTime = byLabel("node_disk_write_time_seconds_total", "device")
        let busy = byLabel("node_disk_io_time_seconds_total", "device")
        let weighted = byLabel("node_disk_io_time_weighted_seconds_total", "device")
        return busy.keys.sorted().filter { !DiskCounters.isIgnored($0) }.map { device in
            DiskCounters(name: device, reads: Self.count(reads[device] ?? 0), writes: Self.count(writes[device] ?? 0),
                         readSeconds: readTime[device] ?? 0, writeSeconds: writeTime[device] ?? 0,
                         busySeconds: busy[device] ?? 0, weightedSeconds: weighted[device] ?? 0)
        }
    }

    private func interfaces() -> [InterfaceCounters] {
        func counter(_ name: String) -> [String: Double] { byLabel("node_network_\(name)", "device") }
        let receiveBytes = counter("receive_bytes_total")
        let receiveErrors = counter("receive_errs_total")
        let receiveDrops = counter("receive_drop_total")
        let transmitBytes = counter("transmit_bytes_total")
        let transmitErrors = counter("transmit_errs_total")
        let transmitDrops = counter("transmit_drop_total")
        return receiveBytes.keys.sorted().filter { $0 != "lo" }.map { device in
            InterfaceCounters(name: device, receiveBytes: Self.count(receiveBytes[device] ?? 0),
                              receiveErrors: Self.count(receiveErrors[device] ?? 0),
                              receiveDrops: Self.count(receiveDrops[device] ?? 0),
                              transmitBytes: Self.count(transmitBytes[device] ?? 0),
                              transmitErrors: Self.count(transmitErrors[device] ?? 0),
                              transmitDrops: Self.count(transmitDrops[device] ?? 0))
        }
    }
}

/// A node-exporter response that is not in the Prometheus text format.
public struct NodeExporterError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    public var text: String

    public var description: String {
        "line \(line): expected 'metric{label=\"value\"} number', found '\(text)'"
    }
}
