import Foundation

/// Step 1, CPU: tasks wait for a core — PSI cpu "some", else a run queue longer than the cores on a
/// busy CPU. Steal and the load generator's own share are named when they are part of it.
enum CPUSaturationRule {
    static func finding(_ window: HostWindow, _ input: CheckInput) -> Finding? {
        let stall = window.stallShare(\.cpuSome)
        let runQueue = window.averageRunnable
        let cores = Double(window.host.cores)
        let saturated = stall.map { $0 >= MetricsCheck.stallWarning } ?? ((runQueue ?? 0) > cores && (window.busyShare ?? 0) >= 0.9)
        guard saturated else { return nil }
        var evidence: [String] = []
        if let busy = window.busyShare { evidence.append("CPU busy \(Format.percent(busy)) of \(window.host.cores) cores") }
        if let runQueue { evidence.append("run queue \(Format.significant(runQueue)) on average (tasks running or ready) for \(window.host.cores) cores") }
        if let stall { evidence.append("some task waited for a CPU \(Format.percent(stall)) of the time (PSI cpu some)") }
        if let steal = window.cpuShare(\.steal), steal >= 0.05 {
            evidence.append("steal \(Format.percent(steal)): the hypervisor gave the CPUs to other guests")
        }
        if let generator = window.generatorShare {
            evidence.append("the load generator (this process) used \(Format.percent(generator)) of the host's CPU capacity")
        }
        // Without PSI, the run queue's excess over the cores is the share of runnable time spent waiting.
        let share = stall ?? max(0, ((runQueue ?? cores) - cores) / max(runQueue ?? cores, 1))
        var waited = MetricsCheck.stallImpact(share: share,
                                              stallSeconds: window.stallSeconds(\.cpuSome) ?? input.evidence.windowSeconds * share, input)
        evidence.append(waited.evidence)
        // With the service's own threads measured, requests waited for a core at most as long as they did,
        // plus the database's share of its execution time: the host-wide share overstates a service whose
        // requests mostly wait off the CPU (its own pool, a lock, a sleep).
        if let service = input.evidence.service, input.load != nil {
            let databaseSeconds = input.statements?.statements.filter(\.toplevel).reduce(0) { $0 + $1.seconds } ?? 0
            let bound = service.coreWaitSeconds + share * databaseSeconds
            if bound < waited.impact.totalSeconds {
                waited.impact = input.impact(seconds: bound)
                evidence.append("at most \(Format.duration(bound)) of it: pid \(service.pid)'s threads waited "
                                + "\(Format.duration(service.coreWaitSeconds)) for a core, and the database's "
                                + "\(Format.duration(databaseSeconds)) of execution \(Format.percent(share)) of the time")
            }
        }
        let critical = (stall ?? 0) >= MetricsCheck.stallCritical || (runQueue ?? 0) >= 2 * cores
        var fix = "Find what uses the CPU (`pidstat -u 1`, `top -H`) and either add cores or cut the work; "
            + "when the service itself is busy, profile it (step 5)."
        if (window.generatorShare ?? 0) >= 0.25 {
            fix += " The load generator shares this host: run it on another machine so it does not compete with the target."
        }
        return Finding(step: .metrics, check: .cpuSaturation, title: "CPU saturated: tasks wait for a core",
                       object: "CPU (\(window.host.cores) cores, \(window.host.source))", evidence: evidence,
                       impact: waited.impact, severity: critical ? .critical : .warning, fix: fix)
    }
}
