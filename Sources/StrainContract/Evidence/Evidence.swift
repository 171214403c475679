import Foundation

/// Everything the collectors observed during one window: the only input of the checks.
///
/// Codable so a window can be saved (`evidence.json` next to `diagnosis.json`) and diagnosed again
/// later, and so tests can replay captured evidence through the checks.
public struct Evidence: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public var format: Int
    public var startedAt: Date
    public var endedAt: Date
    /// Phase boundaries the run coordinator marked (`DiagnosisSession.markPhase`), in order.
    public var phases: [PhaseMark]
    public var host: HostEvidence?
    public var postgres: PostgresEvidence?
    public var pgbouncer: PgBouncerEvidence?
    public var dependencies: [DependencyEvidence]
    public var profiler: ProfilerEvidence?
    /// The CPU time of the process under diagnosis (`--pid`) over the window.
    public var service: ServiceProcessEvidence?
    /// What could not be collected, and why, so the report says what it did not look at.
    public var gaps: [EvidenceGap]

    /// What makes a decoded evidence file unusable, in words with its key, or nil: a format from a
    /// newer Strain, a window that ends before it starts, or statement counters no server reports
    /// (negative, or not a number), which would make every figure drawn from them wrong.
    /// More cores than any machine has: a file that says so was made by hand.
    public static let maximumCores = 1 << 20

    public var problem: String? {
        if format > Self.formatVersion {
            return "format \(format) is newer than this strain reads (\(Self.formatVersion)): upgrade strain"
        }
        if endedAt < startedAt {
            return "endedAt (\(JSONFormat.text(of: endedAt))) is before startedAt (\(JSONFormat.text(of: startedAt)))"
        }
        // Shares of the host's CPU are taken over its cores: 0 (or 10^15) of them reads as "76% of 0 cores".
        if let cores = host?.cores, !(1...Self.maximumCores).contains(cores) {
            return "invalid value at 'host.cores': \(cores) (expected 1 to \(Self.maximumCores))"
        }
        for (snapshot, taken) in (postgres?.statementSnapshots ?? []).enumerated() {
            for (index, statement) in taken.statements.enumerated() {
                let key = "postgres.statementSnapshots[\(snapshot)].statements[\(index)]"
                for (name, value) in [("calls", statement.calls), ("rows", statement.rows), ("sharedBlocksHit", statement.sharedBlocksHit),
                                      ("sharedBlocksRead", statement.sharedBlocksRead), ("tempBlocksWritten", statement.tempBlocksWritten)]
                where value < 0 {
                    return "invalid value at '\(key).\(name)': \(value) (a count cannot be negative)"
                }
                guard statement.totalExecMilliseconds.isFinite, statement.totalExecMilliseconds >= 0 else {
                    return "invalid value at '\(key).totalExecMilliseconds': \(statement.totalExecMilliseconds) (a time cannot be negative)"
                }
            }
        }
        return nil
    }

    public init(format: Int = Evidence.formatVersion, startedAt: Date, endedAt: Date, phases: [PhaseMark] = [],
                host: HostEvidence? = nil, postgres: PostgresEvidence? = nil, pgbouncer: PgBouncerEvidence? = nil,
                dependencies: [DependencyEvidence] = [], profiler: ProfilerEvidence? = nil,
                service: ServiceProcessEvidence? = nil, gaps: [EvidenceGap] = []) {
        self.format = format
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.phases = phases
        self.host = host
        self.postgres = postgres
        self.pgbouncer = pgbouncer
        self.dependencies = dependencies
        self.profiler = profiler
        self.service = service
        self.gaps = gaps
    }

    /// Length of the observed window in seconds (at least a millisecond, so rates never divide by 0).
    public var windowSeconds: Double {
        max(endedAt.timeIntervalSince(startedAt), 0.001)
    }
}

/// The start of a load phase ("warm-up", "ramp", "steady", …).
public struct PhaseMark: Codable, Sendable, Equatable {
    public var name: String
    public var at: Date

    public init(name: String, at: Date) {
        self.name = name
        self.at = at
    }
}

/// Evidence a checklist step wanted but could not get.
public struct EvidenceGap: Codable, Sendable, Equatable {
    public var step: Finding.Step
    public var message: String

