import Foundation
import StrainDiagnose
import StrainLoad
import StrainContract
import StrainOutputs
import StrainProfile
import StrainReport

enum RunCommand: Command {
    static let name = "run"
    static let summary = "drive HTTP and PostgreSQL load from a profile (or HTTP from a URL), then report"
    static let stopsGracefully = true
    static let usage = """
        usage: strain run [options] PROFILE [-d D] [--rate R] [-c N] [--threshold 'METRIC: EXPR']...
               strain run [options] URL... | --url URL... | --targets FILE|- [-c N] [-d 10s | -n N] [--rate 1000/s]
        """
    static let help = """
    \(usage)

    Drives the load a profile describes and prints a summary: rate achieved versus asked, latency
    percentiles (corrected from the intended send time, and plain service time), the per-phase
    breakdown, errors and whether the run can be trusted. When the profile has a diagnose section,
    the diagnoser samples the host, the database and the dependencies through the run and its ranked
    findings follow the summary. The run folder (run.json, a per-second timeline.ndjson, a report in
    every file format, and with diagnosis diagnosis.json, diagnosis.md, diagnosis.html and
    evidence.json; README "The run folder") is written to reports/<name>-<yyyyMMdd-HHmmss>/ (or
    --out), and every file written is listed at the end. Progress goes to standard error.
    Ctrl-C (or SIGTERM, SIGHUP) stops gracefully and still writes everything; a second one quits at
    once. run.json is checkpointed every 5s (status "running"), so a killed run keeps what it measured
    up to its last checkpoint and 'strain report' renders it, marked incomplete.

    Without a profile, URLs describe the load like hey, wrk or vegeta: a closed model with -c connections
    for -d (default 10 connections for 10s), or --rate for an open model at a constant rate. Several
    URLs (arguments, repeated --url, --targets) share the load evenly, each as its own scenario
    ("target 1", "target 2" …) reported on its own.

    options:
      --out DIR              write the files here (not "-": use --json to print the summary)
      --json                 print the run's JSON summary (report.json) on standard output and nothing
                             else there; the file list and notes go to standard error
      --threshold 'M: EXPR'  add a threshold, written as in a profile's thresholds (e.g. 'errors: rate < 1%',
                             'checkout.latency: p(99) < 300ms'); repeatable, recorded in run.json
      --workers N            load-generating threads (default: one per core)
      --quiet                no progress lines
      --junit-findings       junit.xml also has a test case per diagnosis finding, failing for a
                             warning or critical one (its severity as the failure type), passing for
                             info; by default it judges only the self-check and the thresholds
      --diagnose-pid PID     profile this local process in the diagnosis (overrides diagnose.pid)
      --seed N               seed Poisson arrivals and random template values with N (each run draws
                             a fresh seed and records it in run.json; pass it here to reproduce one)
      --output prometheus=URL
                             also push every 1s interval, as it closes, to this Prometheus remote-write
                             endpoint (e.g. http://127.0.0.1:9090/api/v1/write): per step request and
                             error counters and latency quantiles, labelled run_id (the output folder's
                             name), profile, scenario, step. A failing endpoint never slows the load:
                             failed pushes are counted in run.json (outputs) and printed at the end

    scale-out (see strain merge and strain k8s):
      --shard I/N            run shard I (0…N−1) of N: its exact share of every scenario's arrivals,
                             connections, iterations and feeder rows; thresholds are left to the merge
      --shards N             with JOB_COMPLETION_INDEX set (a Kubernetes Indexed Job): run that shard of N
                             (STRAIN_SHARDS=N does the same)
      --start-at TIME        start the load at this RFC 3339 time (e.g. 2025-01-31T12:00:00Z), so that
                             shards start together; at most 24 h ahead

    with a profile (recorded in run.json as overrides; the profile's shape is kept):
      -d, --duration D       every scenario lasts D: ramps stretched or squeezed in proportion, closed
                             scenarios run for D (an iterations bound becomes D)
      --rate R               the profile's total peak rate becomes R: every rate is scaled by the same
                             factor (open-model profiles only)
      -c, --connections N    the profile's total connections (closed connections, open maxConnections)
                             become N, split in proportion to its own, at least one per scenario

    ad-hoc load (instead of PROFILE):
      URL, --url URL         a URL to request (repeatable); its host is the only one load may go to
      --targets FILE|-       vegeta's targets format from a file or standard input: "METHOD URL" lines,
                             each followed by optional "Name: value" header lines and an optional "@FILE"
                             body line (relative to the targets file), targets separated by blank lines
      -c, --connections N    connections (closed model), or the most in flight with --rate
      -d, --duration D       how long, like 30s or 2m (default 10s)
      -n, --iterations N     this many requests in total instead of a duration (closed model)
      --rate R               open model: a constant arrival rate like 1000/s
      --arrival poisson      random (Poisson) arrivals with --rate instead of evenly spaced ones
      --think D              pause between a connection's requests (closed model)
      -m, --method M         HTTP method of the URLs (default GET)
      -H, --header 'N: V'    a request header for every target (repeatable)
      --body TEXT            request body; --body-file FILE sends a file (for targets without "@FILE")
      --timeout D            per-request timeout (default 30s)
      --http V               1.1 (default), 2 (HTTP/2 over TLS) or h2c (HTTP/2 prior knowledge; libcurl
                             before 8.0, e.g. Debian 12's 7.88, fails requests that reuse an h2c
                             connection with curl error 16 — prefer 2 over TLS there)
      --cacert FILE          trust this CA instead of the system's
      --insecure             do not verify the server's certificate
      --redirects N          follow up to N redirects (default 0: report the 3xx)

    exit status: 0 ok, 1 a threshold failed, 2 bad profile or usage, 4 the run is invalid (self-check),
    5 the target was unreachable, 6 the run stopped before its plan was done (a unique feeder ran out
    of rows), 130 interrupted.
    """

