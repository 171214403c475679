import Foundation

/// Step 5: look inside the code for the endpoints that steps 1–4 leave mostly unexplained:
/// name the hot frames from the profiler, or say what to profile and why. Each rule has its own
/// file; this one picks the endpoints and which rule speaks for them, and the severity they share.
enum ProfileCheck {
    /// An endpoint needs profiling when this share of its time, at least…
    static let unexplainedShare = 0.5
    /// …and this much per request, is neither network, its database time nor a slow dependency
    /// (below it, HTTP handling and serialisation are the whole of a fast request's time)…
    static let noticeableUnexplained = 0.001
    /// …and it is a problem worth a warning from this much per request (and `materialShare` of the run).
    static let slowUnexplained = 0.02
    static let framesShown = 5

    /// Whether steps 1–4 leave enough of an endpoint's time unexplained to look inside the code.
    /// Decided per endpoint: one slow endpoint among fast ones must not be averaged away.
    static func isNoticeable(_ breakdown: RequestBreakdown) -> Bool {
        breakdown.unexplained >= noticeableUnexplained && breakdown.unexplained >= unexplainedShare * breakdown.mean
    }

    static func run(_ input: CheckInput, earlier: [Finding]) -> CheckResult {
        guard input.load != nil else { return withoutLoad(input, earlier: earlier) }
        let breakdowns = input.requestBreakdowns
        // Waits for connections a leak took are step 3's (counted there, `leakWait`), not code to profile.
        let leakWaits = breakdowns.filter { $0.leakWait > 0 }.map(\.endpoint)
        let noticeable = breakdowns.filter(isNoticeable)
        let hostBound = noticeable.filter(\.hostBound)
        // The slow ones when there are any; else the few milliseconds a fast machine leaves, as information.
        let own = noticeable.filter { !$0.hostBound }
        let slow = own.filter { $0.unexplained >= slowUnexplained }
        let unexplained = slow.isEmpty ? own : slow
        let leftToEarlierSteps = (hostBound.isEmpty ? "" : "; left to step 1 (their time does not stand out from the service's other "
            + "requests on a host that kept its threads from a core): " + hostBound.map(\.endpoint).joined(separator: ", "))
            + (leakWaits.isEmpty ? "" : "; left to step 3, their waits for connections a leak took: "
                + leakWaits.joined(separator: ", "))
        guard !unexplained.isEmpty else {
            let every = hostBound.isEmpty && leakWaits.isEmpty ? "every" : "every other"
            return CheckResult(findings: [], summary: "skipped: \(every) endpoint's time is mostly network, database or dependency "
                               + "time (or less than \(Format.duration(noticeableUnexplained)) per request is unexplained)" + leftToEarlierSteps)
        }
        var summary = "\(unexplained.count) endpoint(s) mostly unexplained by steps 1–4: "
            + unexplained.map(\.endpoint).joined(separator: ", ") + leftToEarlierSteps
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
            findings.append(WaitingInsideServiceRule.finding(service, waiting, cpu: cpu, window: input.evidence.windowSeconds, input))
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
           let finding = HotFramesRule.finding(profiler, endpoints: names, seconds: seconds, evidence: evidence,
                                               severity: severity, input) {
            return finding
        }
        return ProfileTheCodeRule.finding(endpoints: names, seconds: seconds, evidence: evidence, profiled: input.evidence.profiler,
                                          severity: severity, input)
    }

    /// A warning when requests are slow for it and it weighs in the run: one slow request among
    /// thousands is information.
    static func severity(_ endpoints: [RequestBreakdown], _ input: CheckInput) -> Finding.Severity {
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
        let finding = HotFramesRule.finding(profiler, endpoints: nil, seconds: 0, evidence: [], severity: .info, input)
        return CheckResult(findings: finding.map { [$0] } ?? [], summary: "no infrastructure cause found; profiled pid \(profiler.pid)")
    }
}
