import Foundation

/// Step 4: a declared dependency fails a share of its probes (errors, 5xx).
enum DependencyErrorsRule {
    /// A dependency failing this share of its probes is reported (half of them makes it critical).
    static let failureWarning = 0.1

    static func finding(_ probes: ProbeSummary, _ input: CheckInput) -> Finding? {
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
