import Foundation

/// Step 3: the driver's own requests wait for a free connection in its pool (SQL scenarios).
enum PoolWaitRule {
    static func finding(_ endpoint: LoadContext.Endpoint, _ input: CheckInput) -> Finding? {
        let wait = endpoint.poolWaitSeconds ?? 0
        guard endpoint.totalSeconds > 0, wait / endpoint.totalSeconds >= 0.05 else { return nil }
        let share = wait / endpoint.totalSeconds
        return Finding(
            step: .connectionPools, check: .poolWait, title: "Requests wait for a free connection in the driver's pool",
            object: endpoint.name,
            evidence: ["waited \(Format.duration(wait)) in total for a connection, \(Format.percent(share)) of the endpoint's time",
                       "\(Format.duration(wait / Double(max(endpoint.requests, 1)))) per request"],
            impact: input.impact(seconds: wait, endpoints: [endpoint.name]), severity: share >= 0.25 ? .critical : .warning,
            fix: "The pool is smaller than the concurrency: grow it (while the database has connections to spare) or "
                + "make each use of a connection shorter.")
    }
}
