import Foundation

/// Step 2: a sequential scan of a large table that keeps a few rows, which an index the advisor
/// can write would serve: the fix is its CREATE INDEX, verified with HypoPG where it is installed.
enum MissingIndexRule {
    static func finding(_ context: StatementContext, suggestion: IndexSuggestion, relation: RelationInfo, evidence: [String]) -> Finding {
        var evidence = evidence
        let trial = context.postgres.indexTrials.first {
            $0.queryID == context.statement.queryID && $0.definition == suggestion.hypotheticalDefinition
        }
        let verified = trial.map(isVerified) ?? false
        evidence.append(verification(trial, hypopgAvailable: context.postgres.hypopgAvailable))
        // The index was made but is invalid: rebuilding it is the fix (a new one may not even get the
        // name it holds). The scan's evidence lists it.
        if let invalid = relation.invalidIndexes?.first(where: { $0.columns.first.map(SQLIdentifier.unquoted) == suggestion.columns.first }) {
            let name = SQLIdentifier.qualified(relation.schema, invalid.name)
            return Finding(step: .slowQueries, check: .missingIndex,
                           title: "Invalid index \(name) on \(suggestion.object): the planner cannot use it",
                           object: suggestion.object, evidence: evidence, impact: context.impact, severity: context.problemSeverity,
                           fix: "REINDEX INDEX CONCURRENTLY \(name);")
        }
        return Finding(step: .slowQueries, check: .missingIndex,
                       title: "Missing index on \(suggestion.object)\(verified ? " (verified with HypoPG)" : "")",
                       object: suggestion.object, evidence: evidence, impact: context.impact, severity: context.problemSeverity,
                       fix: suggestion.createStatement)
    }

    /// HypoPG shows the planner would use the index and the plan's cost at least halves.
    static func isVerified(_ trial: IndexTrial) -> Bool {
        guard trial.used, let before = trial.costBefore, let after = trial.costAfter else { return false }
        return after <= before / 2
    }

    private static func verification(_ trial: IndexTrial?, hypopgAvailable: Bool) -> String {
        guard let trial else {
            return hypopgAvailable ? "not verified: the index was not tried"
                                   : "not verified: HypoPG is not installed in this database"
        }
        if let error = trial.error { return "not verified: HypoPG failed: \(error)" }
        guard trial.used, let before = trial.costBefore, let after = trial.costAfter else {
            return "not verified: with the hypothetical index the planner still does not use it"
        }
        let change = "estimated cost \(Format.significant(before)) → \(Format.significant(after))"
        return isVerified(trial) ? "verified with HypoPG: the planner uses the index, \(change)"
                                 : "HypoPG: the planner uses the index but the cost falls by less than half (\(change))"
    }
}
