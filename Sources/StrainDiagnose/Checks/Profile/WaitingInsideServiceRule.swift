import Foundation

/// Step 5: the requests' unexplained time is off the CPU: they wait inside the service — for its own
/// connection pool, a lock, a sleep or a call nobody declared — not in hot code.
/// On a host that kept the service's threads from a core longer than they ran (step 1's finding),
/// a wait without requests piling up (under one in flight on average) cannot be told from the
/// host's own stalls — an interpreter's lock handed to a thread that then waits for a core, a
/// thread woken late — so it is information, and says why: infrastructure is not ruled out.
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
        // The profiler samples the whole process: its frames are every endpoint's CPU, said so, since the
        // waiting requests themselves are off the CPU.
        let frames = input.evidence.profiler.map { profiler in
            profiler.frames.prefix(ProfileCheck.framesShown).map {
                "on-CPU frame of the whole process (all endpoints, not only these): \(Format.percent($0.share)) \($0.symbol) [\($0.module)]"
            }
        } ?? []
        let endpoints = waiting.map(\.endpoint).joined(separator: ", ")
        let queues = waiting.contains { Double($0.requests) / window * $0.mean >= 1 }
        let hostsStalls = service.runningShare < RequestBreakdown.saturatedShare && !queues
        let hostNote = hostsStalls ? ["the service's threads waited for a core longer than they ran (step 1) and no requests piled "
                                      + "up (under one in flight): a wait this size may be the host's; on a quieter host it would tell"] : []
        return Finding(
            step: .profile, check: .waitingInsideService,
            title: "Requests wait inside the service: \(Format.duration(seconds)) off the CPU",
            object: "\(endpoints) in pid \(service.pid)",
            evidence: waiting.map(\.description) + cpu + inFlight + hostNote + frames,
            impact: input.impact(seconds: seconds, endpoints: waiting.map(\.endpoint)),
            severity: hostsStalls ? .info : ProfileCheck.severity(waiting, input),
            fix: "Look for what the handlers of \(endpoints) wait on inside the service: its own connection or thread pool "
                + "(held during slow work, or too small for the concurrency), locks, sleeps and synchronous calls to "
                + "services not declared as dependencies. Off-CPU profiling (`perf sched`, `offcputime`) or thread dumps "
                + "under this load show where threads block.")
    }
}
