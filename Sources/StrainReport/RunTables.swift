import StrainContract

/// The tables of a run report, built once per scenario and laid out by each renderer (aligned text,
/// Markdown or HTML), so the formats cannot drift apart.
struct ScenarioTables {
    let title: String
    /// Requests, achieved vs asked rate, errors.
    let overview: TextTable
    /// Corrected latency and service time percentiles.
    let latency: TextTable
    /// Mean and p99 per phase; empty when no phase was recorded.
    let phases: TextTable
    /// Bytes, connections, missed arrivals, statuses; empty when nothing was counted.
    let traffic: TextTable
    /// Errors by label with the first example.
    let errors: TextTable

    init(_ scenario: ScenarioResult, report: RunReport) {
        let figures = scenario.steps.map { StepFigures(scenario: scenario, step: $0, report: report) }
        title = "\(scenario.name) (\(scenario.kind.rawValue)): \(Format.count(scenario.iterations)) iterations"

        var overview = TextTable(["step", "requests", "rate", "asked", "errors"])
        for step in figures {
            overview.append([step.step.name, Format.count(step.step.requests), step.rate.map(Format.rate) ?? "–",
                             step.askedRate.map(Format.rate) ?? "–", step.errorsText])
        }
        self.overview = overview

        var latency = TextTable(["step", "measure"] + ReportPercentiles.titles)
        latency.columns[1].alignment = .left
        for step in figures {
            latency.append([step.step.name, "latency"] + StepFigures.percentiles(of: step.step.latency))
            latency.append(["", "service"] + StepFigures.percentiles(of: step.step.service))
        }
        self.latency = latency

        let phaseNames = StepFigures.phaseNames(in: scenario.steps)
        var phases = TextTable(["step", "measure"] + phaseNames)
        phases.columns[1].alignment = .left
        if !phaseNames.isEmpty {
            for step in figures {
                let histograms = phaseNames.map { step.step.phases[$0] ?? Histogram() }
                phases.append([step.step.name, "mean"] + histograms.map { $0.isEmpty ? "–" : Format.micros($0.mean) })
                phases.append(["", "p99"] + histograms.map { $0.isEmpty ? "–" : Format.micros($0.percentile(99)) })
            }
        }
        self.phases = phases

        var traffic = TextTable(["step", "bytes in", "bytes out", "connections", "missed", "dropped", "statuses"])
        traffic.columns[6].alignment = .left
        for step in figures {
            let cells = [step.counter(Counter.bytesIn.name).map(Format.bytes), step.counter(Counter.bytesOut.name).map(Format.bytes),
                         step.counter(Counter.newConnections.name).map(Format.count), step.counter(Counter.missed.name).map(Format.count),
                         step.counter(Counter.dropped.name).map(Format.count)]
            guard cells.contains(where: { $0 != nil }) || !step.step.statuses.isEmpty else { continue }
            traffic.append([step.step.name] + cells.map { $0 ?? "–" } + [step.statusesText])
        }
        self.traffic = traffic

        var errors = TextTable(columns: [.init(title: "step", alignment: .left), .init(title: "error", alignment: .left),
                                         .init(title: "count", alignment: .right), .init(title: "first example", alignment: .left)])
        for step in figures {
            for tally in step.step.errors.sorted(by: { $0.count > $1.count }) {
                errors.append([step.step.name, tally.label, Format.count(tally.count), tally.example])
            }
        }
        self.errors = errors
    }

    /// The non-empty tables with their headings, in reading order.
    var sections: [(heading: String?, table: TextTable)] {
        [(nil, overview)] + details.map { ($0.heading, $0.table) }
    }

    /// The non-empty tables after the overview, for reports that show every step in one overview.
    var details: [(heading: String, table: TextTable)] {
        [("latency (from the intended start) and service time", latency),
         ("phases", phases), ("traffic", traffic), ("errors", errors)].filter { !$0.table.isEmpty }
    }
}

/// Every step of the run in one table, HTTP and SQL alike: what it asked and achieved, its errors,
/// its latency and its statuses. The first thing a reader needs after the verdict.
struct RunOverview {
    let table: TextTable

