import Foundation

/// Step 5: the requests' unexplained time is off the CPU: they wait inside the service — for its own
/// connection pool, a lock, a sleep or a call nobody declared — not in hot code.
enum WaitingInsideServiceRule {
    static func finding(_ service: ServiceProcessEvidence, _ waiting: [RequestBreakdown], cpu: [String],
                        window: Double, _ input: CheckInput) -> Finding {
        let seconds = waiting.reduce(0) { $0 + $1.totalUnexplained }
        // Little's law: requests in flight = arrival rate × time in the system. A soft resource
        // that saturates shows as requests piling up inside while the CPU stays idle.
        let inFlight = waiting.map { breakdown in
            "\(breakdown.endpoint): \(Format.significant(Double(breakdown.requests) / window * breakdown.mean)) requests in "
                + "flight on average (Little's law: \(Format.significant(Double(breakdown.requests) / window))/s × "
                + "\(Format.duration(breakdown.mean)))"
        }
        let frames = input.evidence.profiler.map { profiler in
            profiler.frames.prefix(ProfileCheck.framesShown).map { "on-CPU frame: \(Format.percent($0.share)) \($0.symbol) [\($0.module)]" }
        } ?? []
        let endpoints = waiting.map(\.endpoint).joined(separator: ", ")
        return Finding(
            step: .profile, check: .waitingInsideService,
            title: "Requests wait inside the service: \(Format.duration(seconds)) off the CPU",
            object: "\(endpoints) in pid \(service.pid)",
            evidence: waiting.map(\.description) + cpu + inFlight + frames,
            impact: input.impact(seconds: seconds, endpoints: waiting.map(\.endpoint)), severity: ProfileCheck.severity(waiting, input),
            fix: "Look for what the handlers of \(endpoints) wait on inside the service: its own connection or thread pool "
                + "(held during slow work, or too small for the concurrency), locks, sleeps and synchronous calls to "
                + "services not declared as dependencies. Off-CPU profiling (`perf sched`, `offcputime`) or thread dumps "
                + "under this load show where threads block.")
    }
}
