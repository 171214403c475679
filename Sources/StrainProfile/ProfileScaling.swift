/// The profile at other open-model rates, for `strain capacity`: every scenario keeps its share of
/// the load while the total moves, so the mix the profile describes is what gets measured.
extension Profile {
    /// Each scenario's share of the profile's open-model load, by its peak rate, summing to 1. Nil
    /// when a scenario is closed-model (it has connections, not a rate to scale) or no rate is above zero.
    public var openRateShares: [Double]? {
        var peaks: [Double] = []
        for scenario in scenarios {
            guard case .open(let open) = scenario.load else { return nil }
            peaks.append(open.stages.map(\.target.perSecond).reduce(open.start.perSecond, max))
        }
        let total = peaks.reduce(0, +)
        return total > 0 ? peaks.map { $0 / total } : nil
    }

    /// The sum of the scenarios' peak open-model rates: where a capacity search starts.
    public var peakOpenRate: Rate {
        Rate(perSecond: scenarios.reduce(0) { sum, scenario in
            guard case .open(let open) = scenario.load else { return sum }
            return sum + open.stages.map(\.target.perSecond).reduce(open.start.perSecond, max)
        })
    }

    /// The same profile with a total of `total` arrivals per second split by `openRateShares`, held
    /// constant for `duration`; arrivals (constant or Poisson), connections and steps are kept.
    /// Only for profiles whose `openRateShares` is not nil.
    public func atConstantRate(_ total: Rate, for duration: TimeSpan) -> Profile {
        let shares = openRateShares ?? []
        let scaled = zip(scenarios, shares).map { scenario, share in
            guard case .open(let open) = scenario.load else { return scenario }
            let rate = Rate(perSecond: total.perSecond * share)
            let load = OpenLoad(start: rate, stages: [Stage(target: rate, duration: duration)],
                                arrival: open.arrival, maxConnections: open.maxConnections)
            return Scenario(name: scenario.name, weight: scenario.weight, sharesProfileLoad: scenario.sharesProfileLoad,
                            postgres: scenario.postgres, load: .open(load), thinkTime: scenario.thinkTime, steps: scenario.steps)
        }
        return Profile(name: name, description: description, target: target, defaults: defaults, feeders: feeders,
                       sharedLoad: nil, scenarios: scaled, thresholds: thresholds, diagnose: diagnose, source: source)
    }
}

extension Threshold {
    /// Reads a threshold written on one line, `[scope.]metric: expression` (e.g. `errors: rate < 1%`),
    /// with the same rules as the profile's `thresholds` section.
    public init(line: String, scenarios: [Scenario]) throws(ValueError) {
        // The key ends at the last colon before the comparison: scope names may hold colons, expressions do not.
        let beforeOperator = line.prefix { !"<>=!".contains($0) }
        guard let colon = beforeOperator.lastIndex(of: ":") else {
            throw ValueError("expected METRIC: EXPRESSION, e.g. \"errors: rate < 1%\" or \"latency: p(99) < 300ms\", found \"\(line)\"")
        }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        let expression = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let (scope, metric) = try Self.target(ofKey: key, scenarios: scenarios)
        try self.init(scope: scope, metric: metric, expression: expression, abortOnFail: false)
    }
}
