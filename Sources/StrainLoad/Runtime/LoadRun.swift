import Foundation
import StrainContract
import StrainProfile
import Synchronization
internal import CCurl

/// How to run a profile.
public struct RunOptions: Sendable {
    /// Worker threads per kind of scenario (HTTP, PostgreSQL); one per core by default.
    public var workers: Int
    /// Where `run.json` and `timeline.ndjson` go; created if missing.
    public var outputDirectory: URL
    /// Read by `${env.NAME}`.
    public var environment: [String: String]
    public var tool: ToolInfo
    public var gitSHA: String?
    public var progress: ProgressStyle
    /// Called with the results so far after every interval; a non-nil answer stops the run early with
    /// that reason (thresholds marked `abortOnFail`).
    public var abortCheck: (@Sendable (RunArtifact) -> String?)?
    /// Seeds Poisson arrivals and `${random…}`/`${pick…}`; nil draws a fresh one. Recorded in the
    /// artifact, so a run can be reproduced with it.
    public var seed: UInt64?
    /// This process's share of a scaled-out run; nil runs all of the load.
    public var shard: Shard?
    /// Hold the load back until then (the shards' agreed start), once every worker is ready.
    public var startAt: Date?
    /// Command-line options that changed the profile before it ran (`--duration 30s` …), recorded
    /// in the artifact because the profile file alone no longer says what ran.
    public var overrides: [String] = []
    /// Live destinations each interval is handed to as it closes (`--output`), besides the timeline.
    public var outputs: [any RunOutput]
    /// Told when the load starts (the run's `startedAt`, where its timeline's seconds count from),
    /// so that what is sampled beside the load can fall on the same seconds.
    public var loadStarted: (@Sendable (Date) -> Void)?
    /// Counts the requests in flight per step as they start and end, for a sampler beside the load.
    public var requestsInFlight: RequestsInFlight?

    public init(workers: Int = RunOptions.defaultWorkers, outputDirectory: URL,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                tool: ToolInfo, gitSHA: String? = nil, progress: ProgressStyle = .none,
                abortCheck: (@Sendable (RunArtifact) -> String?)? = nil, seed: UInt64? = nil,
                shard: Shard? = nil, startAt: Date? = nil, outputs: [any RunOutput] = []) {
        self.workers = workers
        self.outputDirectory = outputDirectory
        self.environment = environment
        self.tool = tool
        self.gitSHA = gitSHA
        self.progress = progress
        self.abortCheck = abortCheck
        self.seed = seed
        self.shard = shard
        self.startAt = startAt
        self.outputs = outputs
    }

    /// A fresh seed below 2^53, so that any JSON reader keeps it exact.
    static func freshSeed() -> UInt64 {
        UInt64.random(in: 0..<(1 << 53))
    }

