/// Changes `strain run PROFILE` makes to a profile from the command line, like k6's `--duration` and
/// `--vus`: the profile's shape (ramps, the mix of scenarios) is kept, only its size changes.
public struct ProfileOverrides: Sendable, Equatable {
    /// Every scenario lasts this long: ramps are stretched or squeezed in proportion, closed scenarios
    /// run for it (an `iterations` bound becomes this duration).
    public var duration: TimeSpan?
    /// The open-model peak rate of the whole profile: every rate (start and stage targets) is scaled by
    /// the same factor, so each scenario keeps its share and its ramp shape. Only for open-model profiles.
    public var rate: Rate?
    /// Connections of the whole profile: closed scenarios' `connections` and open scenarios'
    /// `maxConnections`, split in proportion to the profile's own counts, at least one each.
    public var connections: Int?
    /// `METRIC: EXPRESSION` lines, added to the profile's thresholds.
    public var thresholds: [String] = []

    public init(duration: TimeSpan? = nil, rate: Rate? = nil, connections: Int? = nil, thresholds: [String] = []) {
        self.duration = duration
        self.rate = rate
        self.connections = connections
        self.thresholds = thresholds
    }

    /// The overrides as command-line options, in the order they are applied: what run.json records.
    public var recorded: [String] {
        var options: [String] = []
        if let duration { options.append("--duration \(duration)") }
        if let rate { options.append("--rate \(rate)") }
        if let connections { options.append("--connections \(connections)") }
        return options + thresholds.map { "--threshold \($0)" }
    }

    /// The options `recorded` writes: a run file that records any other (`--out`, `--output`) is not
    /// one strain wrote, and must not steer a rerun.
    public static let recordedOptions = ["--duration", "--rate", "--connections", "--threshold"]

    /// The command-line words of `recorded` overrides, to run the same again (`strain verify`):
    /// "--duration 1m" is ["--duration", "1m"]; the option ends at the first space, its value is the rest.
    public static func words(ofRecorded recorded: [String]) throws(ValueError) -> [String] {
        var words: [String] = []
        for (index, override) in recorded.enumerated() {
            let option = String(override.prefix { $0 != " " })
            guard recordedOptions.contains(option) else {
                throw ValueError("overrides[\(index)]: \"\(override)\" is no override strain records "
                                 + "(\(recordedOptions.joined(separator: ", ")) and a value)")
            }
            words += [option, String(override.drop { $0 != " " }.dropFirst())]
        }
        return words
    }
}

extension Profile {
    /// The profile with `overrides` applied; errors name the option and the scenario it cannot apply to.
    public func applying(_ overrides: ProfileOverrides) throws(ValueError) -> Profile {
        var loads = scenarios.map(\.load)
        if let duration = overrides.duration {
            loads = loads.map { $0.lasting(duration) }
        }
        if let rate = overrides.rate {
            loads = try Self.scaled(loads, toPeakRate: rate, names: scenarios.map(\.name))
        }
        if let connections = overrides.connections {
            loads = try Self.split(connections, over: loads)
        }
        var added: [Threshold] = []
        for line in overrides.thresholds {
            do {
                added.append(try Threshold(line: line, scenarios: scenarios))
            } catch {
                throw ValueError("--threshold \"\(line)\": \(error.message)", suggestion: error.suggestion)
            }
        }
        let changed = zip(scenarios, loads).map { scenario, load in
            Scenario(name: scenario.name, weight: scenario.weight, sharesProfileLoad: scenario.sharesProfileLoad,
                     postgres: scenario.postgres, load: load, thinkTime: scenario.thinkTime, steps: scenario.steps)
        }
        let loadChanged = changed != scenarios
        return Profile(name: name, description: description, target: target, defaults: defaults, feeders: feeders,
                       sharedLoad: loadChanged ? nil : sharedLoad, scenarios: changed, thresholds: thresholds + added,
                       diagnose: diagnose, source: source)
    }

    private static func scaled(_ loads: [Load], toPeakRate rate: Rate, names: [String]) throws(ValueError) -> [Load] {
        var peak = 0.0
        for (load, name) in zip(loads, names) {
            guard case .open(let open) = load else {
                throw ValueError("--rate: scenario \"\(name)\" is closed-model (it has connections, not a rate); --rate applies to profiles whose scenarios are all open-model, use -c for connections")
            }
            peak += open.stages.map(\.target.perSecond).reduce(open.start.perSecond, max)
        }
        guard peak > 0 else { throw ValueError("--rate: the profile's rates are all 0/s, so there is nothing to scale") }
        let factor = rate.perSecond / peak
        return loads.map { load in
            guard case .open(let open) = load else { return load }
            return .open(OpenLoad(start: Rate(perSecond: open.start.perSecond * factor),
                                  stages: open.stages.map { Stage(target: Rate(perSecond: $0.target.perSecond * factor), duration: $0.duration) },
                                  arrival: open.arrival, maxConnections: open.maxConnections))
        }
    }

    private static func split(_ total: Int, over loads: [Load]) throws(ValueError) -> [Load] {
        guard total >= loads.count else {
            throw ValueError("--connections: \(total) is fewer than the profile's \(loads.count) scenarios; each needs at least one connection")
        }
        let current = loads.map { load in
            switch load {
            case .open(let open): open.maxConnections
            case .closed(let closed): closed.connections
            }
        }
        // One each first, the rest in proportion, so no scenario is left without a connection.
        let parts = ScenarioDecoder.divide(total - loads.count, by: current).map { $0 + 1 }
        return zip(loads, parts).map { load, part in
            switch load {
            case .open(let open):
                .open(OpenLoad(start: open.start, stages: open.stages, arrival: open.arrival, maxConnections: part))
            case .closed(let closed):
                .closed(ClosedLoad(connections: part, bound: closed.bound))
            }
        }
    }
}

extension Load {
    /// The same load lasting `duration`: stages stretched in proportion (the last one takes the
    /// rounding), a closed load bounded by `duration` instead of its own bound.
    func lasting(_ duration: TimeSpan) -> Load {
        switch self {
        case .open(let open):
            let factor = duration.seconds / open.duration.seconds
            var stages = open.stages.map { Stage(target: $0.target, duration: TimeSpan(seconds: $0.duration.seconds * factor)) }
            let others = stages.dropLast().reduce(0) { $0 + $1.duration.seconds }
            stages[stages.count - 1] = Stage(target: stages[stages.count - 1].target, duration: TimeSpan(seconds: duration.seconds - others))
            return .open(OpenLoad(start: open.start, stages: stages, arrival: open.arrival, maxConnections: open.maxConnections))
        case .closed(let closed):
            return .closed(ClosedLoad(connections: closed.connections, bound: .duration(duration)))
        }
    }
}
