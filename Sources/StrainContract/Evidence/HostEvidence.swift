import Foundation

/// Host counters sampled every second, from /proc on this machine or a node-exporter endpoint.
/// Counters are cumulative (as the kernel reports them): the checks look at differences.
public struct HostEvidence: Codable, Sendable, Equatable {
    /// "/proc" or the node-exporter URL the samples came from.
    public var source: String
    public var cores: Int
    /// Whether the load generator (this process) runs on the observed host, so its own CPU counts.
    public var sharedWithGenerator: Bool
    public var samples: [HostSample]

    public init(source: String, cores: Int, sharedWithGenerator: Bool, samples: [HostSample]) {
        self.source = source
        self.cores = cores
        self.sharedWithGenerator = sharedWithGenerator
        self.samples = samples
    }
}

/// One reading of the host's counters. Every group is optional: a kernel without PSI, or a
/// node exporter without a collector, simply leaves it out.
public struct HostSample: Codable, Sendable, Equatable {
    public var at: Date
    public var cpu: CPUTimes?
    /// Tasks running or ready to run (`procs_running`), the run queue.
    public var runnable: Int?
    /// Tasks blocked on I/O (`procs_blocked`).
    public var blocked: Int?
    public var load1: Double?
    public var memory: MemoryState?
    /// Pages swapped in and out since boot (`pswpin`, `pswpout`).
    public var swapIn: UInt64?
    public var swapOut: UInt64?
    public var disks: [DiskCounters]
    public var interfaces: [InterfaceCounters]
    public var tcp: TCPCounters?
    public var pressure: PressureTotals?
    /// CPU seconds this process has used: the load generator's own CPU when it shares the host.
    public var ownCPUSeconds: Double?

    public init(at: Date, cpu: CPUTimes? = nil, runnable: Int? = nil, blocked: Int? = nil, load1: Double? = nil,
                memory: MemoryState? = nil, swapIn: UInt64? = nil, swapOut: UInt64? = nil,
                disks: [DiskCounters] = [], interfaces: [InterfaceCounters] = [], tcp: TCPCounters? = nil,
                pressure: PressureTotals? = nil, ownCPUSeconds: Double? = nil) {
        self.at = at
        self.cpu = cpu
        self.runnable = runnable
        self.blocked = blocked
        self.load1 = load1
        self.memory = memory
        self.swapIn = swapIn
        self.swapOut = swapOut
        self.disks = disks
        self.interfaces = interfaces
        self.tcp = tcp
        self.pressure = pressure
        self.ownCPUSeconds = ownCPUSeconds
    }
}

/// Cumulative CPU time over all cores, in seconds.
public struct CPUTimes: Codable, Sendable, Equatable {
    public var user: Double
    public var nice: Double
    public var system: Double
    public var idle: Double
    public var iowait: Double
    public var irq: Double
    public var softirq: Double
    public var steal: Double

    public init(user: Double, nice: Double, system: Double, idle: Double, iowait: Double, irq: Double,
                softirq: Double, steal: Double) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    public var total: Double { user + nice + system + idle + iowait + irq + softirq + steal }
    /// Time the CPUs did work (not idle, not waiting for I/O).
    public var busy: Double { total - idle - iowait }
}

public struct MemoryState: Codable, Sendable, Equatable {
    public var totalBytes: UInt64
    /// What the kernel estimates can be given to new work without swapping (MemAvailable).
    public var availableBytes: UInt64
    public var swapTotalBytes: UInt64
    public var swapFreeBytes: UInt64

    public init(totalBytes: UInt64, availableBytes: UInt64, swapTotalBytes: UInt64, swapFreeBytes: UInt64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.swapTotalBytes = swapTotalBytes
        self.swapFreeBytes = swapFreeBytes
    }
}

/// A whole disk's cumulative I/O counters (partitions and loop/ram devices are left out).
public struct DiskCounters: Codable, Sendable, Equatable {
    public var name: String
    public var reads: UInt64
    public var writes: UInt64
    /// Time reads and writes took, summed over requests (for await).
    public var readSeconds: Double
    public var writeSeconds: Double
    /// Time the device had at least one request in flight (for utilisation).
    public var busySeconds: Double
    /// Request time weighted by the queue length (for the average queue size).
    public var weightedSeconds: Double

    public init(name: String, reads: UInt64, writes: UInt64, readSeconds: Double, writeSeconds: Double,
                busySeconds: Double, weightedSeconds: Double) {
        self.name = name
        self.reads = reads
        self.writes = writes
        self.readSeconds = readSeconds
        self.writeSeconds = writeSeconds
        self.busySeconds = busySeconds
        self.weightedSeconds = weightedSeconds
    }

    /// Loop, RAM and floppy devices, and partitions (whose I/O their disk already counts).
    public static func isIgnored(_ name: String) -> Bool {
        name.wholeMatch(of: /(z?ram|loop|fd)\d+|(h|s|v|xv)d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+/) != nil
    }
}

/// A network interface's cumulative counters (loopback is left out).
public struct InterfaceCounters: Codable, Sendable, Equatable {
    public var name: String
    public var receiveBytes: UInt64
    public var receiveErrors: UInt64
    public var receiveDrops: UInt64
    public var transmitBytes: UInt64
    public var transmitErrors: UInt64
    public var transmitDrops: UInt64

    public init(name: String, receiveBytes: UInt64, receiveErrors: UInt64, receiveDrops: UInt64,
                transmitBytes: UInt64, transmitErrors: UInt64, transmitDrops: UInt64) {
        self.name = name
        self.receiveBytes = receiveBytes
        self.receiveErrors = receiveErrors
        self.receiveDrops = receiveDrops
        self.transmitBytes = transmitBytes
        self.transmitErrors = transmitErrors
        self.transmitDrops = transmitDrops
    }
}

/// TCP counters from /proc/net/snmp (Tcp:) and /proc/net/netstat (TcpExt:).
public struct TCPCounters: Codable, Sendable, Equatable {
    public var outSegments: UInt64
    public var retransmittedSegments: UInt64
    /// Connections dropped because a listen queue was full.
    public var listenOverflows: UInt64?
    public var listenDrops: UInt64?

    public init(outSegments: UInt64, retransmittedSegments: UInt64, listenOverflows: UInt64?, listenDrops: UInt64?) {
        self.outSegments = outSegments
        self.retransmittedSegments = retransmittedSegments
        self.listenOverflows = listenOverflows
        self.listenDrops = listenDrops
    }
}

/// Pressure stall information: cumulative seconds during which some (or all non-idle) tasks
/// waited for the resource.
public struct PressureTotals: Codable, Sendable, Equatable {
    public var cpuSome: Double?
    public var memorySome: Double?
    public var memoryFull: Double?
    public var ioSome: Double?
    public var ioFull: Double?

    public init(cpuSome: Double? = nil, memorySome: Double? = nil, memoryFull: Double? = nil,
                ioSome: Double? = nil, ioFull: Double? = nil) {
        self.cpuSome = cpuSome
        self.memorySome = memorySome
        self.memoryFull = memoryFull
        self.ioSome = ioSome
        self.ioFull = ioFull
    }
}