    public init(step: Finding.Step, message: String) {
        self.step = step
        self.message = message
    }
}

/// Downstream endpoint probes: one every second through the window.
public struct DependencyEvidence: Codable, Sendable, Equatable {
    public struct Probe: Codable, Sendable, Equatable {
        public var at: Date
        /// HTTP status; 0 when no response arrived.
        public var status: Int
        /// Phase times in seconds from the start of the probe (each includes the ones before it).
        public var timings: PhaseTimes?
        /// Why the probe failed, when it did.
        public var error: String?

        public init(at: Date, status: Int, timings: PhaseTimes?, error: String?) {
            self.at = at
            self.status = status
            self.timings = timings
            self.error = error
        }
    }

    /// Cumulative phase times of one HTTP exchange, in seconds (libcurl's `*_TIME_T`).
    public struct PhaseTimes: Codable, Sendable, Equatable {
        public var nameLookup: Double
        public var connect: Double
        public var tls: Double
        public var firstByte: Double
        public var total: Double

        public init(nameLookup: Double, connect: Double, tls: Double, firstByte: Double, total: Double) {
            self.nameLookup = nameLookup
            self.connect = connect
            self.tls = tls
            self.firstByte = firstByte
            self.total = total
        }
    }

    public var name: String
    /// The URL with any user information removed.
    public var url: String
    public var probes: [Probe]

    public init(name: String, url: String, probes: [Probe]) {
        self.name = name
        self.url = url
        self.probes = probes
    }
}

/// `perf` samples of a local process taken through the window.
public struct ProfilerEvidence: Codable, Sendable, Equatable {
    public struct Frame: Codable, Sendable, Equatable {
        public var symbol: String
        /// The binary or library the symbol lives in ("[kernel.kallsyms]" for the kernel).
        public var module: String
        public var samples: Int
        /// Share (0…1) of all samples whose innermost frame this is.
        public var share: Double

        public init(symbol: String, module: String, samples: Int, share: Double) {
            self.symbol = symbol
            self.module = module
            self.samples = samples
            self.share = share
        }
    }

    public var pid: Int32
    public var samples: Int
    /// Hottest first.
    public var frames: [Frame]

    public init(pid: Int32, samples: Int, frames: [Frame]) {
        self.pid = pid
        self.samples = samples
        self.frames = frames
    }
}

/// How much CPU the process under diagnosis used over the window (/proc/PID/stat): the measure
/// that tells request time spent computing inside the service from time spent waiting there.
public struct ServiceProcessEvidence: Codable, Sendable, Equatable {
    public var pid: Int32
    /// User + system CPU time of all its threads, in seconds.
    public var cpuSeconds: Double
    /// Time its threads were ready to run but waited for a core, in seconds (a lower bound:
    /// threads that ended during the window are not counted).
    public var runQueueSeconds: Double
    /// Thread-seconds spent running or runnable, from its threads' states sampled through the
    /// window (counts threads that came and went between samples of the clocks).
    public var runnableSeconds: Double
    /// Per endpoint, the threads one of its requests kept running or waiting for a core while in
    /// flight, from the thread states set against the load's requests in flight at the same
    /// instants (nil without a load in this process, or in evidence saved before it was measured).
    public var runnablePerRequestInFlight: [String: Double]?

    public init(pid: Int32, cpuSeconds: Double, runQueueSeconds: Double = 0, runnableSeconds: Double = 0,
                runnablePerRequestInFlight: [String: Double]? = nil) {
        self.pid = pid
        self.cpuSeconds = cpuSeconds
        self.runQueueSeconds = runQueueSeconds
        self.runnableSeconds = runnableSeconds
        self.runnablePerRequestInFlight = runnablePerRequestInFlight
    }

    /// Time its threads were ready to run but had no core: the run-queue clocks of the threads
    /// still alive, or the sampled runnable time beyond its CPU time where threads came and went.
    public var coreWaitSeconds: Double { max(runQueueSeconds, runnableSeconds - cpuSeconds) }

    /// The share of the time its threads were ready to run that they spent on a core: 1 on an
    /// idle host, small on a saturated one.
    public var runningShare: Double { cpuSeconds + coreWaitSeconds > 0 ? cpuSeconds / (cpuSeconds + coreWaitSeconds) : 1 }
}
