import StrainContract

/// What a profile will do, worked out before anything runs: per scenario the load over time, how long it
/// lasts, and how many iterations and requests to expect. Built from a `Profile` alone (no I/O).
public struct Plan: Sendable, Equatable {
    public let profileName: String
    public let scenarios: [ScenarioPlan]

    public init(_ profile: Profile) {
        profileName = profile.name
        let sharedWeight = profile.scenarios.filter(\.sharesProfileLoad).reduce(0) { $0 + $1.weight }
        scenarios = profile.scenarios.map { ScenarioPlan($0, sharedWeight: sharedWeight) }
    }

    /// Scenarios run side by side, so the run lasts as long as the longest; nil when a scenario bounded by
    /// iterations makes it depend on latency.
    public var duration: TimeSpan? {
        let durations = scenarios.compactMap(\.duration)
        return durations.count == scenarios.count ? durations.max() : nil
    }

    /// The longest duration that is known in advance (a lower bound when `duration` is nil).
    public var longestKnownDuration: TimeSpan {
        scenarios.compactMap(\.duration).max() ?? .zero
    }

    /// A readable summary for `strain validate`: one block per scenario, then the total. Plain text, no colours.
    public func describe() -> String {
        var lines = ["Plan for \"\(profileName)\": \(Self.counted(scenarios.count, "scenario"))"]
        for scenario in scenarios {
            lines.append("")
            lines += scenario.describe()
        }
        lines.append("")
        lines.append("Total: " + totalSummary())
        return lines.joined(separator: "\n") + "\n"
    }

    private func totalSummary() -> String {
        var parts: [String] = []
        if let duration {
            parts.append(duration.description)
        } else if longestKnownDuration > .zero {
            parts.append("at least \(longestKnownDuration) (scenarios bounded by iterations run until they are done)")
        } else {
            parts.append("duration depends on latency")
        }
        for kind in [ScenarioKind.http, .postgres] {
            let ofKind = scenarios.filter { $0.kind == kind }
            guard !ofKind.isEmpty else { continue }
            let expected = ofKind.compactMap(\.expectedRequests)
            let noun = "\(kind.displayName) \(kind.requestNoun(count: 2))"
            if expected.count == ofKind.count {
                parts.append("\(Self.approximately(expected.reduce(0, +), exact: ofKind.allSatisfy { $0.model == .closed })) \(noun)")
            } else if expected.isEmpty {
                parts.append("\(noun) depend on latency")
            } else {
                parts.append("\(Self.approximately(expected.reduce(0, +), exact: false)) \(noun) plus those that depend on latency")
            }
        }
        return parts.joined(separator: "; ")
    }

    static func counted(_ count: Int, _ noun: String) -> String {
        "\(QuantityText.grouped(count)) \(noun)\(count == 1 ? "" : "s")"
    }

    static func approximately(_ value: Double, exact: Bool) -> String {
        (exact ? "" : "~") + QuantityText.grouped(Int(value.rounded()))
    }
}

public struct ScenarioPlan: Sendable, Equatable {
    public let name: String
    public let kind: ScenarioKind
    public let load: Load
    /// The arrival rate over time (open model only), back to back from 0s.
    public let segments: [RateSegment]
    /// Nil for a closed model bounded by iterations: how long they take depends on latency.
    public let duration: TimeSpan?
    /// The integral of the rate (open) or the bound (closed with iterations); nil for a closed model bounded
    /// by duration, where it depends on latency.
    public let expectedIterations: Double?
    public let stepsPerIteration: Int
    /// HTTP connections at most (open), connections (closed), or the PostgreSQL pool.
    public let connections: Int
    /// Iterations that may run at once. HTTP: `connections`. PostgreSQL: the closed model's
    /// connections (its clients, which share the pool and wait for a free pooled connection when
    /// there are more of them); the open model's pool, times the pipeline depth in pipeline mode
    /// (arrivals beyond it wait in the scheduler's backlog, their wait counted as missed).
    public let concurrency: Int
    public let thinkTime: TimeSpan
    /// Set when the scenario runs a share of the profile's shared load.
    public let share: LoadShare?

    public struct LoadShare: Sendable, Equatable {
        public let weight: Int
        public let totalWeight: Int
    }

    init(_ scenario: Scenario, sharedWeight: Int) {
        name = scenario.name
        kind = scenario.kind
        load = scenario.load
        stepsPerIteration = scenario.steps.count
        thinkTime = scenario.thinkTime
        share = scenario.sharesProfileLoad ? LoadShare(weight: scenario.weight, totalWeight: sharedWeight) : nil
        switch scenario.load {
        case .open(let open):
            var segments: [RateSegment] = []
            var from = open.start
            var start = TimeSpan.zero
            for stage in open.stages {
                segments.append(RateSegment(start: start, end: start + stage.duration, fromRate: from, toRate: stage.target))
                start = start + stage.duration
                from = stage.target
            }
            self.segments = segments
            duration = open.duration
            expectedIterations = segments.reduce(0) { $0 + $1.expectedArrivals }
            connections = scenario.postgres?.pool ?? open.maxConnections
            concurrency = connections * (scenario.postgres?.pipelineDepth ?? 1)
        case .closed(let closed):
            segments = []
            switch closed.bound {
            case .duration(let span):
                duration = span
                expectedIterations = nil
            case .iterations(let count):
                duration = nil
                expectedIterations = Double(count)
            }
            connections = scenario.postgres?.pool ?? closed.connections
            concurrency = closed.connections
        }
    }

