import StrainContract

/// What an engine reports about one finished step (request or query). Times are µs on the run clock.
public struct StepOutcome: Sendable {
    /// When the request actually went out: service time runs from here.
    public var sentAt: UInt64
    public var finishedAt: UInt64
    /// The response's status; nil when none arrived (connection refused, timeout, …).
    public var status: ResponseStatus?
    /// Why the step failed; nil when it succeeded.
    public var failure: StepFailure?
    /// Phase durations in µs, only those the engine measured for this request.
    public var phases = PhaseTimes()
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Connections opened for this request (0 when it reused one).
    public var newConnections: UInt64 = 0
    /// Checks evaluated on the response, and how many of them failed.
    public var checks: UInt64 = 0
    public var checkFailures: UInt64 = 0
    /// Rows a SQL step returned.
    public var rows: UInt64 = 0
    /// Transactions rolled back because the iteration ended inside one (SQL steps).
    public var rollbacks: UInt64 = 0
    /// Connections that replaced broken ones, counted on the first step that used each.
    public var reconnects: UInt64 = 0
    /// 1 when the response body was longer than what the step keeps for its checks.
    public var truncatedBodies: UInt64 = 0

    public init(sentAt: UInt64, finishedAt: UInt64, status: ResponseStatus? = nil, failure: StepFailure? = nil) {
        self.sentAt = sentAt
        self.finishedAt = finishedAt
        self.status = status
        self.failure = failure
    }
}

/// A response status as counted in `StepResult.statuses`.
public enum ResponseStatus: Hashable, Sendable {
    case http(Int)
    case sqlState(String)

    var key: String {
        switch self {
        case .http(let code): String(code)
        case .sqlState(let state): state
        }
    }
}

/// Phase durations of one request; nil for phases that did not happen. Stored inline (no array), since
/// one is filled per request: a slot per `Phase` by its raw value, and a bit per slot saying it is set,
/// so a phase added to the catalogue needs nothing here.
public struct PhaseTimes: Sendable {
    private var values = SIMD16<UInt64>()
    private var present: UInt16 = 0

    /// Room for every phase of the catalogue (PhaseTimesTests checks it).
    static let capacity = SIMD16<UInt64>.scalarCount

    public init() {}

    /// Calls `body` with each phase that is set and its duration, in the catalogue's order: a request
    /// sets two or three of them, and testing every phase of the catalogue cost as much again.
    func forEach(_ body: (Phase, UInt64) -> Void) {
        var remaining = present
        while remaining != 0 {
            let slot = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            body(Phase(rawValue: slot)!, values[slot])
        }
    }

    public subscript(phase: Phase) -> UInt64? {
        get {
            present & (1 << phase.rawValue) != 0 ? values[phase.rawValue] : nil
        }
        set {
            if let newValue {
                values[phase.rawValue] = newValue
                present |= 1 << phase.rawValue
            } else {
                present &= ~(1 << phase.rawValue)
            }
        }
    }
}

/// Everything recorded for one step over some span (an interval, or the whole run): mergeable, with
/// fixed-size histograms, so memory does not grow with the number of requests.
public struct StepTally: Sendable {
    public private(set) var requests: UInt64 = 0
    public private(set) var failures: UInt64 = 0
    /// From the intended send time to the end of the response (responses only).
    public private(set) var latency = Histogram()
    /// From the actual send to the end of the response (responses only).
    public private(set) var service = Histogram()
    /// Created on first use: most steps only ever see a few phases.
    private var phases = [Histogram?](repeating: nil, count: Phase.allCases.count)
    private var counters = [UInt64](repeating: 0, count: Counter.allCases.count)
    private var statuses: [ResponseStatus: UInt64] = [:]
    /// The latest status and how many responses in a row had it, not yet in `statuses`: a step sees one
    /// status run after run, and updating the dictionary hashed it for every response.
    private var recentStatus: ResponseStatus?
    private var recentStatusCount: UInt64 = 0
    public private(set) var errors: [ErrorLabel: ErrorTally] = [:]
    /// When (µs on the run clock) the latest request finished, or was given up on: where the step's
    /// activity ended, which a drain after the schedule can put well past its end.
    public private(set) var lastFinishedAt: UInt64 = 0

    public init() {}

    /// Records one finished request meant to be sent at `intended`. Latency and service time are of
    /// responses only: a transport failure (refused, reset, timed out) is an error, and its duration
    /// says nothing about the target's speed.
    public mutating func record(_ outcome: StepOutcome, intended: UInt64) {
        requests += 1
        lastFinishedAt = max(lastFinishedAt, outcome.finishedAt)
        if outcome.status != nil {
            latency.record(outcome.finishedAt &- min(intended, outcome.finishedAt))
            service.record(outcome.finishedAt &- min(outcome.sentAt, outcome.finishedAt))
        } else {
            record(outcome.finishedAt &- min(outcome.sentAt, outcome.finishedAt), in: .unanswered)
        }
        outcome.phases.forEach { phase, value in record(value, in: phase) }
        // In one access to the counters: each `add` checked that their storage is not shared.
        counters.withUnsafeMutableBufferPointer { counters in
            func add(_ amount: UInt64, to counter: Counter) { counters[counter.rawValue] += amount }
            add(outcome.bytesIn, to: .bytesIn)
            add(outcome.bytesOut, to: .bytesOut)
            add(outcome.newConnections, to: .newConnections)
            if outcome.status != nil { add(outcome.newConnections == 0 ? 1 : 0, to: .reusedConnections) }
            add(outcome.checks, to: .checks)
            add(outcome.checkFailures, to: .checkFailures)
            add(outcome.rows, to: .rows)
            add(outcome.rollbacks, to: .rollbacks)
            add(outcome.reconnects, to: .reconnects)
            add(outcome.truncatedBodies, to: .truncatedBodies)
        }
        if let status = outcome.status {
            if status == recentStatus {
                recentStatusCount += 1
            } else {
                if let recentStatus { statuses[recentStatus, default: 0] += recentStatusCount }
                recentStatus = status
                recentStatusCount = 1
            }
        }
        if let failure = outcome.failure { recordFailure(failure) }
    }

