import Foundation

/// Step 3: clients queued in PgBouncer for a server connection: its pool is too small for the load.
enum PgBouncerWaitRule {
    static func findings(_ bouncer: PgBouncerEvidence, _ input: CheckInput) -> [Finding] {
        guard let first = bouncer.samples.first, let last = bouncer.samples.last else { return [] }
        let names = Set(bouncer.samples.flatMap { $0.pools.map(\.name) }).sorted()
        return names.compactMap { name in
            let states = bouncer.samples.compactMap { $0.pools.first { $0.name == name } }
            let peakWaiting = states.map(\.clientsWaiting).max() ?? 0
            let longestWait = states.map(\.maxWaitSeconds).max() ?? 0
            guard peakWaiting > 0, let pool = states.last else { return nil }
            // SHOW STATS counts wait time per database; without it, the longest wait is the least it cost.
            let counted = (last.waitSecondsByDatabase[pool.database] ?? 0) - (first.waitSecondsByDatabase[pool.database] ?? 0)
            let waited = counted > 0 ? counted : longestWait
            return Finding(
                step: .connectionPools, check: .pgbouncerWait, title: "Clients wait in PgBouncer for a server connection",
                object: "PgBouncer pool \(name)",
                evidence: ["up to \(peakWaiting) clients waiting (cl_waiting); the longest waited \(Format.duration(longestWait))",
                           "\(pool.serversActive) server connections active, \(pool.serversIdle) idle; pool_mode \(pool.mode)",
                           "clients waited \(Format.duration(waited)) in total during the window"],
                impact: input.impact(seconds: waited), severity: longestWait >= 1 ? .critical : .warning,
                fix: "Raise the pool's default_pool_size (while PostgreSQL has max_connections to spare) or make transactions "
                    + "shorter; in session mode, transaction mode lets clients share server connections.")
        }
    }
}
