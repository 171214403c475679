import Foundation

/// Everything one run produced: the hand-off from the driver to the reporter, diagnoser and gate
/// (like vegeta's results file). Read and written as versioned JSON; see `RunArtifact+File.swift`.
public struct RunArtifact: Codable, Sendable, Equatable {
    /// The artifact format this build writes and reads. Bump it on any incompatible change.
    public static let formatVersion = 1
    /// Steps across a run's scenarios, and so in a timeline interval: a profile's limit too. Each step
    /// keeps several histograms of up to 186 KB in memory, so a run file listing a million small
    /// steps would take hundreds of gigabytes to read; a thousand is far beyond any real load test.
    public static let maxSteps = 1_000

    public var format: Int
    public var tool: ToolInfo
    public var profile: ProfileInfo?
    public var host: HostInfo
    /// The git commit of the working directory the run was started from, if it was a repository.
    public var gitSHA: String?
    public var startedAt: Date
    public var endedAt: Date
    public var status: RunStatus
    /// Why and when the run, or one of its scenarios, stopped before its plan was done; nil when
    /// everything ran as planned.
    public var earlyStop: EarlyStop?
    /// Seeded Poisson arrivals and random template values; `strain run --seed` with it reproduces them.
    public var seed: UInt64?
    public var validity: Validity
    public var scenarios: [ScenarioResult]
    /// The thresholds the run is judged by, so that the folder alone gives the same verdict
    /// anywhere, later, without the profile. Nil in artifacts written before they were recorded.
    public var thresholds: [RecordedThreshold]?
    /// Set when this run is one shard of a scaled-out run (`strain run --shard I/N`); `strain merge`
    /// combines the shards' folders into one run.
    public var shard: Shard?
    /// The start time agreed by the shards (`--start-at`): `startedAt` minus it is how late this
    /// shard's load began on its own clock.
    public var startAt: Date?
    /// The command-line options that changed the profile before it ran (`strain run P --duration 30s
    /// --threshold …`); `profile.sha256` is the file's, so these say how what ran differs from it.
    /// Nil when the profile ran as written.
    public var overrides: [String]?
    /// How the live outputs (`strain run --output`) fared; nil when the run had none.
    public var outputs: [OutputSummary]?

    public init(
        format: Int = RunArtifact.formatVersion, tool: ToolInfo, profile: ProfileInfo?, host: HostInfo,
        gitSHA: String?, startedAt: Date, endedAt: Date, status: RunStatus, earlyStop: EarlyStop? = nil,
        seed: UInt64? = nil, validity: Validity, scenarios: [ScenarioResult], thresholds: [RecordedThreshold]? = nil,
        shard: Shard? = nil, startAt: Date? = nil, overrides: [String]? = nil, outputs: [OutputSummary]? = nil
    ) {
        self.format = format
        self.tool = tool
        self.profile = profile
        self.host = host
        self.gitSHA = gitSHA
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
        self.earlyStop = earlyStop
        self.seed = seed
        self.validity = validity
        self.scenarios = scenarios
        self.thresholds = thresholds
        self.shard = shard
        self.startAt = startAt
        self.overrides = overrides
        self.outputs = outputs
    }
}

public struct ToolInfo: Codable, Sendable, Equatable {
    public var name: String
    public var version: String

    public init(name: String = "strain", version: String) {
        self.name = name
        self.version = version
    }
}

/// A threshold as the profile stated it: its scope, metric and condition, enough to judge the run
/// again from its folder alone.
public struct RecordedThreshold: Codable, Sendable, Equatable {
    public enum Scope: String, Codable, Sendable {
        case all, http, postgres, scenario, step
    }

    public var scope: Scope
    /// The scenario of a `scenario` or `step` scope.
    public var scenario: String?
    /// The step of a `step` scope.
    public var step: String?
    public var metric: String
    /// The condition, e.g. `p(99) < 300ms`.
    public var condition: String
    public var abortOnFail: Bool

    public init(scope: Scope, scenario: String? = nil, step: String? = nil, metric: String, condition: String, abortOnFail: Bool) {
        self.scope = scope
        self.scenario = scenario
        self.step = step
        self.metric = metric
        self.condition = condition
        self.abortOnFail = abortOnFail
    }
}