    public var model: LoadModel {
        if case .open = load { .open } else { .closed }
    }

    /// Iterations × steps; nil when iterations depend on latency.
    public var expectedRequests: Double? {
        expectedIterations.map { $0 * Double(stepsPerIteration) }
    }

    /// The open model's arrival rate `time` after the start; zero outside the schedule and for the closed model.
    public func rate(at time: TimeSpan) -> Rate {
        segments.first { $0.start <= time && time < $0.end }?.rate(at: time) ?? .zero
    }

    func describe() -> [String] {
        var title = "\(name): \(kind.displayName), \(model.rawValue) model"
        var rows: [(label: String, text: String)] = []
        let perIteration = "\(stepsPerIteration) \(kind.requestNoun(count: stepsPerIteration))"
        switch load {
        case .open(let open):
            title += ", \(open.arrival.rawValue) arrivals"
            for segment in segments {
                let rates = segment.fromRate == segment.toRate ? "\(segment.toRate)" : "\(segment.fromRate) → \(segment.toRate)"
                rows.append(("\(segment.start) – \(segment.end)", rates))
            }
            if segments.count > 1 {
                let peak = segments.map { max($0.fromRate, $0.toRate) }.max() ?? .zero
                rows.append(("shape", "\(sparkline())  peak \(peak)"))
            }
            let iterations = expectedIterations ?? 0
            rows.append(("expected", "\(Plan.approximately(iterations, exact: false)) iterations × \(perIteration) = "
                + "\(Plan.approximately(iterations * Double(stepsPerIteration), exact: false)) \(kind.requestNoun(count: 2))"))
            rows.append(("connections", kind == .postgres ? "\(connections) (pool)" : "up to \(connections)"))
        case .closed(let closed):
            title += ", \(Plan.counted(closed.connections, "connection"))"
            switch closed.bound {
            case .duration(let span):
                rows.append(("runs", "for \(span)"))
                rows.append(("expected", "iterations depend on latency (\(perIteration) each)"))
            case .iterations(let count):
                rows.append(("runs", "\(Plan.counted(count, "iteration")) in total; how long depends on latency"))
                rows.append(("expected", "\(Plan.counted(count, "iteration")) × \(perIteration) = "
                    + "\(QuantityText.grouped(count * stepsPerIteration)) \(kind.requestNoun(count: count * stepsPerIteration))"))
            }
            rows.append(("connections", kind == .postgres ? "\(connections) (pool)" : "\(connections)"))
        }
        if let share {
            title += ", weight \(share.weight) of \(share.totalWeight) of the shared load"
        }
        if thinkTime > .zero {
            rows.append(("think time", "\(thinkTime) after each step"))
        }
        let width = rows.map(\.label.count).max() ?? 0
        return [title] + rows.map { row in
            "  " + row.label + String(repeating: " ", count: width - row.label.count + 2) + row.text
        }
    }

    /// The rate over the scenario's duration as block characters, scaled to its peak.
    func sparkline(width: Int = 32) -> String {
        let levels = Array("▁▂▃▄▅▆▇█")
        let peak = segments.map { max($0.fromRate.perSecond, $0.toRate.perSecond) }.max() ?? 0
        guard let duration, duration > .zero, peak > 0 else { return "" }
        return String((0..<width).map { column in
            let time = TimeSpan(seconds: duration.seconds * (Double(column) + 0.5) / Double(width))
            return levels[Int((rate(at: time).perSecond / peak * Double(levels.count - 1)).rounded())]
        })
    }
}

/// A stretch of the open model's schedule where the rate changes linearly from `fromRate` to `toRate`.
public struct RateSegment: Sendable, Equatable {
    public let start: TimeSpan
    public let end: TimeSpan
    public let fromRate: Rate
    public let toRate: Rate

    /// The area under the rate: how many iterations start during the segment.
    public var expectedArrivals: Double {
        (fromRate.perSecond + toRate.perSecond) / 2 * (end.seconds - start.seconds)
    }

    public func rate(at time: TimeSpan) -> Rate {
        let length = end.seconds - start.seconds
        let progress = length > 0 ? min(max((time.seconds - start.seconds) / length, 0), 1) : 1
        return Rate(perSecond: fromRate.perSecond + (toRate.perSecond - fromRate.perSecond) * progress)
    }
}

extension ScenarioKind {
    var displayName: String {
        switch self {
        case .http: "HTTP"
        case .postgres: "PostgreSQL"
        }
    }

    /// What one step sends: "request(s)" or "query/queries".
    func requestNoun(count: Int) -> String {
        switch self {
        case .http: count == 1 ? "request" : "requests"
        case .postgres: count == 1 ? "query" : "queries"
        }
    }
}
