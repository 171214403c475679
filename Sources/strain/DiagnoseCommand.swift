import Dispatch
import Foundation
import StrainDiagnose
import StrainLoad
import StrainContract
import StrainPQ
import StrainProfile
import StrainReport

enum DiagnoseCommand: Command {
    static let name = "diagnose"
    static let summary = "watch a live system for a window and report what slows it, ranked"
    static let stopsGracefully = true
    static let usage = """
        usage: strain diagnose [--postgres CONNINFO] [--pid PID] [--dependency NAME=URL]... [--window 60s]
                              [--access-log FILE] [options]
               strain diagnose --evidence FILE [--access-log FILE] [--out DIR]
        """
    static let help = """
    \(usage)

    Observes a running system without adding load of its own (incident investigation): host metrics
    every second (this machine's /proc, or --node-exporter), the database's pg_stat_statements,
    pg_stat_activity and table statistics, PgBouncer's pools, the declared dependencies' response
    times, and a perf profile of --pid. Then it walks the five-step checklist — metrics, slow queries, connection
    pools, dependencies, profile — and prints the findings ranked by total time attributable.

    With --access-log, the service's access log for the window gives per-endpoint request counts
    and latencies (paths grouped into endpoints, numeric and UUID segments as :id), and findings
    are ranked by the time requests waited, as under `strain run`. Accepted lines: nginx/Apache
    "combined" with the request time as the last field (nginx $request_time in seconds, Apache %D
    in microseconds), or JSON lines with time, method, path, status and duration (seconds) fields;
    README "Incident mode" lists the formats and field names. Lines that do not parse are skipped
    and counted. Without it, findings are ranked on database and probe time, and the diagnosis says so.

    The database session is read-only with statement and lock timeouts; passwords never appear in
    the output. diagnosis.json, diagnosis.md, diagnosis.html (self-contained, opens offline) and
    evidence.json are written to reports/diagnose-<yyyyMMdd-HHmmss>/ (or --out). Ctrl-C ends the
    window early and still reports. While observing, a progress line on standard error (when it is
    a terminal) shows the time elapsed and remaining and the samples taken.

    options:
      --postgres CONNINFO            libpq connection string or postgresql:// URI of the database to observe
      --pgbouncer CONNINFO           PgBouncer's admin console (dbname=pgbouncer) for SHOW POOLS / SHOW STATS
      --pid PID                      a local process to sample with perf
      --dependency NAME=URL          a downstream HTTP endpoint to probe every second (repeatable)
      --node-exporter URL            host metrics from a Prometheus node exporter instead of /proc
      --no-host-metrics              do not sample this machine's /proc
      --window D                     how long to observe, like 30s or 2m (default 60s)
      --idle-in-transaction-after D  report sessions idle in a transaction for longer (default 5s)
      --explain-analyze              EXPLAIN ANALYZE parameterless SELECTs (in a rolled-back transaction)
      --access-log FILE              the service's access log covering the window: request counts per endpoint
      --evidence FILE                diagnose a saved evidence.json again instead of observing
      --out DIR                      write the reports here
      --fail-on warning|critical     exit 7 when a finding has that severity or a higher one (for CI)
      --junit-findings               also write junit.xml: a test case per finding, failing for warning or critical

    exit status: 0 diagnosed (whatever was found, unless --fail-on), 2 bad usage or an access log
    that cannot be read (after the window: the diagnosis is still written, without it), 5 the database
    or the output folder could not be reached, 7 a finding at or above --fail-on, 130 interrupted (the
    shortened window is still reported).
    """