/// The profile a run was driven by; the hash tells whether two runs used the same file.
public struct ProfileInfo: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    /// SHA-256 of the profile file's bytes, lowercase hex.
    public var sha256: String

    public init(name: String, path: String, sha256: String) {
        self.name = name
        self.path = path
        self.sha256 = sha256
    }
}

public enum RunStatus: String, Codable, Sendable, Equatable {
    /// Everything the plan asked for ran.
    case completed
    /// Something the run itself saw stopped it, or one of its scenarios, before the plan was done (an
    /// `abortOnFail` threshold failed, a unique feeder ran out of rows); `earlyStop` says what.
    case stoppedEarly
    /// Stopped by SIGINT, SIGTERM or SIGHUP.
    case interrupted
    /// A worker could not go on, or the target could not be reached at all.
    case failed
    /// A checkpoint written while the run went on. Found in a folder after the fact, the run was
    /// killed (or is still running): the figures stop at that checkpoint.
    case running
}

/// Why and when a run stopped before its plan was done.
public struct EarlyStop: Codable, Sendable, Equatable {
    public enum Cause: String, Codable, Sendable {
        /// An `abortOnFail` threshold failed.
        case threshold
        /// A `unique` feeder ran out of rows: its scenario stopped (the others went on).
        case feederExhausted
        /// The target refused every connection.
        case targetUnreachable
        /// SIGINT, SIGTERM or SIGHUP.
        case signal
        /// A worker could not go on.
        case failure
    }

    public var cause: Cause
    public var reason: String
    /// Seconds since the run started.
    public var at: Double

    public init(cause: Cause, reason: String, at: Double) {
        self.cause = cause
        self.reason = reason
        self.at = at
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cause = try container.decode(Cause.self, forKey: .cause)
        reason = try container.decode(String.self, forKey: .reason)
        at = try RunArtifact.decodeSeconds(container, .at)
    }
}

/// Whether the numbers can be trusted (e.g. the generator was not saturated), and why not.
public struct Validity: Codable, Sendable, Equatable {
    public var valid: Bool
    public var reasons: [String]
    /// Set when a closed-model run's throughput was limited by the generator's own CPU: the figures
    /// are right, but the rate is what this client could drive, not what the target can serve.
    public var generatorBound: String?

    public init(valid: Bool, reasons: [String] = [], generatorBound: String? = nil) {
        self.valid = valid
        self.reasons = reasons
        self.generatorBound = generatorBound
    }
}

public enum ScenarioKind: String, Codable, Sendable, Equatable {
    case http, postgres
}

public struct ScenarioResult: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ScenarioKind
    /// Completed passes through the scenario's steps.
    public var iterations: UInt64
    /// Open model: iterations per second the schedule asked for over the time the run actually ran
    /// (a ramp stopped early asked for its first part only, not the whole plan's average).
    public var askedRate: Double?
    /// The seconds from the run's start its achieved rates are measured over: the time it was active.
    /// Bounded by duration, its schedule (the part that ran, when stopped), or until its last request
    /// finished when that was later (a drain of arrivals that waited for a connection); bounded by
    /// iterations, until its last request finished. Another scenario's longer schedule is not its time.
    /// Nil when it finished no request and has no schedule (its rates are then over the whole run).
    public var rateSeconds: Double?
    public var steps: [StepResult]

    public init(name: String, kind: ScenarioKind, iterations: UInt64, askedRate: Double? = nil, rateSeconds: Double? = nil,
                steps: [StepResult]) {
        self.name = name
        self.kind = kind
        self.iterations = iterations
        self.askedRate = askedRate
        self.rateSeconds = rateSeconds
        self.steps = steps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(ScenarioKind.self, forKey: .kind)
        iterations = try container.decode(UInt64.self, forKey: .iterations)
        askedRate = try RunArtifact.decodeRateIfPresent(container, .askedRate)
        rateSeconds = try RunArtifact.decodeSecondsIfPresent(container, .rateSeconds)
        steps = try container.decode([StepResult].self, forKey: .steps)
    }
}

