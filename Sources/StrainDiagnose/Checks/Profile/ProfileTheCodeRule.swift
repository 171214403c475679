import Foundation

/// Step 5: request time the infrastructure does not explain and the profiler did not catch on the
/// CPU (or no process was profiled): what to profile, and how.
enum ProfileTheCodeRule {
    static func finding(endpoints concerned: [String], seconds: Double, evidence: [String], profiled: ProfilerEvidence?,
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
