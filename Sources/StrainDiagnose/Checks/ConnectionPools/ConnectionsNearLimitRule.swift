import Foundation

/// Step 3: the peak of client connections nears `max_connections`, past which new ones fail.
enum ConnectionsNearLimitRule {
    static let connectionsWarning = 0.8
    static let connectionsCritical = 0.95

    static func findings(_ postgres: PostgresEvidence, peak: Int, _ input: CheckInput) -> [Finding] {
        let use = Double(peak) / Double(max(postgres.maxConnections, 1))
        guard use >= connectionsWarning else { return [] }
        let poolWait = input.load?.endpoints.reduce(0) { $0 + ($1.poolWaitSeconds ?? 0) } ?? 0
        return [Finding(
            step: .connectionPools, check: .connectionsNearLimit, title: "Connections close to max_connections",
            object: "max_connections (\(postgres.maxConnections))",
            evidence: ["peak of \(peak) client connections, \(Format.percent(use)) of max_connections = \(postgres.maxConnections)",
                       "new connections fail with \"too many clients\" once the limit is reached"],
            impact: input.impact(seconds: poolWait), severity: use >= connectionsCritical ? .critical : .warning,
            fix: "Put a pooler (PgBouncer in transaction mode) in front of the database or shrink the application pools "
                + "so that all of them together stay well under max_connections; more connections do not add throughput "
                + "beyond a few per core.")]
    }
}