    public mutating func record(_ micros: UInt64, in phase: Phase) {
        if phases[phase.rawValue] == nil { phases[phase.rawValue] = Histogram() }
        phases[phase.rawValue]!.record(micros)
    }

    public mutating func add(_ amount: UInt64, to counter: Counter) {
        counters[counter.rawValue] += amount
    }

    public func count(of counter: Counter) -> UInt64 {
        counters[counter.rawValue]
    }

    public func histogram(of phase: Phase) -> Histogram? {
        phases[phase.rawValue]
    }

    /// A request still in flight when the run stopped waiting for it: a failure (a stalled target
    /// must not read as a clean run), counted `unfinished`, and not in the latency histograms — its
    /// response time is unknown.
    public mutating func recordUnfinished(at now: UInt64) {
        requests += 1
        lastFinishedAt = max(lastFinishedAt, now)
        counters[Counter.unfinished.rawValue] += 1
        recordFailure(StepFailure(.unfinished, "no response by the time the run stopped waiting for it (the drain period "
                                  + "after the end, or a signal)"))
    }

    /// A step that failed before anything was sent (its request could not be rendered).
    public mutating func recordNotSent(_ failure: StepFailure) {
        requests += 1
        counters[Counter.notSent.rawValue] += 1
        recordFailure(failure)
    }

    /// Requests that got a response (an HTTP status or a SQLSTATE), whatever it said.
    public var responses: UInt64 {
        statuses.values.reduce(0, +) + recentStatusCount
    }

    /// Nothing recorded yet.
    public var isEmpty: Bool {
        requests == 0 && counters.allSatisfy { $0 == 0 } && phases.allSatisfy { $0 == nil }
    }

    /// `statuses` with the recent run folded in.
    private var statusCounts: [ResponseStatus: UInt64] {
        guard let recentStatus else { return statuses }
        var counts = statuses
        counts[recentStatus, default: 0] += recentStatusCount
        return counts
    }

    private mutating func recordFailure(_ failure: StepFailure) {
        failures += 1
        errors[failure.label, default: ErrorTally(label: failure.label.name, count: 0, example: failure.message)].count += 1
    }

    public mutating func merge(_ other: StepTally) {
        requests += other.requests
        failures += other.failures
        lastFinishedAt = max(lastFinishedAt, other.lastFinishedAt)
        latency.merge(other.latency)
        service.merge(other.service)
        for (index, histogram) in other.phases.enumerated() {
            guard let histogram else { continue }
            if phases[index] == nil { phases[index] = histogram } else { phases[index]!.merge(histogram) }
        }
        for index in counters.indices { counters[index] += other.counters[index] }
        statuses.merge(other.statusCounts, uniquingKeysWith: +)
        // The first example seen stays: merging keeps ours when we have one.
        errors.merge(other.errors) { mine, theirs in
            ErrorTally(label: mine.label, count: mine.count + theirs.count, example: mine.example)
        }
    }

    /// The artifact's form: non-zero counters, statuses by their text, errors most frequent first, with
    /// every one of `secrets` replaced by `***` in the error examples (a server may quote a value back,
    /// like PostgreSQL's "invalid input syntax for type integer: \"…\"").
    public func stepResult(name: String, hiding secrets: [String]) -> StepResult {
        var phaseHistograms: [String: Histogram] = [:]
        for phase in Phase.allCases {
            if let histogram = phases[phase.rawValue] { phaseHistograms[phase.name] = histogram }
        }
        var counterValues: [String: UInt64] = [:]
        for counter in Counter.allCases where counters[counter.rawValue] > 0 {
            counterValues[counter.name] = counters[counter.rawValue]
        }
        return StepResult(
            name: name, requests: requests, failures: failures, latency: latency, service: service,
            phases: phaseHistograms, counters: counterValues,
            statuses: Dictionary(uniqueKeysWithValues: statusCounts.map { ($0.key.key, $0.value) }),
            errors: errors.values.sorted { ($0.count, $1.label) > ($1.count, $0.label) }.map { tally in
                ErrorTally(label: tally.label, count: tally.count, example: Self.hiding(secrets, in: tally.example))
            })
    }

    static func hiding(_ secrets: [String], in text: String) -> String {
        // Longest first, so a secret that contains another is hidden whole.
        secrets.sorted { $0.count > $1.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}
