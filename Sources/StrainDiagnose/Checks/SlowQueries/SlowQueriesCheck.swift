import Foundation

/// Step 2: which statements took the database's time during the window, and why: a missing
/// index, a sort or hash spilling to disk, a bad row estimate, or one query per row (N+1).
/// Each rule has its own file; this one orders them: the repeated statements first, then each
/// top statement's plan, then a statement notable for its time alone when nothing else explains it.
enum SlowQueriesCheck {
    /// A statement without a known problem is reported when it takes this share of database time
    /// (or when its calls are slow, whatever its share).
    static let notableShare = 0.10

    static func run(_ input: CheckInput) -> CheckResult {
        guard let postgres = input.evidence.postgres else { return CheckResult(findings: [], summary: "no PostgreSQL connection") }
        guard let window = input.statements else {
            return CheckResult(findings: [], summary: "no pg_stat_statements snapshots")
        }
        let databaseSeconds = window.toplevelSeconds
        // Time sessions spent queued for locks grows with contention and with how busy the host is,
        // not with any statement's work (step 3 reports it): notability is judged without it, so a
        // hot row's queue on a loaded host does not push the other statements below the bar.
        let lockWaits = min(databaseSeconds, LockContentionRule.waits(in: postgres.lockSamples ?? []).reduce(0) { $0 + $1.seconds })
        var findings: [Finding] = []
        var explained: Set<Int64> = []

        for pattern in input.repeatedStatements {
            let facts = NPlusOneFacts(pattern, databaseSeconds: databaseSeconds, input)
            findings.append(pattern.isRepeatedLookup ? RepeatedLookupRule.finding(facts) : NPlusOneRule.finding(facts))
            explained.insert(pattern.repeated.queryID)
        }
        for statement in window.explainCandidates() {
            let context = StatementContext(statement: statement, databaseSeconds: databaseSeconds, lockWaitSeconds: lockWaits,
                                           postgres: postgres, input: input)
            let planFindings = context.planFindings()
            findings += planFindings
            if planFindings.isEmpty && !explained.contains(statement.queryID) && context.isNotable {
                findings.append(LockBoundStatementRule.finding(context) ?? TopStatementRule.finding(context))
            }
        }
        return CheckResult(findings: oneFindingPerIndex(findings, input), summary: summary(window, postgres: postgres, databaseSeconds: databaseSeconds))
    }

    /// Statements that the same CREATE INDEX serves are one problem, ranked by their time together:
    /// PostgreSQL before 18 counts `WHERE k IN ($1, $2)` and `IN ($1, $2, $3)` as two statements,
    /// and an ORM's lists of every length became as many findings with one fix, each ranked on its part.
    static func oneFindingPerIndex(_ findings: [Finding], _ input: CheckInput) -> [Finding] {
        var merged: [Finding] = []
        var byFix: [String: Int] = [:]
        for finding in findings {
            guard finding.check == .missingIndex else {
                merged.append(finding)
                continue
            }
            guard let index = byFix[finding.fix] else {
                byFix[finding.fix] = merged.count
                merged.append(finding)
                continue
            }
            var first = merged[index]
            let impact = first.impact
            first.impact = Finding.Impact(
                totalSeconds: impact.totalSeconds + finding.impact.totalSeconds,
                perRequestSeconds: impact.perRequestSeconds.flatMap { mine in finding.impact.perRequestSeconds.map { mine + $0 } },
                share: impact.share.flatMap { mine in finding.impact.share.map { min(1, mine + $0) } })
            first.severity = max(first.severity, finding.severity,
                                 first.impact.share.map { input.severity(forProblemTaking: $0) } ?? .warning)
            first.evidence.append("the same index serves another \(finding.evidence.first ?? "statement") "
                                  + "(\(Format.duration(finding.impact.totalSeconds)) of its own, in this finding's total)")
            merged[index] = first
        }
        return merged
    }

    private static func summary(_ window: StatementWindow, postgres: PostgresEvidence, databaseSeconds: Double) -> String {
        var parts = ["\(window.statements.count) statements ran in database \(postgres.database) "
                     + "(\(Format.duration(databaseSeconds)) of execution time)",
                     "\(postgres.plans.count) explained"]
        if postgres.hypopgAvailable { parts.append("index suggestions tried with HypoPG") }
        if postgres.diagnoserIsSuperuser == true {
            // SET ROLE is what keeps planning at the statement's privileges, and a superuser session
            // lets a function planned that way SET ROLE back: a least-privilege role closes that door.
            parts.append("warning: the diagnoser connected as superuser \(postgres.diagnoserRole ?? "?"); statements are "
                         + "explained as the roles that ran them, but a function can take the superuser role back while "
                         + "it is planned: diagnose as a least-privilege role (pg_monitor, see the README)")
        }
        if let evictions = window.evictions, evictions > 0 {
            parts.append("pg_stat_statements evicted \(Format.count(evictions)) entries during the window, so some statements "
                         + "may be missing or undercounted: raise pg_stat_statements.max")
        }
        if window.wasReset { parts.append("the statistics were reset during the window: totals cover only the time since") }
        let snapshots = postgres.statementSnapshots
        if snapshots.count > 2 {
            // Phase marks split the window: each phase runs from its mark to the next snapshot.
            let phases = zip(snapshots, snapshots.dropFirst()).map { start, end in
                "\(start.label == "start" ? "before the first phase" : start.label) "
                    + Format.duration(StatementWindow(from: start, to: end).toplevelSeconds)
            }
            parts.append("execution time by phase: \(phases.joined(separator: ", "))")
        }
        if let start = postgres.databaseAtStart, let end = postgres.databaseAtEnd {
            let reads = Double(end.blocksRead.rise(since: start.blocksRead))
            let hits = Double(end.blocksHit.rise(since: start.blocksHit))
            if reads + hits > 0 { parts.append("cache hit \(Format.percent(hits / (reads + hits)))") }
            let tempFiles = end.tempFiles.rise(since: start.tempFiles)
            if tempFiles > 0 {
                parts.append("\(Format.count(tempFiles)) temporary files "
                             + "(\(Format.bytes(Double(end.tempBytes.rise(since: start.tempBytes)))))")
            }
        }
        return parts.joined(separator: "; ")
    }
}
