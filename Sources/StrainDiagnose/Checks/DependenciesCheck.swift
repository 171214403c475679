import Foundation

/// Step 4: is the time spent waiting for something downstream? Splits each endpoint's request
/// time into network, database and the unexplained rest, and names a slow or failing declared
/// dependency that accounts for the rest, and responses stalled by small writes (`SmallWriteStallCheck`).
enum DependenciesCheck {
    /// A dependency answering slower than this (median) is slow on its own.
    static let slowProbe = 0.1
    static let verySlowProbe = 1.0
    /// With a load, a dependency explains an endpoint's rest when the rest is comparable to its
    /// median: from half to twice it. A smaller rest cannot hold a call; a much larger one is
    /// mostly something else, which step 5 must see.
    static let explainsRest = 0.5...2.0
    static let failureWarning = 0.1

    static func run(_ input: CheckInput) -> CheckResult {
        let breakdowns = RequestBreakdown.all(input)
        var findings: [Finding] = []
        var parts = breakdowns.map(\.description)
        for dependency in input.evidence.dependencies {
            let probes = ProbeSummary(dependency)
            parts.append(probes.description)
            if let failing = failureFinding(probes, input) { findings.append(failing) }
            if let slow = slowFinding(probes, breakdowns: breakdowns, input) { findings.append(slow) }
        }
        findings += SmallWriteStallCheck.findings(input)
        if parts.isEmpty { parts.append("no dependencies declared and no load measured") }
        return CheckResult(findings: findings, summary: parts.joined(separator: "; "))
    }

    private static func slowFinding(_ probes: ProbeSummary, breakdowns: [RequestBreakdown], _ input: CheckInput) -> Finding? {
        guard let median = probes.medianTotal, median >= slowProbe else { return nil }
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

    private static func failureFinding(_ probes: ProbeSummary, _ input: CheckInput) -> Finding? {
        guard probes.count > 0 else { return nil }
        let share = Double(probes.failures) / Double(probes.count)
        guard share >= failureWarning else { return nil }
        var evidence = probes.evidence
        if let error = probes.firstError { evidence.append("first failure: \(error)") }
        return Finding(step: .dependencies, check: .dependencyErrors,
                       title: "Dependency \(probes.name) fails \(Format.percent(share)) of calls",
                       object: probes.name, evidence: evidence, impact: input.impact(seconds: probes.failedSeconds),
                       severity: share >= 0.5 ? .critical : .warning,
                       fix: "Check \(probes.name)'s health and capacity; callers should time out quickly and retry with "
                           + "backoff rather than pile up on it.")
    }
}

/// A dependency's probes in numbers.
struct ProbeSummary {
    let name: String
    let url: String
    let count: Int
    let failures: Int
    let firstError: String?
    let medianTotal: Double?
    /// The 10th percentile of the probes' total time: the dependency's fast answers.
    let fastTenthTotal: Double?
    let medianConnect: Double?
    let medianTLS: Double?
    let medianFirstByte: Double?
    let slowest: Double?
    let totalSeconds: Double
    let failedSeconds: Double

    init(_ dependency: DependencyEvidence) {
        name = dependency.name
        url = dependency.url
        count = dependency.probes.count
        let failed = dependency.probes.filter { $0.error != nil || $0.status == 0 || $0.status >= 500 }
        failures = failed.count
        firstError = failed.first.map { $0.error ?? "HTTP \($0.status)" }
        let timings = dependency.probes.filter { $0.error == nil }.compactMap(\.timings)
        medianTotal = Self.median(timings.map(\.total))
        fastTenthTotal = Self.tenthPercentile(timings.map(\.total))
        medianConnect = Self.median(timings.map(\.connect))
        medianTLS = Self.median(timings.map(\.tls))
        medianFirstByte = Self.median(timings.map(\.firstByte))
        slowest = timings.map(\.total).max()
        totalSeconds = dependency.probes.compactMap(\.timings?.total).reduce(0, +)
        failedSeconds = failed.compactMap(\.timings?.total).reduce(0, +)
    }

    /// The nearest-rank 10th percentile.
    static func tenthPercentile(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[max(0, Int((Double(values.count) * 0.1).rounded(.up)) - 1)]
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    var evidence: [String] {
        var lines = ["\(count) probes of \(url), \(failures) failed"]
        if let medianTotal, let medianConnect, let medianFirstByte {
            var phases = "median: connect \(Format.duration(medianConnect))"
            if let medianTLS, medianTLS > 0 { phases += ", TLS done \(Format.duration(medianTLS))" }
            phases += ", first byte \(Format.duration(medianFirstByte)), total \(Format.duration(medianTotal))"
            lines.append(phases)
        }
        if let slowest { lines.append("slowest probe \(Format.duration(slowest))") }
        return lines
    }

    var description: String {
        "\(name): \(count) probes, median \(medianTotal.map(Format.duration) ?? "n/a"), \(failures) failed"
    }
}
