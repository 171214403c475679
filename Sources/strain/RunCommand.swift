import Foundation
import StrainDiagnose
import StrainLoad
import StrainMetrics
import StrainProfile
import StrainReport

enum RunCommand: Command {
    static let name = "run"
    static let summary = "drive HTTP and PostgreSQL load from a profile (or HTTP from a URL), then report"
    static let usage = "usage: strain run [options] PROFILE\n       strain run --url URL [-c N] [-d 10s | -n N] [--rate 1000/s] [options]"
    static let help = """
    \(usage)

    Drives the load a profile describes and prints a summary: rate achieved versus asked, latency
    percentiles (corrected from the intended send time, and plain service time), the per-phase
    breakdown, errors and whether the run can be trusted. When the profile has a diagnose section,
    the diagnoser samples the host, the database and the dependencies through the run and its ranked
    findings follow the summary. The run folder (run.json, a per-second timeline.ndjson, a report in
    every file format, and diagnosis.json and evidence.json; README "The run folder") is written to
    reports/<name>-<yyyyMMdd-HHmmss>/ (or --out). Progress goes to standard error.
    Ctrl-C (or SIGTERM, SIGHUP) stops gracefully and still writes everything; a second one quits at
    once. run.json is checkpointed every 5s (status "running"), so a killed run keeps what it measured
    up to its last checkpoint and 'strain report' renders it, marked incomplete.

    Without a profile, --url describes the load like wrk or vegeta: a closed model with -c connections
    for -d (default 10 connections for 10s), or --rate for an open model at a constant rate.

    options:
      --out DIR              write run.json and timeline.ndjson here
      --workers N            load-generating threads (default: one per core)
      --quiet                no progress lines
      --diagnose-pid PID     profile this local process in the diagnosis (overrides diagnose.pid)
      --seed N               seed Poisson arrivals and random template values with N (each run draws
                             a fresh seed and records it in run.json; pass it here to reproduce one)

    scale-out (see strain merge and strain k8s):
      --shard I/N            run shard I (0…N−1) of N: its exact share of every scenario's arrivals,
                             connections, iterations and feeder rows; thresholds are left to the merge
      --shards N             with JOB_COMPLETION_INDEX set (a Kubernetes Indexed Job): run that shard of N
                             (STRAIN_SHARDS=N does the same)
      --start-at TIME        start the load at this RFC 3339 time (e.g. 2025-01-31T12:00:00Z), so that
                             shards start together; at most 24 h ahead

    ad-hoc load (instead of PROFILE):
      --url URL              the URL to request; its host is the only one load may go to
      -c, --connections N    connections (closed model), or the most in flight with --rate
      -d, --duration D       how long, like 30s or 2m (default 10s)
      -n, --iterations N     this many requests in total instead of a duration (closed model)
      --rate R               open model: a constant arrival rate like 1000/s
      --arrival poisson      random (Poisson) arrivals with --rate instead of evenly spaced ones
      --think D              pause between a connection's requests (closed model)
      -m, --method M         HTTP method (default GET)
      -H, --header 'N: V'    a request header (repeatable)
      --body TEXT            request body; --body-file FILE sends a file
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

    static let flags: Set<String> = ["--quiet", "--insecure"]
    static let options: Set<String> = [
        "--out", "--workers", "--url", "-c", "--connections", "-d", "--duration", "-n", "--iterations", "--rate",
        "--arrival", "--think", "-m", "--method", "-H", "--header", "--body", "--body-file", "--timeout", "--http",
        "--cacert", "--redirects", "--diagnose-pid", "--seed", "--shard", "--shards", "--start-at",
    ]

    static func run(_ words: [String], output: Output) -> ExitStatus {
        let profile: Profile
        let workers: Int
        do {
            let arguments = try Arguments(words, flags: flags, options: options)
            profile = try loadProfile(arguments)
            workers = try arguments.value("--workers").map { try positiveInteger($0, option: "--workers") }
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
            return execute(profile, arguments: arguments, workers: workers, seed: seed, shard: shard, startAt: startAt, output: output)
        } catch let error as UsageError {
            output.error("strain run: \(error)\n\(usage)")
        } catch let error as ProfileError {
            output.error(error.description)
        } catch let error as ShardOptionError {
            output.error("strain run: \(error)")
        } catch {
            output.error("strain run: \(error)")
        }
        return .badInput
    }

    private static func execute(_ profile: Profile, arguments: Arguments, workers: Int, seed: UInt64?,
                                shard: Shard?, startAt: Date?, output: Output) -> ExitStatus {
        let directory = arguments.value("--out").map { URL(fileURLWithPath: $0) } ?? defaultOutputDirectory(for: profile.folderName)
        // A shard sees only its part of the load: thresholds judge the merge, not the shards.
        let abortThresholds = shard == nil ? profile.thresholds.filter(\.abortOnFail) : []
        let abortCheck: (@Sendable (RunArtifact) -> String?)? = abortThresholds.isEmpty ? nil : { @Sendable artifact in
            ThresholdEvaluator.evaluate(abortThresholds, on: artifact).first(where: \.shouldAbort)
                .map { "threshold \($0.threshold) failed (observed \($0.observedText))" }
        }
        let options = RunOptions(
            workers: workers, outputDirectory: directory, tool: ToolInfo(version: Strain.version), gitSHA: gitSHA(),
            progress: arguments.flag("--quiet") ? .none : isatty(STDERR_FILENO) == 1 ? .live : .periodic(seconds: 5),
            abortCheck: abortCheck, seed: seed, shard: shard, startAt: startAt)
        let sharding = shard.map { ", shard \($0)" } ?? ""
        let start = startAt.map { ", starting at \($0.formatted(.iso8601))" } ?? ""
        output.error("strain run: \(profile.name) — \(describe(Plan(profile)))\(sharding)\(start); results in \(directory.path)/")

        let diagnosis: (session: DiagnosisSession, options: CheckOptions)?
        do {
            diagnosis = try startDiagnosis(profile, pid: arguments.value("--diagnose-pid"))
        } catch let error as UsageError {
            output.error("strain run: \(error)")
            return .badInput
        } catch {
            output.error("strain run: cannot start the diagnosis: \(error)")
            return .infrastructure
        }
        let result: RunResult
        do {
            result = try LoadRun.run(profile, engines: [HTTPEngineFactory(), PostgresEngineFactory()], options: options)
        } catch {
            _ = diagnosis?.session.stop()
            output.error("strain run: \(error)")
            return error.kind == .badInput ? .badInput : .infrastructure
        }
        let report: RunReport
        do {
            if let diagnosis {
                let evidence = diagnosis.session.stop()
                let findings = Diagnoser.diagnose(evidence, load: LoadContext(artifact: result.artifact),
                                                  options: diagnosis.options)
                try DiagnoseCommand.write(findings, evidence: evidence, to: directory)
            }
            report = try ReportWriter.writeAll(in: RunFolder(url: directory), profile: shard == nil ? profile : nil)
        } catch {
            output.error("strain run: cannot write the reports: \(error)")
            return .infrastructure
        }
        output.print(TerminalReport.render(report, color: isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil))
        for note in result.notes { output.print("note: \(note)") }
        output.print("Results: \(result.artifactURL.path)\n         \(result.timelineURL.path)")
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

    private static func loadProfile(_ arguments: Arguments) throws -> Profile {
        let adHocOptions = options.subtracting(["--out", "--workers", "--url", "--diagnose-pid", "--seed", "--shard", "--shards", "--start-at"])
        switch (arguments.positionals.count, arguments.value("--url")) {
        case (1, nil):
            if let flag = adHocOptions.first(where: { arguments.value($0) != nil }) ?? (arguments.flag("--insecure") ? "--insecure" : nil) {
                throw UsageError(description: "\(flag) describes ad-hoc load and needs --url; a profile sets it itself")
            }
            return try ProfileLoader.load(path: arguments.positionals[0])
        case (0, let url?):
            return try adHocLoad(arguments, url: url).profile(baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        case (0, nil):
            throw UsageError(description: "no profile given (or --url for ad-hoc load)")
        default:
            throw UsageError(description: "give one profile, or --url without a profile")
        }
    }

    private static func adHocLoad(_ arguments: Arguments, url: String) throws -> AdHocLoad {
        func value(_ names: String...) -> String? { names.compactMap(arguments.value).last }
        var load = AdHocLoad(url: url)
        load.connections = try value("-c", "--connections").map { try positiveInteger($0, option: "--connections") }
        load.duration = value("-d", "--duration")
        load.iterations = try value("-n", "--iterations").map { try positiveInteger($0, option: "--iterations") }
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
        load.redirects = try value("--redirects").map { try nonNegativeInteger($0, option: "--redirects") }
        return load
    }

    private static func positiveInteger(_ text: String, option: String) throws(UsageError) -> Int {
        guard let value = Int(text), value >= 1 else { throw UsageError(description: "\(option): expected a whole number of at least 1, found \"\(text)\"") }
        return value
    }

    private static func nonNegativeInteger(_ text: String, option: String) throws(UsageError) -> Int {
        guard let value = Int(text), value >= 0 else { throw UsageError(description: "\(option): expected a whole number of at least 0, found \"\(text)\"") }
        return value
    }

    /// "2 scenarios, 30s" or "1 scenario, duration depends on latency".
    private static func describe(_ plan: Plan) -> String {
        let scenarios = "\(plan.scenarios.count) scenario\(plan.scenarios.count == 1 ? "" : "s")"
        return scenarios + ", " + (plan.duration.map { "\($0)" } ?? "until the iterations are done")
    }

    /// reports/<folder name>-<yyyyMMdd-HHmmss>/ in the working directory (`Profile.folderName` keeps a
    /// name like "../x" from leaving reports/); "-2", "-3" … when two runs start in the same second.
    static func defaultOutputDirectory(for name: String) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = "reports/\(name)-\(formatter.string(from: Date()))"
        var candidate = base
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate) {
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
