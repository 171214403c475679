import Foundation

/// Walks the five-step checklist over collected evidence and ranks what it finds. Pure: the
/// same evidence always gives the same diagnosis, so a saved `evidence.json` can be diagnosed again.
public enum Diagnoser {
    /// `load` is what the driver measured during the window (nil in window mode).
    public static func diagnose(_ evidence: Evidence, load: LoadContext? = nil,
                                options: CheckOptions = CheckOptions()) -> Diagnosis {
        let input = CheckInput(evidence: evidence, load: load, options: options)
        let results: [(Finding.Step, CheckResult)] = [
            (.metrics, MetricsCheck.run(input)),
            (.slowQueries, SlowQueriesCheck.run(input)),
            (.connectionPools, ConnectionPoolsCheck.run(input)),
            (.dependencies, DependenciesCheck.run(input)),
        ]
        let earlier = results.flatMap(\.1.findings)
        let profile = ProfileCheck.run(input, earlier: earlier)
        let notes = (results + [(.profile, profile)]).map { step, result in
            let gaps = evidence.gaps.filter { $0.step == step }.map { "not collected: \($0.message)" }
            return Diagnosis.StepNote(step: step, summary: ([result.summary] + gaps).joined(separator: "; "))
        }
        return Diagnosis(startedAt: evidence.startedAt, endedAt: evidence.endedAt, requests: input.load?.requests,
                         rankingBasis: input.load.map { "by the time requests waited: \($0.source)" } ?? withoutRequestCounts,
                         findings: Ranking.ranked(earlier + profile.findings), notes: notes)
    }

    /// Said when no request was counted: what the ranking rests on instead, and how to do better.
    public static let withoutRequestCounts = "without request counts (no load was driven and no access log was given): "
        + "findings are ranked on database time and the dependency probes' own time, and what a cost inside the "
        + "application (a pool's queue, a leak) did to requests is not measured; pass the service's access log for "
        + "the window (--access-log) to rank by the time requests waited"
}

/// Orders findings by estimated impact — total time attributable over the window, not time per
/// call — most impactful first.
public enum Ranking {
    /// Impacts are compared at two significant digits, so that two findings of nearly equal
    /// weight do not swap places between runs on the same system because of noise; ties fall
    /// to severity, then checklist order, then the check's name and the object, which are stable.
    public static func ranked(_ findings: [Finding]) -> [Finding] {
        findings.sorted { left, right in
            let (a, b) = (roundedImpact(left.impact.totalSeconds), roundedImpact(right.impact.totalSeconds))
            if a != b { return a > b }
            if left.severity != right.severity { return left.severity > right.severity }
            if left.step != right.step { return left.step < right.step }
            if left.check != right.check { return left.check < right.check }
            if left.object != right.object { return left.object < right.object }
            return left.title < right.title
        }
    }

    /// `seconds` rounded to two significant digits (0.01234 → 0.012, 1530 → 1500).
    static func roundedImpact(_ seconds: Double) -> Double {
        guard seconds > 0, seconds.isFinite else { return 0 }
        let scale = pow(10, floor(log10(seconds)) - 1)
        return (seconds / scale).rounded() * scale
    }
}
