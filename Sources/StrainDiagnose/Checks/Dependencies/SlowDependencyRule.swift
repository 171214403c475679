import Foundation

/// Step 4: a declared dependency answers slowly (median probe), and under load it accounts for the
/// time the endpoints it slows could not otherwise explain.
enum SlowDependencyRule {
    /// A dependency this slow (median) is critical.
    static let verySlowProbe = 1.0

    static func finding(_ probes: ProbeSummary, breakdowns: [RequestBreakdown], _ input: CheckInput) -> Finding? {
        guard let median = probes.medianTotal, median >= DependenciesCheck.slowProbe else { return nil }
        var evidence = probes.evidence
        let seconds: Double
        var endpoints: [String]?
        if input.load != nil {
            let explained = breakdowns.filter { $0.dependency?.name == probes.name }
            guard !explained.isEmpty else { return nil }
            seconds = explained.reduce(0) { $0 + $1.dependencySeconds * Double($1.requests) }
            evidence += explained.map(\.description)
            endpoints = explained.map(\.endpoint)
        } else {
            // Window mode knows no requests: the time the probes themselves waited is the measure.
            seconds = probes.totalSeconds
            evidence.append("window mode: impact is the probes' own time; run under load to attribute it per request")
        }
        return Finding(step: .dependencies, check: .slowDependency,
                       title: "Slow dependency \(probes.name): \(Format.duration(median)) per call (median)",
                       object: probes.name, evidence: evidence, impact: input.impact(seconds: seconds, endpoints: endpoints),
                       severity: median >= verySlowProbe ? .critical : .warning,
                       fix: "Look at \(probes.name) itself (its own latency breakdown), call it less often or concurrently, "
                           + "cache its answers, and give calls to it a timeout shorter than your own latency budget.")
    }
}
