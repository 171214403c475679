import Foundation

/// Everything one run produced: the hand-off from the driver to the reporter, diagnoser and gate
/// (like vegeta's results file). Read and written as versioned JSON; see `RunArtifact+File.swift`.
public struct RunArtifact: Codable, Sendable, Equatable {
    /// The artifact format this build writes and reads. Bump it on any incompatible change.
    public static let formatVersion = 1

    public var format: Int
    public var tool: ToolInfo
    public var profile: ProfileInfo?
    public var host: HostInfo
    /// The git commit of the working directory the run was started from, if it was a repository.
    public var gitSHA: String?
    public var startedAt: Date
    public var endedAt: Date
    public var status: RunStatus
    public var validity: Validity
    public var scenarios: [ScenarioResult]

    public init(
        format: Int = RunArtifact.formatVersion, tool: ToolInfo, profile: ProfileInfo?, host: HostInfo,
        gitSHA: String?, startedAt: Date, endedAt: Date, status: RunStatus, validity: Validity,
        scenarios: [ScenarioResult]
    ) {
        self.format = format
        self.tool = tool
        self.profile = profile
        self.host = host
        self.gitSHA = gitSHA
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
        self.validity = validity
        self.scenarios = scenarios
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
    case completed, interrupted, failed
    /// A checkpoint written while the run went on. Found in a folder after the fact, the run was
    /// killed (or is still running): the figures stop at that checkpoint.
    case running
}

/// Whether the numbers can be trusted (e.g. the generator was not saturated), and why not.
public struct Validity: Codable, Sendable, Equatable {
    public var valid: Bool
    public var reasons: [String]

    public init(valid: Bool, reasons: [String] = []) {
        self.valid = valid
        self.reasons = reasons
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
    public var steps: [StepResult]

    public init(name: String, kind: ScenarioKind, iterations: UInt64, steps: [StepResult]) {
        self.name = name
        self.kind = kind
        self.iterations = iterations
        self.steps = steps
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
    /// Per-phase timings, keyed by `PhaseName`.
    public var phases: [String: Histogram]
    /// Counters, keyed by `CounterName`.
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
