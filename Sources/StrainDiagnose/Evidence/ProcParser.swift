import Foundation

/// Turns the text of Linux /proc files into a `HostSample`. Pure: the collector reads the files,
/// tests feed captured ones. A file that is missing or unreadable leaves its part of the sample empty.
public struct ProcFiles: Sendable, Equatable {
    /// File text keyed by path below /proc: "stat", "loadavg", "meminfo", "vmstat", "diskstats",
    /// "net/dev", "net/snmp", "net/netstat", "pressure/cpu", "pressure/memory", "pressure/io", "self/stat".
    public var texts: [String: String]
    /// USER_HZ: the unit of the tick counts in stat files (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    public var ticksPerSecond: Double

    public static let paths = ["stat", "loadavg", "meminfo", "vmstat", "diskstats", "net/dev", "net/snmp",
                               "net/netstat", "pressure/cpu", "pressure/memory", "pressure/io", "self/stat"]

    public init(texts: [String: String], ticksPerSecond: Double = 100) {
        self.texts = texts
        self.ticksPerSecond = ticksPerSecond
    }

    public func sample(at date: Date) -> HostSample {
        let stat = texts["stat"].map(parseStat)
        let vmstat = texts["vmstat"].map(Self.keyValueLines) ?? [:]
        return HostSample(
            at: date,
            cpu: stat?.cpu,
            runnable: stat?.runnable,
            blocked: stat?.blocked,
            load1: texts["loadavg"].flatMap { $0.split(separator: " ").first.flatMap { Double($0) } },
            memory: texts["meminfo"].flatMap(Self.memory),
            swapIn: vmstat["pswpin"],
            swapOut: vmstat["pswpout"],
            disks: texts["diskstats"].map(diskCounters) ?? [],
            interfaces: texts["net/dev"].map(Self.interfaces) ?? [],
            tcp: tcpCounters(),
            pressure: pressure(),
            ownCPUSeconds: texts["self/stat"].flatMap(processCPUSeconds))
    }

    // MARK: stat, self/stat

    private func parseStat(_ text: String) -> (cpu: CPUTimes?, runnable: Int?, blocked: Int?) {
        var cpu: CPUTimes?
        var runnable: Int?
        var blocked: Int?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            switch fields.first {
            case "cpu":
                // user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice]
                let ticks = fields.dropFirst().prefix(8).compactMap { Double($0) }
                guard ticks.count == 8 else { continue }
                let seconds = ticks.map { $0 / ticksPerSecond }
                cpu = CPUTimes(user: seconds[0], nice: seconds[1], system: seconds[2], idle: seconds[3],
                               iowait: seconds[4], irq: seconds[5], softirq: seconds[6], steal: seconds[7])
            case "procs_running": runnable = fields.dropFirst().first.flatMap { Int($0) }
            case "procs_blocked": blocked = fields.dropFirst().first.flatMap { Int($0) }
            default: continue
            }
        }
        return (cpu, runnable, blocked)
    }

    /// utime + stime of /proc/<pid>/stat. The command name (field 2) may contain spaces and
    /// parentheses, so fields are counted after its closing parenthesis.
    private func processCPUSeconds(_ text: String) -> Double? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    // MARK: meminfo, vmstat

    /// "Name: value" or "name value" lines as integers (units dropped).
    static func keyValueLines(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == ":" })
            if fields.count >= 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }

    private static func memory(_ text: String) -> MemoryState? {
        let kibibytes = keyValueLines(text)
        guard let total = kibibytes["MemTotal"], let available = kibibytes["MemAvailable"] else { return nil }
        return MemoryState(totalBytes: total * 1024, availableBytes: available * 1024,
                           swapTotalBytes: (kibibytes["SwapTotal"] ?? 0) * 1024,
                           swapFreeBytes: (kibibytes["SwapFree"] ?? 0) * 1024)
    }

    // MARK: diskstats, net/dev

    private func diskCounters(_ text: String) -> [DiskCounters] {
        text.split(separator: "\n").compactMap { line in
            // major minor name reads merged sectors ms_reading writes merged sectors ms_writing
            // in_flight ms_io ms_weighted …
            let fields = line.split(separator: " ")
            guard fields.count >= 14 else { return nil }
            let name = String(fields[2])
            let numbers = fields[3...13].compactMap { UInt64($0) }
            guard numbers.count == 11, !DiskCounters.isIgnored(name) else { return nil }
            return DiskCounters(name: name, reads: numbers[0], writes: numbers[4],
                                readSeconds: Double(numbers[3]) / 1000, writeSeconds: Double(numbers[7]) / 1000,
                                busySeconds: Double(numbers[9]) / 1000, weightedSeconds: Double(numbers[10]) / 1000)
        }
    }

    private static func interfaces(_ text: String) -> [InterfaceCounters] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let numbers = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop …
            guard name != "lo", numbers.count >= 12 else { return nil }
            return InterfaceCounters(name: name, receiveBytes: numbers[0], receiveErrors: numbers[2],
                                     receiveDrops: numbers[3], transmitBytes: numbers[8],
                                     transmitErrors: numbers[10], transmitDrops: numbers[11])
        }
    }

    // MARK: net/snmp, net/netstat

    /// The "Prefix: names…" / "Prefix: values…" line pairs of net/snmp and net/netstat.
    static func headerValuePairs(_ text: String, prefix: String) -> [String: UInt64] {
        let lines = text.split(separator: "\n").filter { $0.hasPrefix(prefix + ":") }
        guard lines.count >= 2 else { return [:] }
        let names = lines[0].split(separator: " ").dropFirst()
        // Signed: Tcp's MaxConn is -1.
        let values = lines[1].split(separator: " ").dropFirst().map { Int64($0) }
        var pairs: [String: UInt64] = [:]
        for (name, value) in zip(names, values) {
            if let value, value >= 0 { pairs[String(name)] = UInt64(value) }
        }
        return pairs
    }

    private func tcpCounters() -> TCPCounters? {
        guard let snmp = texts["net/snmp"] else { return nil }
        let tcp = Self.headerValuePairs(snmp, prefix: "Tcp")
        guard let out = tcp["OutSegs"], let retransmitted = tcp["RetransSegs"] else { return nil }
        let extended = texts["net/netstat"].map { Self.headerValuePairs($0, prefix: "TcpExt") } ?? [:]
        return TCPCounters(outSegments: out, retransmittedSegments: retransmitted,
                           listenOverflows: extended["ListenOverflows"], listenDrops: extended["ListenDrops"])
    }

    // MARK: pressure

    /// The `total=` microseconds of the "some" and "full" lines, in seconds.
    static func pressureTotals(_ text: String) -> (some: Double?, full: Double?) {
        var some: Double?
        var full: Double?
        for line in text.split(separator: "\n") {
            guard let total = line.split(separator: " ").first(where: { $0.hasPrefix("total=") })
                .flatMap({ Double($0.dropFirst("total=".count)) }) else { continue }
            if line.hasPrefix("some") { some = total / 1_000_000 }
            if line.hasPrefix("full") { full = total / 1_000_000 }
        }
        return (some, full)
    }

    private func pressure() -> PressureTotals? {
        let cpu = texts["pressure/cpu"].map(Self.pressureTotals)
        let memory = texts["pressure/memory"].map(Self.pressureTotals)
        let io = texts["pressure/io"].map(Self.pressureTotals)
        guard cpu != nil || memory != nil || io != nil else { return nil }
        return PressureTotals(cpuSome: cpu?.some, memorySome: memory?.some, memoryFull: memory?.full,
                              ioSome: io?.some, ioFull: io?.full)
    }
}