extension RunArtifact {
    /// Bounds of the times (seconds) and rates (per second) a run folder can hold, far beyond any run's
    /// (a profile runs for at most 31 days, at most 10 million arrivals per second): a file claiming
    /// more was not written by a run, and its figures would divide into infinities or overflow.
    public static let plausibleSeconds = 0.0...1e8
    public static let plausibleRate = 0.0...1e12

    /// A time in `plausibleSeconds`, or a decoding error naming the key.
    public static func decodeSeconds<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Double {
        try check(container.decode(Double.self, forKey: key), container, key, within: plausibleSeconds, unit: "seconds")
    }

    public static func decodeSecondsIfPresent<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Double? {
        try container.decodeIfPresent(Double.self, forKey: key).map { try check($0, container, key, within: plausibleSeconds, unit: "seconds") }
    }

    /// A rate in `plausibleRate`, nil when absent, or a decoding error naming the key.
    public static func decodeRateIfPresent<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Double? {
        try container.decodeIfPresent(Double.self, forKey: key).map { try check($0, container, key, within: plausibleRate, unit: "per second") }
    }

    private static func check<Key: CodingKey>(_ value: Double, _ container: KeyedDecodingContainer<Key>, _ key: Key,
                                              within range: ClosedRange<Double>, unit: String) throws -> Double {
        guard range.contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "expected \(range.lowerBound) to \(range.upperBound) \(unit), found \(value)")
        }
        return value
    }
}

extension RunArtifact {
    /// Wall-clock length of the run in seconds.
    public var seconds: Double {
        max(0, endedAt.timeIntervalSince(startedAt))
    }

    /// The seconds `scenario`'s achieved rates are measured over (see `ScenarioResult.rateSeconds`).
    public func rateSeconds(of scenario: ScenarioResult) -> Double {
        scenario.rateSeconds ?? seconds
    }

    /// Requests per second of `steps` of `scenario` over its time; nil when it had none.
    public func rate(of scenario: ScenarioResult, steps: [StepResult]) -> Double? {
        let seconds = rateSeconds(of: scenario)
        // Summed in Double: counts read from a file can add up past UInt64.max. Times are whole
        // microseconds: anything shorter is no time at all.
        return seconds >= 1e-6 ? steps.reduce(0) { $0 + Double($1.requests) } / seconds : nil
    }

    /// Requests per second of `scenarios` together: each at its own rate, over its own time, added up;
    /// nil when none had any time.
    public func requestRate(of scenarios: [ScenarioResult]) -> Double? {
        let rates = scenarios.compactMap { rate(of: $0, steps: $0.steps) }
        return rates.isEmpty ? nil : rates.reduce(0, +)
    }
}

public struct StepResult: Codable, Sendable, Equatable {
    public var name: String
    public var requests: UInt64
    public var failures: UInt64
    /// Latency from the intended send time (open model), so server stalls are not hidden.
    public var latency: Histogram
    /// Plain service time: actual send → response.
    public var service: Histogram
    /// Per-phase timings, keyed by `Phase.name`.
    public var phases: [String: Histogram]
    /// Counters, keyed by `Counter.name`.
    public var counters: [String: UInt64]
    /// HTTP status code or SQLSTATE → count.
    public var statuses: [String: UInt64]
    public var errors: [ErrorTally]

    public init(
        name: String, requests: UInt64 = 0, failures: UInt64 = 0, latency: Histogram = Histogram(),
        service: Histogram = Histogram(), phases: [String: Histogram] = [:], counters: [String: UInt64] = [:],
        statuses: [String: UInt64] = [:], errors: [ErrorTally] = []
    ) {
        self.name = name
        self.requests = requests
        self.failures = failures
        self.latency = latency
        self.service = service
        self.phases = phases
        self.counters = counters
        self.statuses = statuses
        self.errors = errors
    }
}

/// How often one kind of error happened; `label` comes from a fixed vocabulary chosen by the
/// engines (so tallies merge across workers), `example` is the first full message seen.
public struct ErrorTally: Codable, Sendable, Equatable {
    public var label: String
    public var count: UInt64
    public var example: String

    public init(label: String, count: UInt64, example: String) {
        self.label = label
        self.count = count
        self.example = example
    }
}