    init(_ report: RunReport) {
        var table = TextTable(["step", "kind", "requests", "rate", "asked", "errors", "p50", "p99", "max", "statuses"])
        table.columns[1].alignment = .left
        table.columns[9].alignment = .left
        for scenario in report.artifact.scenarios {
            for step in scenario.steps.map({ StepFigures(scenario: scenario, step: $0, report: report) }) {
                let latency = step.step.latency
                let percentiles = [50.0, 99, 100].map { latency.isEmpty ? "–" : Format.micros(latency.percentile($0)) }
                table.append([TimelineDigest.key(scenario: scenario.name, step: step.step.name), scenario.kind.rawValue,
                              Format.count(step.step.requests), step.rate.map(Format.rate) ?? "–", step.askedRate.map(Format.rate) ?? "–",
                              step.errorsText] + percentiles + [step.statusesText.isEmpty ? "–" : step.statusesText])
            }
        }
        self.table = table
    }
}

/// The lines every format opens with: what ran, when, on what, and whether it can be trusted. Each
/// is one line: they quote run.json (a profile's path and name, the overrides, the host's name),
/// which is a file from elsewhere, and a line feed there must not start a line of the report.
struct RunHeadline {
    let report: RunReport

    var title: String {
        TerminalText.oneLine("strain run \"\(report.artifact.profile?.name ?? "unnamed")\"")
    }

    /// "completed in 30.0s, 2024-05-01 12:00:00Z → 2024-05-01 12:00:30Z".
    var when: String {
        let artifact = report.artifact
        let status = artifact.status == .running ? "incomplete" : artifact.status.rawValue
        return "\(status) after \(Format.duration(seconds: report.duration)), "
            + "\(Format.instant(artifact.startedAt)) → \(Format.instant(artifact.endedAt))"
    }

    var provenance: [String] {
        let artifact = report.artifact
        var lines: [String] = []
        if let profile = artifact.profile {
            // The file alone no longer says what ran when the command line changed it.
            let changed = artifact.overrides.map { $0.isEmpty ? "" : ", changed by " + $0.joined(separator: " ") } ?? ""
            lines.append("profile \(profile.path) (sha256 \(profile.sha256.prefix(12)))\(changed)")
        }
        let host = artifact.host
        var tool = "\(artifact.tool.name) \(artifact.tool.version) on \(host.hostname) (\(host.cores) cores, "
            + "\(Format.bytes(host.memoryBytes)), \(host.os) \(host.arch))"
        if let git = artifact.gitSHA { tool += ", git \(git.prefix(12))" }
        if let seed = artifact.seed { tool += ", seed \(seed)" }
        lines.append(tool)
        return lines.map(TerminalText.oneLine)
    }

    /// Nil when the run is valid; otherwise the warning and its reasons.
    var invalidity: [String]? {
        let validity = report.artifact.validity
        guard !validity.valid else { return nil }
        let reasons = validity.reasons.isEmpty ? ["(no reason recorded)"] : validity.reasons
        return ["RUN INVALID: the generator's self-check failed, so these numbers cannot be trusted."] + reasons.map(TerminalText.oneLine)
    }

    /// What the reader must know before any figure, besides invalidity: an early stop, a throughput
    /// that is the generator's.
    var warnings: [String] {
        ([statusWarning, report.artifact.validity.generatorBound.map { "The run was " + $0 + "." }].compactMap { $0 }
            + droppedWarnings).map(TerminalText.oneLine)
    }

    /// Open-model arrivals that were never sent are in no percentile, and they waited longest: said
    /// before any figure.
    private var droppedWarnings: [String] {
        report.artifact.scenarios.compactMap { scenario in
            let dropped = scenario.steps.reduce(UInt64(0)) { $0 + ($1.counters[Counter.dropped.name] ?? 0) }
            guard dropped > 0 else { return nil }
            return "\(Format.count(dropped)) arrivals of scenario \"\(scenario.name)\" were never sent: every connection it "
                + "may open was busy and its backlog of waiting arrivals full, or they were still waiting when the run "
                + "ended. Its latency percentiles leave them out, so they understate the wait."
        }
    }

    /// Nil for a run that did all its plan; otherwise why and when it stopped, and what that means for
    /// the numbers.
    private var statusWarning: String? {
        let artifact = report.artifact
        if let stop = artifact.earlyStop {
            return "The run stopped early, \(Format.duration(seconds: stop.at)) in: \(stop.reason). "
                + "The figures cover only what ran until then."
        }
        return switch artifact.status {
        case .completed: nil
        case .stoppedEarly: "The run stopped early: the figures cover only what ran."
        case .interrupted: "The run was interrupted: the figures cover only the time until it stopped."
        case .failed: "The run failed before it completed: the figures cover only the time until it stopped."
        case .running: "The run is incomplete (killed, or still running): the figures cover only the time until its last checkpoint."
        }
    }
}
