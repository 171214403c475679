import Foundation

/// Step 5: look inside the code for the endpoints that steps 1–4 leave mostly unexplained:
/// name the hot frames from the profiler, or say what to profile and why.
enum ProfileCheck {
    /// An endpoint needs profiling when this share of its time, at least…
    static let unexplainedShare = 0.5
    /// …and this much per request, is neither network, its database time nor a slow dependency.
    static let slowUnexplained = 0.02
    static let framesShown = 5

    static func run(_ input: CheckInput, earlier: [Finding]) -> CheckResult {
        guard input.load != nil else { return withoutLoad(input, earlier: earlier) }
        let breakdowns = RequestBreakdown.all(input)
        // Decided per endpoint: one slow endpoint among fast ones must not be averaged away.
        let unexplained = breakdowns.filter { $0.unexplained >= slowUnexplained && $0.unexplained >= unexplainedShare * $0.mean }
        guard !unexplained.isEmpty else {
            return CheckResult(findings: [], summary: "skipped: every endpoint's time is mostly network, database or dependency "
                               + "time (or less than \(Format.duration(slowUnexplained)) per request is unexplained)")
        }
        let seconds = unexplained.reduce(0) { $0 + $1.unexplained * Double($1.requests) }
        let endpoints = unexplained.map(\.endpoint).joined(separator: ", ")
        let evidence = unexplained.map(\.description)
        let summary = "\(unexplained.count) endpoint(s) mostly unexplained by steps 1–4: \(endpoints)"
        if let profiler = input.evidence.profiler,
           let finding = hotFrames(profiler, endpoints: endpoints, seconds: seconds, evidence: evidence, severity: .warning, input) {
            return CheckResult(findings: [finding], summary: summary + "; profiled pid \(profiler.pid)")
        }
        return CheckResult(findings: [whatToProfile(endpoints: endpoints, seconds: seconds, evidence: evidence,
                                                    profiled: input.evidence.profiler, input)],
                           summary: summary)
    }

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

    private static func hotFrames(_ profiler: ProfilerEvidence, endpoints: String?, seconds: Double, evidence: [String],
                                  severity: Finding.Severity, _ input: CheckInput) -> Finding? {
        guard let top = profiler.frames.first else { return nil }
        let frames = ["\(Format.count(profiler.samples)) CPU samples of pid \(profiler.pid) (perf)"]
            + profiler.frames.prefix(framesShown).map { frame in
                "\(Format.percent(frame.share)) \(frame.symbol) [\(frame.module)]"
            }
        return Finding(step: .profile, check: "hot-frames",
                       title: "Hot code: \(top.symbol) in \(Format.percent(top.share)) of samples",
                       object: (endpoints.map { "\($0) in " } ?? "") + "pid \(profiler.pid): \(top.symbol)",
                       evidence: evidence + frames,
                       impact: input.impact(seconds: seconds), severity: severity,
                       fix: "Start with the hottest frames: make them do less (algorithm, allocations, serialisation), cache "
                           + "what does not change, or call them less; `perf report -g` on a longer recording shows the call "
                           + "paths that lead to them.")
    }

    private static func whatToProfile(endpoints: String, seconds: Double, evidence: [String], profiled: ProfilerEvidence?,
                                      _ input: CheckInput) -> Finding {
        let why = profiled.map { "pid \($0.pid) was profiled but perf took no samples of it: its time is off the CPU "
                                 + "(waiting on locks, sleeps or undeclared calls)" }
            ?? "no process was profiled (pass --diagnose-pid / --pid with the service's PID)"
        return Finding(
            step: .profile, check: "profile-the-code",
            title: "Request time unexplained by the infrastructure: profile the service",
            object: endpoints,
            evidence: evidence + [why],
            impact: input.impact(seconds: seconds), severity: .warning,
            fix: "Profile the service under this load while it serves \(endpoints): `strain diagnose --pid PID` samples it "
                + "with perf, or use the runtime's profiler (pprof, async-profiler, py-spy). Look at off-CPU time too: "
                + "locks, sleeps and synchronous calls that are not declared as dependencies.")
    }
}
