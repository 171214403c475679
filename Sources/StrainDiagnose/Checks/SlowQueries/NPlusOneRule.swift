import Foundation

/// Step 2: one statement runs once per row of a list (N+1): its parameters follow the list's rows,
/// so the fix is to fetch the rows in one statement.
enum NPlusOneRule {
    static func finding(_ facts: NPlusOneFacts) -> Finding {
        Finding(step: .slowQueries, check: .nPlusOne, title: "N+1 queries: one statement runs \(facts.times)",
                object: facts.object, evidence: facts.evidence, impact: facts.impact, severity: facts.severity,
                fix: "Fetch the rows in one statement: join the table into the list query, or load them all with "
                    + "`WHERE … = ANY($1)` passing the list's ids (in an ORM: eager loading, e.g. includes / "
                    + "select_related / JOIN FETCH).")
    }
}
