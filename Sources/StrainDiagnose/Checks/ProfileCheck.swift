import Foundation

/// Step 5: look inside the code for the endpoints that steps 1–4 leave mostly unexplained:
/// name the hot frames from the profiler, or say what to profile and why.
enum ProfileCheck {
    /// An endpoint needs profiling when this share of its time, at least…
    static let unexplainedShare = 0.5
    /// …and this much per request, is neither network, its database time nor a slow dependency
    /// (below it, HTTP handling and serialisation are the whole of a fast request's time)…
    static let noticeableUnexplained = 0.001
    /// …and it is a problem worth a warning from this much per request (and `materialShare` of the run).
    static let slowUnexplained = 0.02
    static let framesShown = 5

    static func run(_ input: CheckInput, earlier: [Finding]) -> CheckResult {
        guard input.load != nil else { return withoutLoad(input, earlier: earlier) }
        let breakdowns = RequestBreakdown.all(input)
        // Decided per endpoint: one slow endpoint among fast ones must not be averaged away.
        let noticeable = breakdowns.filter { $0.unexplained >= noticeableUnexplained && $0.unexplained >= unexplainedShare * $0.mean }
        let hostBound = noticeable.filter(\.hostBound)
        // The slow ones when there are any; else the few milliseconds a fast machine leaves, as information.
        let own = noticeable.filter { !$0.hostBound }
        let slow = own.filter { $0.unexplained >= slowUnexplained }
        let unexplained = slow.isEmpty ? own : slow
        let leftToStepOne = hostBound.isEmpty ? "" : "; left to step 1 (their time does not stand out from the service's other "
            + "requests on a host that kept its threads from a core): " + hostBound.map(\.endpoint).joined(separator: ", ")
        guard !unexplained.isEmpty else {
            return CheckResult(findings: [], summary: "skipped: every endpoint's time is mostly network, database or dependency "
                               + "time (or less than \(Format.duration(noticeableUnexplained)) per request is unexplained)" + leftToStepOne)
        }
        var summary = "\(unexplained.count) endpoint(s) mostly unexplained by steps 1–4: "
            + unexplained.map(\.endpoint).joined(separator: ", ") + leftToStepOne
        guard let service = input.evidence.service else {
            return CheckResult(findings: [codeFinding(unexplained, cpu: [], input)], summary: summary)
        }
        // With the service's CPU clock, the endpoints that compute are told from those that wait.
        let computing = unexplained.filter { $0.computing == true }
        let waiting = unexplained.filter { $0.computing != true }
        let cpu = ["pid \(service.pid) used \(Format.duration(service.cpuSeconds)) of CPU over the window, its threads "
                   + "waited \(Format.duration(service.runQueueSeconds)) for a core and were running or runnable for "
                   + "\(Format.duration(service.runnableSeconds)) (sampled); the endpoints whose time "
                   + "that fits: " + (computing.isEmpty ? "none" : computing.map(\.endpoint).joined(separator: ", "))]
        var findings: [Finding] = []
        if !computing.isEmpty { findings.append(codeFinding(computing, cpu: cpu, input)) }
        if !waiting.isEmpty {
            findings.append(waitingInside(service, waiting, cpu: cpu, window: input.evidence.windowSeconds, input))
            summary += "; off the CPU in pid \(service.pid): " + waiting.map(\.endpoint).joined(separator: ", ")
        }
        return CheckResult(findings: findings, summary: summary)
    }

    /// Hot code in `endpoints`: the profiler's frames when it took samples, else what to profile.
    private static func codeFinding(_ endpoints: [RequestBreakdown], cpu: [String], _ input: CheckInput) -> Finding {
        let seconds = endpoints.reduce(0) { $0 + $1.totalUnexplained }
        let names = endpoints.map(\.endpoint)
        let evidence = endpoints.map(\.description) + cpu
        let severity = severity(endpoints, input)
        if let profiler = input.evidence.profiler,
           let finding = hotFrames(profiler, endpoints: names, seconds: seconds, evidence: evidence, severity: severity, input) {
            return finding
        }
        return whatToProfile(endpoints: names, seconds: seconds, evidence: evidence, profiled: input.evidence.profiler,
                             severity: severity, input)
    }

    /// A warning when requests are slow for it and it weighs in the run: one slow request among
    /// thousands is information.
    private static func severity(_ endpoints: [RequestBreakdown], _ input: CheckInput) -> Finding.Severity {
        let seconds = endpoints.reduce(0) { $0 + $1.totalUnexplained }
        let weighs = (input.impact(seconds: seconds).share ?? 1) >= materialShare
        return weighs && endpoints.contains { $0.unexplained >= slowUnexplained } ? .warning : .info
    }

