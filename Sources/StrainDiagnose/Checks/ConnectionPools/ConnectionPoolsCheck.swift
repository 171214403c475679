import Foundation

/// Step 3: are requests waiting for a connection or a lock? Connections against
/// `max_connections`, sessions left idle in a transaction (leaks), lock contention, deadlocks,
/// clients queued in PgBouncer, and the driver's own wait for a pooled connection. Each rule has
/// its own file; this one orders them and sums up what the step saw.
enum ConnectionPoolsCheck {
    static func run(_ input: CheckInput) -> CheckResult {
        var findings: [Finding] = []
        var parts: [String] = []
        if let postgres = input.evidence.postgres, !postgres.activity.isEmpty {
            let peak = postgres.activity.map(\.clientConnections).max() ?? 0
            parts.append("\(postgres.activity.count) pg_stat_activity samples; peak \(peak) of \(postgres.maxConnections) connections")
            findings += ConnectionsNearLimitRule.findings(postgres, peak: peak, input)
            findings += IdleInTransactionRule.findings(postgres, input)
            findings += DeadlocksRule.findings(postgres, input)
        } else {
            parts.append("no pg_stat_activity samples")
        }
        if let samples = input.evidence.postgres?.lockSamples {
            parts.append("\(samples.count) lock samples with waits (every \(Format.duration(LockSampler.interval)))")
            findings += LockContentionRule.findings(samples, input)
        }
        if let bouncer = input.evidence.pgbouncer {
            parts.append("\(bouncer.samples.count) PgBouncer samples")
            findings += PgBouncerWaitRule.findings(bouncer, input)
        }
        if let load = input.load {
            let endpoints = load.endpoints.filter { ($0.poolWaitSeconds ?? 0) > 0 }
            findings += endpoints.compactMap { PoolWaitRule.finding($0, input) }
            let wait = endpoints.reduce(0) { $0 + ($1.poolWaitSeconds ?? 0) }
            parts.append("the driver waited \(Format.duration(wait)) for pooled connections")
        }
        return CheckResult(findings: findings, summary: parts.joined(separator: "; "))
    }
}
