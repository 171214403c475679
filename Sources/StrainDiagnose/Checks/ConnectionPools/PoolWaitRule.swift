import Foundation

/// Step 3: the driver's own requests wait for a free connection in its pool (SQL scenarios).
enum PoolWaitRule {
    static func finding(_ endpoint: LoadContext.Endpoint, _ input: CheckInput) -> Finding? {
        let wait = endpoint.poolWaitSeconds ?? 0
        // The wait is kept apart from the service time: a request's time is both.
        let requestSeconds = endpoint.totalSeconds + wait
        guard requestSeconds > 0, wait / requestSeconds >= 0.05 else { return nil }
        // A pool too small for the load makes requests queue for it often; a few waits on a busy host,
        // with 95% of the requests served at once, are no reason to grow it.
        var waitedShare: Double?
        if let histogram = endpoint.poolWait, !histogram.isEmpty {
            guard histogram.percentile(95) > 0 else { return nil }
            waitedShare = waitedFraction(histogram)
        }
        let share = wait / requestSeconds
        return Finding(
            step: .connectionPools, check: .poolWait, title: "Requests wait for a free connection in the driver's pool",
            object: endpoint.name,
            evidence: ["waited \(Format.duration(wait)) in total for a connection, \(Format.percent(share)) of the endpoint's time "
                       + "(the wait and the service time)",
                       "\(Format.duration(wait / Double(max(endpoint.requests, 1)))) per request"]
                + (waitedShare.map { ["\(Format.percent($0)) of the requests waited"] } ?? []),
            impact: input.impact(seconds: wait, endpoints: [endpoint.name]), severity: share >= 0.25 ? .critical : .warning,
            fix: "The pool is smaller than the concurrency: grow it (while the database has connections to spare) or "
                + "make each use of a connection shorter.")
    }

    /// The share of the recorded waits that were not zero.
    private static func waitedFraction(_ histogram: Histogram) -> Double {
        var zero: UInt64 = 0
        // Values below 1 µs have a bucket of their own (a zero-width wait).
        histogram.forEachBucket { value, count in if value < 1 { zero += count } }
        return Double(histogram.count - min(zero, histogram.count)) / Double(histogram.count)
    }
}