    static let flags: Set<String> = ["--quiet", "--insecure", "--json", "--junit-findings"]
    static let options: Set<String> = [
        "--out", "--workers", "--url", "-c", "--connections", "-d", "--duration", "-n", "--iterations", "--rate",
        "--arrival", "--think", "-m", "--method", "-H", "--header", "--body", "--body-file", "--timeout", "--http",
        "--cacert", "--redirects", "--diagnose-pid", "--seed", "--shard", "--shards", "--start-at", "--targets",
        "--threshold", "--output",
    ]
    /// Options that describe ad-hoc load: a profile describes its own.
    static let adHocOptions = options.subtracting([
        "--out", "--workers", "--url", "--targets", "--diagnose-pid", "--seed", "--shard", "--shards", "--start-at",
        "--threshold", "-d", "--duration", "-c", "--connections", "--rate", "--output",
    ])

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let workers: Int
        do {
            let arguments = try Arguments(words, flags: flags, options: options)
            _ = try arguments.outputFolder(writer: "a run", hint: "use --json to print the JSON summary on standard output")
            let (profile, overrides) = try loadProfile(arguments)
            workers = try arguments.value("--workers").map(workerCount)
                ?? RunOptions.defaultWorkers
            let seed = try arguments.value("--seed").map { text throws(UsageError) -> UInt64 in
                guard let seed = UInt64(text) else {
                    throw UsageError(description: "--seed: expected a whole number from 0 to \(UInt64.max), found \"\(text)\"")
                }
                return seed
            }
            let shard = try Shard.select(shard: arguments.value("--shard"), shards: arguments.value("--shards"),
                                         environment: ProcessInfo.processInfo.environment)
            let startAt = try arguments.value("--start-at").map { text throws(ShardOptionError) in try Shard.startAt(text, now: Date()) }
            let destinations = try arguments.allValues("--output").map { text throws(OutputOptionError) in try OutputDestination(text) }
            return execute(profile, overrides: overrides, arguments: arguments, workers: workers, seed: seed, shard: shard,
                           startAt: startAt, destinations: destinations, output: output)
        } catch let error as UsageError {
            output.error("strain run: \(error)\n\(usage)")
        } catch let error as ProfileError {
            output.error(error.description)
        } catch let error as ShardOptionError {
            output.error("strain run: \(error)")
        } catch let error as OutputOptionError {
            output.error("strain run: \(error)")
        } catch {
            output.error("strain run: \(error)")
        }
        return .badInput
    }

    private static func execute(_ profile: Profile, overrides: [String], arguments: Arguments, workers: Int, seed: UInt64?,
                                shard: Shard?, startAt: Date?, destinations: [OutputDestination], output: Output) -> ExitStatus {
        let directory = arguments.value("--out").map { URL(fileURLWithPath: $0) } ?? defaultOutputDirectory(for: profile.folderName)
        /// A run that fails before it measured anything takes back the folder it made itself (rmdir(2)
        /// removes only an empty one), rather than leave an empty run behind.
        func releaseFolderIfUnused() {
            if arguments.value("--out") == nil { rmdir(directory.path) }
        }
        // A shard sees only its part of the load: thresholds judge the merge, not the shards.
        let abortThresholds = shard == nil ? profile.thresholds.filter(\.abortOnFail) : []
        let abortCheck: (@Sendable (RunArtifact) -> String?)? = abortThresholds.isEmpty ? nil : { @Sendable artifact in
            ThresholdEvaluator.evaluate(abortThresholds, on: artifact).first(where: \.shouldAbort)
                .map { "threshold \($0.threshold) failed (observed \($0.observedText))" }
        }
        var options = RunOptions(
            workers: workers, outputDirectory: directory, tool: ToolInfo(version: Strain.version), gitSHA: gitSHA(),
            progress: arguments.flag("--quiet") ? .none : isatty(STDERR_FILENO) == 1 ? .live : .periodic(seconds: 5),
            abortCheck: abortCheck, seed: seed, shard: shard, startAt: startAt,
            outputs: destinations.map { $0.start(runID: directory.lastPathComponent, profile: profile.name) })
        options.overrides = overrides
        // What refuses the run outright is said before it announces a results folder.
        do {
            _ = try RunInputs.environmentValues(of: profile, in: options.environment)
            if let problem = RunFile.problemWritingRun(into: directory) { throw LoadError(.badInput, problem) }
        } catch {
            releaseFolderIfUnused()
            output.error("strain run: \(error)")
            return .badInput
        }
        let sharding = shard.map { ", shard \($0)" } ?? ""
        let start = startAt.map { ", starting at \($0.formatted(.iso8601))" } ?? ""
        output.error("strain run: \(profile.name) — \(describe(Plan(profile)))\(sharding)\(start); results in \(directory.path)/")

        /// A stop asked for while the diagnosis started (it may wait for its servers): nothing was measured.
        func stoppedBeforeTheLoad() -> ExitStatus? {
            guard let signal = SignalWatcher.stopRequested else { return nil }
            releaseFolderIfUnused()
            output.error("strain run: stopped by \(signal) before the load began; nothing was measured")
            return .interrupted
        }
        let diagnosis: (session: DiagnosisSession, options: CheckOptions)?
        do {
            diagnosis = try startDiagnosis(profile, pid: arguments.value("--diagnose-pid"))
        } catch let error as UsageError {
            releaseFolderIfUnused()
            output.error("strain run: \(error)")
            return .badInput
        } catch {
            if let stopped = stoppedBeforeTheLoad() { return stopped }
            releaseFolderIfUnused()
            output.error("strain run: cannot start the diagnosis: \(error)")
            return .infrastructure
        }
        if let stopped = stoppedBeforeTheLoad() {
            _ = diagnosis?.session.stop()
            return stopped
        }
        if let session = diagnosis?.session {
            options.loadStarted = { session.alignStatementCalls(to: $0) }
            if arguments.value("--diagnose-pid") != nil || profile.diagnose?.pid != nil {
                let inFlight = RequestsInFlight(profile)
                options.requestsInFlight = inFlight
                session.observeRequestsInFlight(names: inFlight.stepNames, read: { inFlight.now() })
            }
        }
        let result: RunResult
        do {
            result = try LoadRun.run(profile, engines: [HTTPEngineFactory(), PostgresEngineFactory()], options: options)
        } catch {
            _ = diagnosis?.session.stop()
            releaseFolderIfUnused()
            output.error("strain run: \(error)")
            return error.kind == .badInput ? .badInput : .infrastructure
        }
        if let writeFailure = result.writeFailure {
            // Nothing more can be written; what was measured is shown rather than lost with the rest.
            _ = diagnosis?.session.stop()
            output.print(TerminalReport.render(RunReport(artifact: result.artifact, profile: profile)))
            output.error("strain run: \(writeFailure); the figures above were not saved, and \(directory.path) holds "
                         + "the run only up to its last checkpoint")
            return .infrastructure
        }
        let report: RunReport
        do {
            if let diagnosis {
                let evidence = diagnosis.session.stop()
                // The per-second timeline tells which endpoint issues a statement (see EndpointAttribution);
                // without it the diagnosis pairs by totals, so an unreadable timeline does not stop it.
                let timeline = (try? TimelineReader.read(from: result.timelineURL)) ?? []
                let findings = Diagnoser.diagnose(evidence, load: LoadContext(artifact: result.artifact, timeline: timeline),
                                                  options: diagnosis.options)
                try DiagnoseCommand.write(findings, evidence: evidence, to: directory)
            }
            report = try ReportWriter.writeAll(in: RunFolder(url: directory), profile: shard == nil ? profile : nil,
                                               junitFindings: arguments.flag("--junit-findings"))
        } catch {
            output.error("strain run: cannot write the reports: \(error)")
            return .infrastructure
        }
        let files = writtenFiles(in: directory).map(\.path)
        let fileList = "Results: " + files.joined(separator: "\n         ")
        let outputSummaries = (result.artifact.outputs ?? []).map(OutputDestination.describe)
        if arguments.flag("--json") {
            // report.json as written (the same JSON), so standard output and the file never disagree.
            guard let data = FileManager.default.contents(atPath: RunFile.jsonReport.url(in: directory).path),
                  let json = String(data: data, encoding: .utf8) else {
                output.error("strain run: cannot read back \(RunFile.jsonReport.url(in: directory).path)")
                return .infrastructure
            }
            do {
                try output.printJSON(json)
            } catch {
                output.error("strain run: cannot print the JSON summary (\(error.reason)); it is in \(RunFile.jsonReport.url(in: directory).path)")
                return .infrastructure
            }
            for note in result.notes { output.error("note: \(note)") }
            for summary in outputSummaries { output.error(summary) }
            output.error(fileList)
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            output.print(TerminalReport.render(report, color: color), styled: color)
            for note in result.notes { output.print("note: \(note)") }
            for summary in outputSummaries { output.print(summary) }
            output.print(fileList)
        }
        if let failure = result.failure { output.error("strain run: the run failed: \(failure)") }
        return Gate.exitStatus(of: report)
    }

    /// Starts sampling for the profile's `diagnose` section, if it has one, before the load begins,
    /// so the diagnosis sees the system before and during the load.
    private static func startDiagnosis(_ profile: Profile, pid: String?) throws -> (session: DiagnosisSession, options: CheckOptions)? {
        guard let options = profile.diagnose else {
            if pid != nil { throw UsageError(description: "--diagnose-pid needs a profile with a diagnose section") }
            return nil
        }
        var settings = try DiagnoseSettings(options, environment: ProcessInfo.processInfo.environment)
        if let pid {
            guard let number = Int32(pid), number > 0 else {
                throw UsageError(description: "--diagnose-pid: expected a process id (a positive whole number), found \"\(pid)\"")
            }
            settings.pid = number
        }
        let session = DiagnosisSession(settings: settings)
        try session.start()
        return (session, settings.checkOptions)
    }

    /// The profile to run and the command-line options that changed it (for run.json).
    private static func loadProfile(_ arguments: Arguments) throws -> (Profile, overrides: [String]) {
        let urls = arguments.positionals.filter(isURL) + arguments.allValues("--url")
        let paths = arguments.positionals.filter { !isURL($0) }
        let targetsFile = arguments.value("--targets")
        let adHoc = !urls.isEmpty || targetsFile != nil
        let thresholds = ProfileOverrides(thresholds: arguments.allValues("--threshold"))
        switch (paths.count, adHoc) {
        case (1, false):
            if let flag = adHocOptions.sorted().first(where: { arguments.value($0) != nil }) ?? (arguments.flag("--insecure") ? "--insecure" : nil) {
                throw UsageError(description: "\(flag) describes ad-hoc load and needs a URL; a profile sets it itself")
            }
            let overrides = try profileOverrides(arguments)
            return (try ProfileLoader.load(path: paths[0]).applying(overrides), overrides.recorded)
        case (0, true):
            let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            var targets = urls.map { AdHocTarget(url: $0) }
            if let targetsFile { targets += try TargetsFile.read(targetsFile, workingDirectory: workingDirectory) }
            let profile = try adHocLoad(arguments, targets: targets).profile(baseDirectory: workingDirectory)
            return (try profile.applying(thresholds), thresholds.recorded)
        case (0, false):
            throw UsageError(description: "no profile given (or a URL, --url or --targets for ad-hoc load)")
        case (_, true):
            throw UsageError(description: "give a profile or URLs (a URL argument, --url, --targets), not both")
        default:
            throw UsageError(description: "give one profile, found \(paths.count): \(paths.joined(separator: " "))")
        }
    }

    /// A URL argument (`strain run http://127.0.0.1:8080/`, like hey and oha) rather than a profile path.
    private static func isURL(_ argument: String) -> Bool {
        argument.contains("://")
    }

    private static func profileOverrides(_ arguments: Arguments) throws -> ProfileOverrides {
        func value(_ names: String...) -> String? { names.compactMap(arguments.value).last }
        var overrides = ProfileOverrides(thresholds: arguments.allValues("--threshold"))
        if let text = value("-d", "--duration") {
            let duration = try parsed(text, option: "--duration", TimeSpan.init(parsing:))
            guard duration.seconds > 0 else { throw UsageError(description: "--duration: must be longer than 0s, found \"\(text)\"") }
            overrides.duration = duration
        }
        if let text = value("--rate") {
            let rate = try parsed(text, option: "--rate", Rate.init(parsing:))
            guard rate.perSecond > 0 else { throw UsageError(description: "--rate: must be above 0/s, found \"\(text)\"") }
            overrides.rate = rate
        }
        if let text = value("-c", "--connections") {
            let connections = try wholeNumber(text, option: "--connections", atLeast: 1)
            guard connections <= Limits.connections else {
                throw UsageError(description: "--connections: at most \(Limits.connections), found \(connections)")
            }
            overrides.connections = connections
        }
        return overrides
    }

    private static func parsed<Value>(_ text: String, option: String, _ parse: (String) throws(ValueError) -> Value) throws(UsageError) -> Value {
        do {
            return try parse(text)
        } catch {
            throw UsageError(description: "\(option): \(error)")
        }
    }

    private static func adHocLoad(_ arguments: Arguments, targets: [AdHocTarget]) throws -> AdHocLoad {
        func value(_ names: String...) -> String? { names.compactMap(arguments.value).last }
        var load = AdHocLoad(targets: targets)
        load.connections = try value("-c", "--connections").map { try wholeNumber($0, option: "--connections", atLeast: 1) }
        load.duration = value("-d", "--duration")
        load.iterations = try value("-n", "--iterations").map { try wholeNumber($0, option: "--iterations", atLeast: 1) }
        load.rate = value("--rate")
        load.arrival = value("--arrival")
        load.thinkTime = value("--think")
        load.method = value("-m", "--method")
        load.headers = arguments.allValues("-H") + arguments.allValues("--header")
        load.body = value("--body")
        load.bodyFile = value("--body-file")
        load.timeout = value("--timeout")
        load.httpVersion = value("--http")
        load.caFile = value("--cacert")
        load.insecure = arguments.flag("--insecure")
        load.redirects = try value("--redirects").map { try wholeNumber($0, option: "--redirects", atLeast: 0) }
        return load
    }

    /// `--workers N` of `run` and `capacity`.
    static func workerCount(_ text: String) throws(UsageError) -> Int {
        guard let value = Int(text), (1...Limits.workers).contains(value) else {
            throw UsageError(description: "--workers: expected a whole number from 1 to \(Limits.workers), found \"\(text)\"")
        }
        return value
    }

    private static func wholeNumber(_ text: String, option: String, atLeast minimum: Int) throws(UsageError) -> Int {
        guard let value = Int(text), value >= minimum else {
            // All digits, yet no Int: too large, which "expected a whole number" would not say.
            let tooLarge = !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
            throw UsageError(description: "\(option): expected a whole number of at least \(minimum)\(tooLarge ? " that fits in 64 bits" : ""), found \"\(text)\"")
        }
        return value
    }

    /// "2 scenarios, 30s" or "1 scenario, duration depends on latency".
    private static func describe(_ plan: Plan) -> String {
        let scenarios = "\(plan.scenarios.count) scenario\(plan.scenarios.count == 1 ? "" : "s")"
        return scenarios + ", " + (plan.duration.map { "\($0)" } ?? "until the iterations are done")
    }

    /// The regular files in `directory`: what a run wrote there, run.json and the timeline first.
    static func writtenFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let first = [RunFile.artifact.name, RunFile.timeline.name]
        func order(_ name: String) -> (Int, String) { (first.firstIndex(of: name) ?? first.count, name) }
        return names.sorted { order($0) < order($1) }.map { directory.appendingPathComponent($0) }.filter { url in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// reports/<folder name>-<yyyyMMdd-HHmmss>/ in the working directory (`Profile.folderName` keeps a
    /// name like "../x" from leaving reports/); "-2", "-3" … when two runs start in the same second.
    /// The folder is made here, by mkdir(2), which only one process can win: two runs started at once
    /// (a CI matrix) checking for a free name and then making it could both take the same one.
    static func defaultOutputDirectory(for name: String) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = "reports/\(name)-\(formatter.string(from: Date()))"
        try? FileManager.default.createDirectory(atPath: "reports", withIntermediateDirectories: true)
        var candidate = base
        var suffix = 2
        // Any other failure (no permission) is left to the run, which says so naming the folder.
        while mkdir(candidate, 0o755) != 0 && errno == EEXIST {
            candidate = "\(base)-\(suffix)"
            suffix += 1
        }
        return URL(fileURLWithPath: candidate)
    }

    /// The commit checked out in the working directory, if it is a git repository.
    static func gitSHA() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let sha = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !sha.isEmpty ? sha : nil
    }
}
