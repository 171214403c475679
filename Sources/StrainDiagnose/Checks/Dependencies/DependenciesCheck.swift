import Foundation

/// Step 4: is the time spent waiting for something downstream? Splits each endpoint's request
/// time into network, database and the unexplained rest, and names a slow or failing declared
/// dependency that accounts for the rest, and responses stalled by small writes. Each rule has its
/// own file; this one orders them and holds the thresholds the request breakdown shares.
enum DependenciesCheck {
    /// A dependency answering slower than this (median) is slow on its own.
    static let slowProbe = 0.1
    /// With a load, a dependency explains an endpoint's rest when the rest is comparable to its
    /// median: from half to twice it. A smaller rest cannot hold a call; a much larger one is
    /// mostly something else, which step 5 must see.
    static let explainsRest = 0.5...2.0

    static func run(_ input: CheckInput) -> CheckResult {
        let breakdowns = input.requestBreakdowns
        var findings: [Finding] = []
        var parts = breakdowns.map(\.description)
        for dependency in input.evidence.dependencies {
            let probes = ProbeSummary(dependency)
            parts.append(probes.description)
            if let failing = DependencyErrorsRule.finding(probes, input) { findings.append(failing) }
            if let slow = SlowDependencyRule.finding(probes, breakdowns: breakdowns, input) { findings.append(slow) }
        }
        findings += SmallWriteStallRule.findings(input)
        if parts.isEmpty { parts.append("no dependencies declared and no load measured") }
        return CheckResult(findings: findings, summary: parts.joined(separator: "; "))
    }
}