    static let flags: Set<String> = ["--no-host-metrics", "--explain-analyze", "--junit-findings"]
    static let options: Set<String> = [
        "--postgres", "--pgbouncer", "--pid", "--dependency", "--node-exporter", "--window", "--idle-in-transaction-after",
        "--evidence", "--out", "--fail-on", "--access-log",
    ]

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let arguments: Arguments
        let request: Request
        let folder: String?
        do {
            arguments = try Arguments(words, flags: flags, options: options)
            request = try Request(arguments)
            folder = try arguments.outputFolder(writer: "a diagnosis")
        } catch {
            output.error("strain diagnose: \(error)\n\(usage)")
            return .badInput
        }
        let directory = folder.map { URL(fileURLWithPath: $0) }
            ?? RunCommand.defaultOutputDirectory(for: "diagnose")
        let evidence: Evidence
        var status = ExitStatus.ok
        switch request.source {
        case .saved(let url):
            do {
                evidence = try DiagnosisJSON.readEvidence(from: url)
            } catch {
                output.error("strain diagnose: \(error)")
                return .badInput
            }
        case .observe(let settings, let window):
            if let conninfo = settings.postgres {
                output.error("strain diagnose: observing \(PGConnection.redacted(conninfo: conninfo)) for \(window)")
            } else {
                output.error("strain diagnose: observing for \(window)")
            }
            let session = DiagnosisSession(settings: settings)
            do {
                try session.start()
            } catch {
                output.error("strain diagnose: \(error)")
                return .infrastructure
            }
            let progress = isatty(STDERR_FILENO) == 1 ? { (elapsed: Double) in
                StandardStream.writeError(Data(DiagnoseProgress.line(elapsed: elapsed, window: window.seconds,
                                                                          samples: session.samplesTaken).utf8))
            } : nil
            let outcome = InterruptibleWait.sleep(seconds: window.seconds, every: 1, progress)
            // The progress line is rewritten in place: end it before anything else is printed.
            if progress != nil { output.error("") }
            if outcome == .interrupted {
                output.error("strain diagnose: interrupted; diagnosing the window so far")
                status = .interrupted
            }
            evidence = session.stop()
        }
        var load: LoadContext?
        var accessLogProblem: String?
        if let path = request.accessLog {
            do {
                // A stop signal ends a long read too (the signals are taken over: nothing else would).
                let (summary, complete) = try AccessLogReader.read(path, start: evidence.startedAt, end: evidence.endedAt,
                                                                   stop: { SignalWatcher.stopRequested != nil })
                if !complete {
                    output.error("strain diagnose: interrupted while reading the access log; diagnosing the lines read so far")
                    status = .interrupted
                }
                output.error("strain diagnose: \(summary.description)")
                load = summary.load
                if load == nil { accessLogProblem = "\(summary.description): no request in the window" }
            } catch {
                output.error("strain diagnose: --access-log \(error)")
                accessLogProblem = "the access log could not be read: \(error)"
                status = .badInput
            }
        }
        var diagnosis = Diagnoser.diagnose(evidence, load: load, options: request.checkOptions)
        if let accessLogProblem { diagnosis.rankingBasis = "\(Diagnoser.withoutRequestCounts) (\(accessLogProblem))" }
        do {
            try write(diagnosis, evidence: evidence, to: directory)
            if arguments.flag("--junit-findings") {
                try ReportWriter.write(JUnitReport.render(diagnosis), to: RunFile.junitReport.url(in: directory))
            }
        } catch let error as EncodingError {
            // Only figures no collector measures (an edited evidence.json: a round trip of 1e308 s)
            // make a finding's figure infinite, which JSON cannot hold.
            if case .invalidValue(let value, let context) = error {
                output.error("strain diagnose: the evidence holds values no collector measures: the diagnosis's "
                             + "\(JSONFormat.keyPath(context.codingPath)) would be \(value)")
            } else {
                output.error("strain diagnose: the evidence cannot be diagnosed: \(error)")
            }
            return .badInput
        } catch {
            output.error("strain diagnose: cannot write the reports: \(error)")
            return .infrastructure
        }
        let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        output.print(DiagnosisReport.terminal(diagnosis, color: color), styled: color)
        output.print("Reports: " + RunCommand.writtenFiles(in: directory).map(\.path).joined(separator: "\n         "))
        if status == .ok, let failOn = request.failOn, diagnosis.findings.contains(where: { $0.severity >= failOn }) {
            let count = diagnosis.findings.count { $0.severity >= failOn }
            output.error("strain diagnose: \(count) finding\(count == 1 ? "" : "s") at \(failOn.rawValue) or above (--fail-on \(failOn.rawValue))")
            return .findings
        }
        return status
    }

    /// Writes diagnosis.json, evidence.json (to diagnose again with --evidence), diagnosis.md and diagnosis.html.
    static func write(_ diagnosis: Diagnosis, evidence: Evidence, to directory: URL) throws {
        try OutputFolder.create(directory)
        try DiagnosisJSON.write(diagnosis, to: RunFile.diagnosis.url(in: directory))
        try DiagnosisJSON.write(evidence, to: RunFile.evidence.url(in: directory))
        try ReportWriter.write(DiagnosisReport.markdown(diagnosis), to: RunFile.diagnosisMarkdown.url(in: directory))
        try ReportWriter.write(HTMLReport.render(diagnosis), to: RunFile.diagnosisHTML.url(in: directory))
    }

    /// The command line, checked: what to observe and for how long, or which evidence to replay.
    private struct Request {
        enum Source {
            case observe(DiagnoseSettings, window: TimeSpan)
            case saved(URL)
        }

        var source: Source
        var checkOptions: CheckOptions
        /// Findings at or above this severity fail the command.
        var failOn: Finding.Severity?
        /// An access log to count the window's requests from; checked readable before observing.
        var accessLog: String?

        init(_ arguments: Arguments) throws(UsageError) {
            guard arguments.positionals.isEmpty else {
                throw UsageError(description: "unexpected argument '\(arguments.positionals[0])'")
            }
            if let text = arguments.value("--fail-on") {
                let choices = [Finding.Severity.warning, .critical]
                guard let severity = choices.first(where: { $0.rawValue == text }) else {
                    let hint = Suggestion.closest(to: text, among: choices.map(\.rawValue)).map { "; did you mean \($0)?" } ?? ""
                    throw UsageError(description: "--fail-on: expected warning or critical, found \"\(text)\"\(hint)")
                }
                failOn = severity
            }
            let idleBound = try Self.timeSpan(arguments, "--idle-in-transaction-after") ?? TimeSpan(seconds: 5)
            checkOptions = CheckOptions(idleInTransactionAfterSeconds: idleBound.seconds)
            if let path = arguments.value("--access-log") {
                do {
                    try InputFile.checkReadable(path)
                } catch {
                    throw UsageError(description: "--access-log \(error)")
                }
                accessLog = path
            }
            if let path = arguments.value("--evidence") {
                let observing = options.subtracting(["--evidence", "--out", "--idle-in-transaction-after", "--fail-on", "--access-log"])
                    .union(flags.subtracting(["--junit-findings"])).sorted().first { arguments.value($0) != nil || arguments.flag($0) }
                if let observing { throw UsageError(description: "\(observing) observes a live system; --evidence replays a saved one") }
                source = .saved(URL(fileURLWithPath: path))
                return
            }
            let window = try Self.timeSpan(arguments, "--window") ?? TimeSpan(seconds: 60)
            var settings = DiagnoseSettings(
                postgres: arguments.value("--postgres"),
                pgbouncer: arguments.value("--pgbouncer"),
                collectLocalHost: !arguments.flag("--no-host-metrics"),
                explainAnalyze: arguments.flag("--explain-analyze"),
                idleInTransactionAfterSeconds: idleBound.seconds)
            if let pid = arguments.value("--pid") {
                guard let number = Int32(pid), number > 0 else {
                    throw UsageError(description: "--pid: expected a process id (a positive whole number), found \"\(pid)\"")
                }
                settings.pid = number
            }
            if let url = arguments.value("--node-exporter") {
                settings.nodeExporter = try Self.httpURL(url, option: "--node-exporter")
                settings.collectLocalHost = false
            }
            for declaration in arguments.allValues("--dependency") {
                guard let equals = declaration.firstIndex(of: "="), equals != declaration.startIndex else {
                    throw UsageError(description: "--dependency: expected NAME=URL, found \"\(declaration)\"")
                }
                let name = String(declaration[..<equals])
                guard !settings.dependencies.contains(where: { $0.name == name }) else {
                    throw UsageError(description: "--dependency: the name \"\(name)\" is given twice")
                }
                let url = try Self.httpURL(String(declaration[declaration.index(after: equals)...]),
                                           option: "--dependency \(name)")
                settings.dependencies.append(DiagnoseSettings.DependencyTarget(name: name, url: url))
            }
            source = .observe(settings, window: window)
        }

        private static func timeSpan(_ arguments: Arguments, _ option: String) throws(UsageError) -> TimeSpan? {
            guard let text = arguments.value(option) else { return nil }
            do {
                let span = try TimeSpan(parsing: text)
                guard span.seconds > 0 else { throw UsageError(description: "\(option): must be longer than 0, found \"\(text)\"") }
                return span
            } catch let error as UsageError {
                throw error
            } catch {
                throw UsageError(description: "\(option): \(error)")
            }
        }

        private static func httpURL(_ text: String, option: String) throws(UsageError) -> URL {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  url.host != nil else {
                throw UsageError(description: "\(option): expected an http:// or https:// URL, found \"\(text)\"")
            }
            return url
        }
    }
}