    /// The least share of the run's measured request time a warning must take.
    static let materialShare = 0.01

    /// Without a load nothing says how slow requests are: profile only when nothing else was found.
    private static func withoutLoad(_ input: CheckInput, earlier: [Finding]) -> CheckResult {
        let problems = earlier.filter { $0.severity > .info }
        guard problems.isEmpty else {
            return CheckResult(findings: [], summary: "skipped: steps 1–4 found \(problems.count) problem(s) to fix first")
        }
        guard let profiler = input.evidence.profiler else {
            return CheckResult(findings: [], summary: "no infrastructure cause found; no process was profiled (--pid)")
        }
        let finding = hotFrames(profiler, endpoints: nil, seconds: 0, evidence: [], severity: .info, input)
        return CheckResult(findings: finding.map { [$0] } ?? [], summary: "no infrastructure cause found; profiled pid \(profiler.pid)")
    }

    private static func hotFrames(_ profiler: ProfilerEvidence, endpoints: [String]?, seconds: Double, evidence: [String],
                                  severity: Finding.Severity, _ input: CheckInput) -> Finding? {
        guard let top = profiler.frames.first else { return nil }
        let frames = ["\(Format.count(profiler.samples)) CPU samples of pid \(profiler.pid) (perf)"]
            + profiler.frames.prefix(framesShown).map { frame in
                "\(Format.percent(frame.share)) \(frame.symbol) [\(frame.module)]"
            }
        return Finding(step: .profile, check: .hotFrames,
                       title: "Hot code: \(top.symbol) in \(Format.percent(top.share)) of samples",
                       object: (endpoints.map { "\($0.joined(separator: ", ")) in " } ?? "") + "pid \(profiler.pid): \(top.symbol)",
                       evidence: evidence + frames,
                       impact: input.impact(seconds: seconds, endpoints: endpoints), severity: severity,
                       fix: "Start with the hottest frames: make them do less (algorithm, allocations, serialisation), cache "
                           + "what does not change, or call them less; `perf report -g` on a longer recording shows the call "
                           + "paths that lead to them.")
    }

    /// The requests' unexplained time is off the CPU: they wait inside the service — for its own
    /// connection pool, a lock, a sleep or a call nobody declared — not in hot code.
    private static func waitingInside(_ service: ServiceProcessEvidence, _ waiting: [RequestBreakdown], cpu: [String],
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
            profiler.frames.prefix(framesShown).map { "on-CPU frame: \(Format.percent($0.share)) \($0.symbol) [\($0.module)]" }
        } ?? []
        let endpoints = waiting.map(\.endpoint).joined(separator: ", ")
        return Finding(
            step: .profile, check: .waitingInsideService,
            title: "Requests wait inside the service: \(Format.duration(seconds)) off the CPU",
            object: "\(endpoints) in pid \(service.pid)",
            evidence: waiting.map(\.description) + cpu + inFlight + frames,
            impact: input.impact(seconds: seconds, endpoints: waiting.map(\.endpoint)), severity: severity(waiting, input),
            fix: "Look for what the handlers of \(endpoints) wait on inside the service: its own connection or thread pool "
                + "(held during slow work, or too small for the concurrency), locks, sleeps and synchronous calls to "
                + "services not declared as dependencies. Off-CPU profiling (`perf sched`, `offcputime`) or thread dumps "
                + "under this load show where threads block.")
    }

    private static func whatToProfile(endpoints concerned: [String], seconds: Double, evidence: [String], profiled: ProfilerEvidence?,
                                      severity: Finding.Severity, _ input: CheckInput) -> Finding {
        let endpoints = concerned.joined(separator: ", ")
        let why = profiled.map { "pid \($0.pid) was profiled but perf took no samples of it: its time is off the CPU "
                                 + "(waiting on locks, sleeps or undeclared calls)" }
            ?? "no process was profiled (pass --diagnose-pid / --pid with the service's PID)"
        return Finding(
            step: .profile, check: .profileTheCode,
            title: "Request time unexplained by the infrastructure: profile the service",
            object: endpoints,
            evidence: evidence + [why],
            impact: input.impact(seconds: seconds, endpoints: concerned), severity: severity,
            fix: "Profile the service under this load while it serves \(endpoints): `strain diagnose --pid PID` samples it "
                + "with perf, or use the runtime's profiler (pprof, async-profiler, py-spy). Look at off-CPU time too: "
                + "locks, sleeps and synchronous calls that are not declared as dependencies.")
    }
}