    /// One worker per online core.
    public static var defaultWorkers: Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// What a run produced.
public struct RunResult: Sendable {
    public let artifact: RunArtifact
    public let artifactURL: URL
    public let timelineURL: URL
    /// Things the user should know that are not errors, e.g. a unique feeder running out of rows.
    public let notes: [String]
    /// Why the run failed: a worker could not go on, or the target could not be reached at all (the
    /// artifact's status is then `failed`).
    public let failure: LoadError?
    /// Why the final `run.json` or the timeline could not be written (a full disk, the folder gone):
    /// the folder keeps the last checkpoint, and `artifact` is all there is of the rest.
    public let writeFailure: LoadError?
}

/// The run coordinator: starts one thread per worker, merges their interval reports into the run's
/// totals and the streamed timeline, shows progress, turns SIGINT/SIGTERM into a graceful stop,
/// checks its own validity and writes the artifact.
public enum LoadRun {
    public static func run(_ profile: Profile, engines: [any EngineFactory], options: RunOptions) throws(LoadError) -> RunResult {
        let shard = options.shard ?? .whole
        let inputs = try RunInputs(profile: profile, environment: options.environment, shard: shard)
        let layout = LoadLayout(profile)
        let seed = options.seed ?? RunOptions.freshSeed()
        let workers = try workerPlans(profile, engines: engines, workers: max(1, options.workers), inputs: inputs,
                                      seed: seed, shard: shard)
        let connections = Plan(profile).scenarios.reduce(0) { $0 + ScenarioPart($1, shard: shard).connections }
        if let problem = FileDescriptorLimit.problem(connections: connections, workers: workers.count,
                                                     limit: FileDescriptorLimit.raiseToHardLimit()) {
            throw LoadError(.badInput, problem)
        }
        let timelineURL = RunFile.timeline.url(in: options.outputDirectory)
        let artifactURL = RunFile.artifact.url(in: options.outputDirectory)
        if let problem = RunFile.problemWritingRun(into: options.outputDirectory) { throw LoadError(.badInput, problem) }
        let timeline: TimelineWriter
        do {
            try OutputFolder.create(options.outputDirectory)
            timeline = try TimelineWriter(url: timelineURL)
        } catch {
            throw LoadError(.infrastructure, "cannot write to \(options.outputDirectory.path): \(error)")
        }
        defer { timeline.close() }

        let control = RunControl(workers: workers.count)
        let interrupted = Atomic<Bool>(false)
        // A second signal quits at once: statements in flight are cancelled first, or they run on.
        let signals = SignalWatcher(onStop: { name in
            interrupted.store(true, ordering: .relaxed)
            control.stopEarly(.signal, "stopped by \(name)")
        }, beforeQuitting: { PostgresCancels.sendAll() })
        defer { signals.cancel() }
        let gate = StartGate(workers: workers.count)
        let threads = WorkerThreads(workers, layout: layout, control: control, gate: gate, limits: DrainLimits(profile: profile),
                                    inFlight: options.requestsInFlight)
        let clock = gate.open(notBefore: options.startAt, unless: { control.stopRequested })
        control.started(clock)
        let startedAt = Date()
        options.loadStarted?(startedAt)

        var collected = Collected(layout: layout, scenarios: profile.scenarios.count)
        var progress = ProgressPrinter(style: options.progress)
        let planned = Plan(profile).duration?.seconds
        var notesShown = 0
        var timelineError: (any Error)?
        var abortReason: String?
        var unreachable: String?
        var reach = UnreachableTarget()
        func artifact(status: RunStatus, endedAt: Date, earlyStop: EarlyStop? = nil, outputs: [OutputSummary]? = nil) -> RunArtifact {
            let wallSeconds = max(endedAt.timeIntervalSince(startedAt), 1e-3)
            // The schedules ran until the run was stopped, not through the drain after it.
            let stoppedAt = earlyStop.flatMap { $0.cause == .feederExhausted ? nil : $0.at } ?? .infinity
            return RunArtifact(
                tool: options.tool,
                profile: profile.info,
                host: HostInfo.current(), gitSHA: options.gitSHA, startedAt: startedAt, endedAt: endedAt,
                status: status, earlyStop: earlyStop, seed: seed,
                validity: SelfCheck.validity(
                    busyShares: SelfCheck.busyShares(cpuMicros: collected.cpuMicros, wallSeconds: wallSeconds),
                    schedulerLag: collected.schedulerLag,
                    connections: connectionExpectations(profile, layout: layout, totals: collected.totals,
                                                        users: usersByWorker(workers), sent: collected.sentByWorker, shard: shard),
                    closedLoop: profile.scenarios.contains { scenario in
                        if case .closed = scenario.load { scenario.thinkTime == .zero } else { false }
                    }),
                scenarios: collected.scenarioResults(profile, layout: layout, ranSeconds: min(wallSeconds, stoppedAt),
                                                     shard: shard, hiding: inputs.secrets),
                thresholds: profile.thresholds.map(\.recorded), shard: options.shard, startAt: options.startAt,
                overrides: options.overrides.isEmpty ? nil : options.overrides,
                outputs: outputs)
        }
        // Each closed interval's bookkeeping (merging, the timeline, checkpoints) falls on the instants
        // where constant-rate arrivals do: on a busy host it must not take a core from a worker that
        // has a response to read, which would add its time to what the worker measures.
        let bookkeeping = CoordinatorPriority.lower()
        defer { bookkeeping.restore() }
        var checkpoints = CheckpointSchedule()
        while true {
            if checkpoints.isDue() {
                do {
                    try artifact(status: .running, endedAt: Date()).write(to: artifactURL)
                } catch {
                    control.note("cannot checkpoint \(artifactURL.path): \(error)")
                }
            }
            let (intervals, allFinished) = control.takeCompleteIntervals()
            for interval in intervals {
                collected.add(interval)
                reach.add(interval.steps.values, start: interval.start)
                let line = timelineInterval(interval, profile: profile, layout: layout, shard: shard)
                do {
                    try timeline.append(line)
                } catch {
                    timelineError = timelineError ?? error
                }
                for output in options.outputs { output.intervalClosed(line, runStartedAt: startedAt) }
                // A run's last, partial interval can be a few milliseconds: its rate would be noise.
                if !interval.isPartial {
                    progress.show(collected.progressLine(for: interval, planned: planned))
                }
            }
            if !intervals.isEmpty, abortReason == nil, let abortCheck = options.abortCheck,
               let reason = abortCheck(artifact(status: .completed, endedAt: Date())) {
                abortReason = reason
                control.stopEarly(.threshold, reason)
                control.note("stopping early: \(reason)")
            }
            if unreachable == nil, abortReason == nil, !interrupted.load(ordering: .relaxed),
               let reason = reach.reason(elapsed: clock.now(), runEnded: allFinished) {
                unreachable = reason
                control.stopEarly(.targetUnreachable, reason)
            }
            let notes = control.allNotes
            for note in notes.dropFirst(notesShown) { progress.note(note) }
            notesShown = notes.count
            if allFinished { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        progress.finish()
        let failure = threads.waitForExit() ?? unreachable.map { LoadError(.infrastructure, $0) }
        let earlyStop = control.firstEarlyStop
        let status: RunStatus = if failure != nil {
            .failed
        } else if interrupted.load(ordering: .relaxed) {
            .interrupted
        } else if earlyStop != nil {
            .stoppedEarly
        } else {
            .completed
        }
        // When the last worker finished, not when this loop, napping between looks, noticed it (now,
        // when every worker failed before reporting).
        let endedAt = collected.end > 0 ? startedAt.addingTimeInterval(Double(collected.end) / 1e6) : Date()
        let outputs = options.outputs.isEmpty ? nil : options.outputs.map { $0.finish() }
        let result = artifact(status: status, endedAt: endedAt, earlyStop: earlyStop, outputs: outputs)
        // A failed write is returned with the figures, not thrown: they can still be shown.
        var writeFailure: LoadError?
        do {
            try result.write(to: artifactURL)
        } catch {
            writeFailure = LoadError(.infrastructure, "cannot write the run artifact \(artifactURL.path): \(error)")
        }
        if let timelineError, writeFailure == nil {
            writeFailure = LoadError(.infrastructure, "cannot write the timeline \(timelineURL.path): \(timelineError)")
        }
        return RunResult(artifact: result, artifactURL: artifactURL, timelineURL: timelineURL,
                         notes: control.allNotes, failure: failure, writeFailure: writeFailure)
    }

    /// One worker per engine kind and core, numbered across kinds; each takes its share of the shard's
    /// part of every scenario of its kind (a part with fewer connections than workers runs on fewer workers).
    static func workerPlans(_ profile: Profile, engines: [any EngineFactory], workers: Int,
                            inputs: RunInputs, seed: UInt64, shard: Shard = .whole) throws(LoadError) -> [WorkerPlan] {
        let plan = Plan(profile)
        var plans: [WorkerPlan] = []
        for kind in [ScenarioKind.http, .postgres] {
            let scenarios = profile.scenarios.indices.filter { profile.scenarios[$0].kind == kind }
            guard !scenarios.isEmpty else { continue }
            guard let factory = engines.first(where: { $0.kind == kind }) else {
                throw LoadError(.badInput, "this build of strain cannot drive \(kind.rawValue) scenarios (\(profile.scenarios[scenarios[0]].name))")
            }
            var shares = [[ScenarioShare]](repeating: [], count: workers)
            for scenario in scenarios {
                let part = ScenarioPart(plan.scenarios[scenario], shard: shard)
                guard part.runs else { continue }
                let split = ScenarioShare.split(scenario: scenario, part: part, workers: workers,
                                                budget: part.iterations.map(IterationBudget.init), shard: shard)
                for (worker, share) in split.enumerated() {
                    if let share { shares[worker].append(share) }
                }
            }
            for (worker, workerShares) in shares.enumerated() where !workerShares.isEmpty {
                plans.append(WorkerPlan(number: plans.count, factory: factory, setup: WorkerSetup(
                    worker: worker, workers: workers, profile: profile, inputs: inputs, shares: workerShares, seed: seed)))
            }
        }
        return plans
    }

    /// Iterations each worker may run at once, by worker number and scenario index: closed-model users
    /// (open-model slots too, which the connection check does not read).
    static func usersByWorker(_ plans: [WorkerPlan]) -> [Int: [Int: Int]] {
        var users: [Int: [Int: Int]] = [:]
        for plan in plans {
            for share in plan.setup.shares { users[plan.number, default: [:]][share.scenario, default: 0] += share.concurrency }
        }
        return users
    }

    /// Closed-model HTTP/1.1 scenarios without think time keep every connection busy, so each must have
    /// been opened (multiplexed HTTP/2 and think time legitimately use fewer) — on each worker, as many
    /// as it sent requests when it sent fewer: a request refused before sending (a feeder's value that
    /// cannot go in a header) needs no connection, and a worker whose users found an iteration budget
    /// spent by the others before they started (a starved thread in a short run) opened none.
    /// - Parameters:
    ///   - users: closed-model users by worker number and scenario index (`usersByWorker`).
    ///   - sent: requests sent by worker number and step number.
    static func connectionExpectations(_ profile: Profile, layout: LoadLayout, totals: [StepTally],
                                       users: [Int: [Int: Int]], sent: [Int: [Int: UInt64]],
                                       shard: Shard = .whole) -> [SelfCheck.Connections] {
        guard profile.target.httpVersion == .http1_1 else { return [] }
        let plan = Plan(profile)
        return profile.scenarios.enumerated().compactMap { index, scenario in
            guard scenario.kind == .http, scenario.thinkTime == .zero, case .closed = scenario.load else { return nil }
            let part = ScenarioPart(plan.scenarios[index], shard: shard)
            guard part.runs else { return nil }
            let steps = scenario.steps.indices.map { layout.stepNumber(scenario: index, step: $0) }
            let asked = users.reduce(UInt64(0)) { asked, worker in
                guard let count = worker.value[index] else { return asked }
                let workerSent = steps.reduce(UInt64(0)) { $0 + (sent[worker.key]?[$1] ?? 0) }
                return asked + min(UInt64(count), workerSent)
            }
            let established = steps.reduce(UInt64(0)) { $0 + totals[$1].count(of: .newConnections) }
            return SelfCheck.Connections(scenario: scenario.name, asked: asked, established: established)
        }
    }

    /// What an open-model scenario's schedule asked of this shard between two times of the run: what
    /// `strain compare` judges throughput against, interval by interval.
    static func askedIterations(_ scenario: Scenario, from start: Double, to end: Double, shard: Shard) -> Double? {
        guard case .open(let open) = scenario.load else { return nil }
        let curve = ArrivalCurve(open.segments)
        return (curve.arrivals(until: end) - curve.arrivals(until: start)) / Double(shard.count)
    }

    static func timelineInterval(_ interval: MergedInterval, profile: Profile, layout: LoadLayout, shard: Shard) -> TimelineInterval {
        let start = Double(interval.index) * Double(intervalMicros) / 1e6
        let steps = interval.steps.sorted { $0.key < $1.key }.map { number, tally in
            let location = layout.locations[number]
            let scenario = profile.scenarios[location.scenario]
            return IntervalStep(scenario: scenario.name, step: scenario.steps[location.step].name,
                                requests: tally.requests, failures: tally.failures,
                                latency: tally.latency, service: tally.service,
                                asked: askedIterations(scenario, from: start, to: start + interval.duration, shard: shard))
        }
        return TimelineInterval(start: Double(interval.index), duration: interval.duration, partial: interval.isPartial, steps: steps)
    }
}

/// When to checkpoint the run artifact: at the start, then every 5 s, so a killed run (SIGKILL, a
/// crash, the machine going down) keeps a readable `run.json` with what it measured until then.
struct CheckpointSchedule {
    static let period = Duration.seconds(5)
    private let clock = ContinuousClock()
    private var next: ContinuousClock.Instant?

    /// True at most once per period, starting with the first call.
    mutating func isDue() -> Bool {
        let now = clock.now
        if let next, now < next { return false }
        next = now + Self.period
        return true
    }
}

/// One worker thread's engine and share of the load.
struct WorkerPlan: Sendable {
    /// Among all workers of the run.
    let number: Int
    let factory: any EngineFactory
    let setup: WorkerSetup
}

/// The run's totals, built up interval by interval on the coordinator's thread.
private struct Collected {
    var totals: [StepTally]
    var iterations: [UInt64]
    var cpuMicros: [Int: UInt64] = [:]
    /// Requests sent by worker and step number, for the connections each worker should have opened.
    var sentByWorker: [Int: [Int: UInt64]] = [:]
    var schedulerLag = Histogram()
    /// The latest end (µs on the run clock) of an interval handed over: once every worker has handed
    /// over its final report, when the last of them finished.
    var end: UInt64 = 0

    init(layout: LoadLayout, scenarios: Int) {
        totals = Array(repeating: StepTally(), count: layout.stepCount)
        iterations = Array(repeating: 0, count: scenarios)
    }

    mutating func add(_ interval: MergedInterval) {
        end = max(end, interval.end)
        for (number, tally) in interval.steps {
            totals[number].merge(tally)
            if let lag = tally.histogram(of: .schedulerLag) { schedulerLag.merge(lag) }
        }
        for (scenario, count) in interval.iterations { iterations[scenario] += count }
        cpuMicros.merge(interval.cpuMicros, uniquingKeysWith: +)
        sentByWorker.merge(interval.sentByWorker) { $0.merging($1, uniquingKeysWith: +) }
    }

    func progressLine(for interval: MergedInterval, planned: Double?) -> ProgressLine {
        var latency = Histogram()
        var requests: UInt64 = 0, failures: UInt64 = 0
        for tally in interval.steps.values {
            latency.merge(tally.latency)
            requests += tally.requests
            failures += tally.failures
        }
        return ProgressLine(elapsed: Double(interval.end) / 1e6, planned: planned, intervalSeconds: interval.duration,
                            requests: requests, failures: failures, latency: latency)
    }

    /// - Parameter ranSeconds: how long the run's schedules have gone on (until it was stopped, if it
    ///   was), for what they asked in that time (of this shard: its part of the arrivals) and the time
    ///   each scenario's achieved rates are measured over.
    func scenarioResults(_ profile: Profile, layout: LoadLayout, ranSeconds: Double, shard: Shard,
                         hiding secrets: [String]) -> [ScenarioResult] {
        profile.scenarios.enumerated().map { index, scenario in
            var askedRate: Double?
            // Its schedule (the part that ran), or longer when its last request finished later (a drain
            // of arrivals that waited for a connection); bounded by iterations, until its last request.
            let steps = scenario.steps.indices.map { totals[layout.stepNumber(scenario: index, step: $0)] }
            let lastFinished = Double(steps.map(\.lastFinishedAt).max() ?? 0) / 1e6
            var rateSeconds: Double? = lastFinished > 0 ? lastFinished : nil
            switch scenario.load {
            case .open(let open):
                let curve = ArrivalCurve(open.segments)
                let ran = min(ranSeconds, curve.duration)
                if ran > 0 { askedRate = curve.arrivals(until: ran) / ran / Double(shard.count) }
                rateSeconds = max(ran, lastFinished)
            case .closed(let closed):
                if case .duration(let duration) = closed.bound { rateSeconds = max(min(ranSeconds, duration.seconds), lastFinished) }
            }
            return ScenarioResult(
                name: scenario.name,
                kind: scenario.kind == .http ? .http : .postgres,
                iterations: iterations[index],
                askedRate: askedRate,
                rateSeconds: rateSeconds,
                steps: zip(scenario.steps, steps).map { definition, tally in tally.stepResult(name: definition.name, hiding: secrets) })
        }
    }
}

/// The worker threads of a run. Each makes its engine on its own thread (C handles never cross
/// threads) and always sends a final report, even when it fails, so the coordinator never waits forever.
private final class WorkerThreads: Sendable {
    private let failure = Mutex<LoadError?>(nil)
    private let running = DispatchGroup()

    init(_ plans: [WorkerPlan], layout: LoadLayout, control: RunControl, gate: StartGate, limits: DrainLimits,
         inFlight: RequestsInFlight?) {
        for plan in plans {
            running.enter()
            let thread = Thread { [self] in
                defer { running.leave() }
                _ = strain_wake_punctually()
                let engine: any StepEngine
                do throws(LoadError) {
                    engine = try plan.factory.makeEngine(plan.setup, unless: { control.stopRequested })
                } catch {
                    // Given up because the run stops (a signal, another worker's failure): not a failure of its own.
                    if control.stopRequested {
                        control.submitFinalIfSilent(worker: plan.number)
                    } else {
                        fail(error, worker: plan.number, control: control)
                    }
                    _ = gate.arriveAndWait()
                    return
                }
                let clock = gate.arriveAndWait()
                let driver = IterationDriver(worker: plan.number, setup: plan.setup, layout: layout, engine: engine,
                                             control: control, clock: clock, limits: limits, requestsInFlight: inFlight)
                do throws(LoadError) {
                    try driver.run()
                } catch {
                    fail(error, worker: plan.number, control: control)
                }
            }
            thread.name = "strain-worker-\(plan.number)"
            thread.start()
        }
    }

    /// Records the first failure and stops the run. A worker that failed before its driver ran has
    /// reported nothing, so it is ended for the coordinator (a driver always sends its own final report).
    private func fail(_ error: LoadError, worker: Int, control: RunControl) {
        failure.withLock { $0 = $0 ?? error }
        control.stopEarly(.failure, error.message)
        control.submitFinalIfSilent(worker: worker)
    }

    /// Waits for every thread to end; the first worker failure, if any.
    func waitForExit() -> LoadError? {
        running.wait()
        return failure.withLock { $0 }
    }
}

/// The coordinator thread's scheduling priority, lowered for the run and restored after. On Linux
/// the nice value is a thread's own, and `who` 0 names the calling thread.
struct CoordinatorPriority {
    static let niceness: Int32 = 10
    private let previous: Int32

    static func lower() -> CoordinatorPriority {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let read = getpriority(which, 0)
        let previous = errno == 0 ? read : 0
        _ = setpriority(which, 0, max(previous, niceness))
        return CoordinatorPriority(previous: previous)
    }

    func restore() {
        // Raising the priority back needs a privilege the process may lack; then it stays lowered.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, previous)
    }
}
