import Foundation

/// Step 2: a statement reported for its time alone — a large share of the database's time, or slow
/// per call whatever its share — when no other rule explains it. What its plan showed — or why
/// there is none — is said, never hidden; so is a spread of call times that says it is slow only
/// for some calls (`ParameterSkew`), which no one plan shows.
enum TopStatementRule {
    /// Calls this slow on average make it a warning.
    static let slowCall = 0.1

    static func finding(_ context: StatementContext) -> Finding {
        let statement = context.statement
        let plan = context.plan
        var evidence = context.statementEvidence
        let unexplained = plan?.json == nil
        if unexplained { evidence.append(unexplainedReason(plan)) }
        if let sampleEvidence = context.sampleEvidence { evidence.append(sampleEvidence) }
        let slow = statement.meanSeconds >= slowCall
        if let skew = ParameterSkew(statement) {
            evidence.append(skew.evidence)
            return Finding(step: .slowQueries, check: .topStatement,
                           title: "Statement slow for some calls: \(Format.duration(statement.meanSeconds)) per call on "
                               + "average, up to \(Format.duration(skew.slowestSeconds))",
                           object: context.object, evidence: evidence, impact: context.impact, severity: .warning, fix: skew.fix)
        }
        let fix = slow ? "Read its plan with EXPLAIN (ANALYZE, BUFFERS) on representative values and reduce the rows it touches."
            : unexplained ? "Its plan could not be read here: run EXPLAIN (ANALYZE, BUFFERS) on it with representative values."
            : plan?.sample != nil ? "The plan of a sample captured during the window shows no missing index or spill; if it "
                + "matters, check it with EXPLAIN (ANALYZE, BUFFERS) on other values, call it less often or cache its result."
            : "Nothing wrong was found in its plan; if it matters, call it less often or cache its result."
        return Finding(step: .slowQueries, check: .topStatement,
                       title: slow ? "Slow statement: \(Format.duration(statement.meanSeconds)) per call"
                                   : "Statement with the most database time",
                       object: context.object, evidence: evidence, impact: context.impact, severity: slow ? .warning : .info, fix: fix)
    }

    private static func unexplainedReason(_ plan: StatementPlan?) -> String {
        guard let error = plan?.error else { return "not explained: no plan was taken for it" }
        return error.hasPrefix("not explained") ? error : "could not be explained: EXPLAIN failed: \(error)"
    }
}