/// Sleeps for the window unless a stop signal (SIGINT, SIGTERM, SIGHUP) arrives first, calling
/// `progress` with the seconds elapsed every `interval` seconds (and at the start).
enum InterruptibleWait {
    enum Outcome { case elapsed, interrupted }

    static func sleep(seconds: Double, every interval: Double = .infinity, _ progress: ((Double) -> Void)? = nil) -> Outcome {
        let interrupted = DispatchSemaphore(value: 0)
        let signals = SignalWatcher(onStop: { _ in interrupted.signal() })
        defer { signals.cancel() }
        let start = DispatchTime.now()
        let end = start + seconds
        while true {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            progress?(min(elapsed, seconds))
            guard elapsed < seconds else { return .elapsed }
            let wake = progress == nil ? end : min(end, .now() + interval)
            if interrupted.wait(timeout: wake) == .success { return .interrupted }
        }
    }
}

/// The progress line of `strain diagnose` on a terminal, rewritten in place.
enum DiagnoseProgress {
    static func line(elapsed: Double, window: Double, samples: Int) -> String {
        let remaining = max(0, window - elapsed)
        return "\r\u{1B}[Kstrain diagnose: \(TimeSpan(seconds: elapsed.rounded(.down))) of \(TimeSpan(seconds: window)) observed, "
            + "\(TimeSpan(seconds: remaining.rounded(.up))) left, \(samples) sample\(samples == 1 ? "" : "s") taken"
    }
}
