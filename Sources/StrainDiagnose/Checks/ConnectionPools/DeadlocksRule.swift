import Foundation

/// Step 3: deadlocks counted by pg_stat_database during the window: transactions were aborted.
enum DeadlocksRule {
    static func findings(_ postgres: PostgresEvidence, _ input: CheckInput) -> [Finding] {
        guard let start = postgres.databaseAtStart, let end = postgres.databaseAtEnd, end.deadlocks.rise(since: start.deadlocks) > 0 else {
            return []
        }
        let count = end.deadlocks.rise(since: start.deadlocks)
        return [Finding(
            step: .connectionPools, check: .deadlocks, title: "Deadlocks: transactions were aborted",
            object: "database \(postgres.database)",
            evidence: ["\(Format.count(count)) deadlocks during the window (pg_stat_database)",
                       "each one costs at least deadlock_timeout (1 s by default) before PostgreSQL aborts a transaction"],
            impact: input.impact(seconds: Double(count)), severity: .warning,
            fix: "Take locks in the same order in every transaction (e.g. update rows sorted by key); the server log "
                + "has the statements of each deadlock.")]
    }
}
