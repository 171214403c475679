import Foundation

/// Step 4: is the time spent waiting for something downstream? Splits each endpoint's request
/// time into network, database and the unexplained rest, and names a slow or failing declared
/// dependency that accounts for the rest.
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
        if parts.isEmpty { parts.append("no dependencies declared and no load measured") }
        return CheckResult(findings: findings, summary: parts.joined(separator: "; "))
    }

    private static func slowFinding(_ probes: ProbeSummary, breakdowns: [RequestBreakdown], _ input: CheckInput) -> Finding? {
        guard let median = probes.medianTotal, median >= slowProbe else { return nil }
        var evidence = probes.evidence
        let seconds: Double
        if input.load != nil {
            let explained = breakdowns.filter { $0.dependency?.name == probes.name }
            guard !explained.isEmpty else { return nil }
            seconds = explained.reduce(0) { $0 + $1.dependencySeconds * Double($1.requests) }
            evidence += explained.map(\.description)
        } else {
            // Window mode knows no requests: the time the probes themselves waited is the measure.
            seconds = probes.totalSeconds
            evidence.append("window mode: impact is the probes' own time; run under load to attribute it per request")
        }
        return Finding(step: .dependencies, check: "slow-dependency",
                       title: "Slow dependency \(probes.name): \(Format.duration(median)) per call (median)",
                       object: probes.name, evidence: evidence, impact: input.impact(seconds: seconds),
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
        return Finding(step: .dependencies, check: "dependency-errors",
                       title: "Dependency \(probes.name) fails \(Format.percent(share)) of calls",
                       object: probes.name, evidence: evidence, impact: input.impact(seconds: probes.failedSeconds),
                       severity: share >= 0.5 ? .critical : .warning,
                       fix: "Check \(probes.name)'s health and capacity; callers should time out quickly and retry with "
                           + "backoff rather than pile up on it.")
    }
}

/// One endpoint's mean request time split into network, its database time, the part a slow
/// dependency accounts for, and the unexplained rest.
struct RequestBreakdown {
    var endpoint: String
    var requests: UInt64
    var mean: Double
    var network: Double
    /// Execution time of the statements charged to this endpoint, per request.
    var database: Double
    /// The run's database time that could not be charged to one endpoint, per HTTP request of the
    /// run. Shown, but not subtracted: it is an average, and would hide an endpoint's own time.
    var sharedDatabase: Double
    /// The slow dependency that accounts for the rest, if one does.
    var dependency: (name: String, median: Double)?

    /// Time per request left after network and the endpoint's database time.
    var rest: Double { max(0, mean - network - database) }
    /// The part of `rest` the dependency accounts for: at most one call's time.
    var dependencySeconds: Double { dependency.map { min(rest, $0.median) } ?? 0 }
    /// What steps 2 and 4 leave unexplained per request.
    var unexplained: Double { rest - dependencySeconds }

    /// The database cannot tell which endpoint ran a statement, so a statement is charged to an
    /// endpoint only when its calls say so: the repeated statement of an N+1 to the endpoint that
    /// issues it, and a statement run about once per request of exactly one endpoint to that one.
    /// The rest is the run's average. A slow dependency accounts for an endpoint's rest when the
    /// rest is comparable to its median (`DependenciesCheck.explainsRest`).
    static func all(_ input: CheckInput) -> [RequestBreakdown] {
        guard let load = input.load else { return [] }
        let endpoints = load.httpEndpoints.filter { $0.requests > 0 }
        let httpRequests = endpoints.reduce(0) { $0 + $1.requests }
        let statements = input.statements?.statements.filter(\.toplevel) ?? []
        let nPlusOneIssuers = Dictionary(
            NPlusOneDetector.detect(in: statements, load: load).compactMap { pattern in
                pattern.endpoint.map { (pattern.repeated.queryID, $0.name) }
            }, uniquingKeysWith: { first, _ in first })
        var charged: [String: Double] = [:]
        var shared = 0.0
        for statement in statements {
            let onePerRequest = endpoints.filter { onceEach.contains(Double(statement.calls) / Double($0.requests)) }
            if let name = nPlusOneIssuers[statement.queryID] ?? (onePerRequest.count == 1 ? onePerRequest[0].name : nil) {
                charged[name, default: 0] += statement.seconds
            } else {
                shared += statement.seconds
            }
        }
        let slowDependencies = input.evidence.dependencies.compactMap { dependency -> (name: String, median: Double)? in
            let median = ProbeSummary(dependency).medianTotal ?? 0
            return median >= DependenciesCheck.slowProbe ? (dependency.name, median) : nil
        }
        return endpoints.map { endpoint in
            let requests = Double(endpoint.requests)
            let network = (endpoint.networkSeconds ?? 0) / requests
            var breakdown = RequestBreakdown(
                endpoint: endpoint.name, requests: endpoint.requests, mean: endpoint.meanSeconds, network: network,
                database: min((charged[endpoint.name] ?? 0) / requests, max(0, endpoint.meanSeconds - network)),
                sharedDatabase: httpRequests > 0 ? shared / Double(httpRequests) : 0)
            breakdown.dependency = slowDependencies.filter { DependenciesCheck.explainsRest.contains(breakdown.rest / $0.median) }
                .max { ($0.median, $1.name) < ($1.median, $0.name) }
            return breakdown
        }
    }

    /// Calls per request of a statement run once for each request (allowing for requests cut at the window's edges).
    private static let onceEach = 0.9...1.1

    var description: String {
        var text = "\(endpoint): \(Format.duration(mean)) per request = network \(Format.duration(network)) + database "
            + "\(Format.duration(database))"
        if let dependency { text += " + \(dependency.name) \(Format.duration(dependencySeconds))" }
        text += " + unexplained \(Format.duration(unexplained))"
        if sharedDatabase > 0 { text += " (database (run average), not attributed: \(Format.duration(sharedDatabase)))" }
        return text
    }
}

/// A dependency's probes in numbers.
private struct ProbeSummary {
    let name: String
    let url: String
    let count: Int
    let failures: Int
    let firstError: String?
    let medianTotal: Double?
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
        medianConnect = Self.median(timings.map(\.connect))
        medianTLS = Self.median(timings.map(\.tls))
        medianFirstByte = Self.median(timings.map(\.firstByte))
        slowest = timings.map(\.total).max()
        totalSeconds = dependency.probes.compactMap(\.timings?.total).reduce(0, +)
        failedSeconds = failed.compactMap(\.timings?.total).reduce(0, +)
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
