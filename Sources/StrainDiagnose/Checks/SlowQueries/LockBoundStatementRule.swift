import Foundation

/// Step 2: a statement whose time is mostly waiting for locks: its plan is not the problem, and
/// caching would not help. The wait is ranked with the lock contention finding (step 3), so
/// this one keeps only the statement's own execution time.
enum LockBoundStatementRule {
    /// A statement spending this share of its time waiting for locks is lock-bound.
    static let lockBoundShare = 0.5

    static func finding(_ context: StatementContext) -> Finding? {
        let statement = context.statement
        let waited = min(statement.seconds, LockContentionRule.waitSeconds(ofStatement: statement.queryID, query: statement.query,
                                                                           in: context.postgres.lockSamples ?? []))
        guard waited >= lockBoundShare * statement.seconds, waited > 0 else { return nil }
        return Finding(step: .slowQueries, check: .lockBoundStatement,
                       title: "Statement mostly waiting for locks: \(Format.duration(waited)) of its \(Format.duration(statement.seconds))",
                       object: context.object,
                       evidence: context.statementEvidence + ["about \(Format.duration(waited)) of its time was spent waiting for locks "
                                                              + "(sampled every \(Format.duration(LockSampler.interval))): see the lock "
                                                              + "contention finding of step 3"],
                       impact: context.input.impact(seconds: statement.seconds - waited), severity: .info,
                       fix: "Its time is lock waits, not its plan: shorten the transactions holding the locks it waits for "
                           + "(step 3 names them); neither an index nor a cache would make it faster.")
    }
}
