import Foundation
import Synchronization

/// Collects evidence while a load runs (or while an incident is watched): host counters,
/// `pg_stat_activity`, PgBouncer's pools and dependency probes every `sampleInterval`, `pg_stat_statements` and
/// table statistics at the start, at each phase mark and at the end, statements' calls every second
/// (on the load's seconds once `alignStatementCalls(to:)` gives its start, else on the clock's), a `perf` profile of a
/// local process, and after the window the plans of the costliest statements.
///
///     let session = DiagnosisSession(settings: settings)
///     try session.start()            // connects; throws when the database cannot be reached
///     session.markPhase(name: "steady")
///     let evidence = session.stop()  // after the load; then Diagnoser.diagnose(evidence, load: …)
///
/// Sampling runs on threads of its own; the methods may be called from any thread.
public final class DiagnosisSession: Sendable {
    private let settings: DiagnoseSettings
    private let wakeup = WakeSignal()
    private let threads = DispatchGroup()
    private let state = Mutex(State())
    private let sampleRounds = Atomic<Int>(0)

    /// Rounds of sampling (host, pools, database activity) taken so far, for progress lines.
    public var samplesTaken: Int {
        sampleRounds.load(ordering: .relaxed)
    }

    private struct State {
        var started = false
        var stopped = false
        var startedAt = Date()
        var pendingMarks: [PhaseMark] = []
        var phases: [PhaseMark] = []
        var host: HostEvidence?
        var postgres: PostgresEvidence?
        var pgbouncer: PgBouncerEvidence?
        var dependencies: [DependencyEvidence] = []
        var gaps: [EvidenceGap] = []
        var profiler: Profiler?
        var profile: ProfilerEvidence?
        /// The process's CPU clock when the window opened.
        var serviceClockAtStart: ProcessCPUClock?
        var serviceClockAtEnd: ProcessCPUClock?
        var serviceRunnableSeconds = 0.0
        /// Reads the load's requests in flight per endpoint (`observeRequestsInFlight`).
        var requestsInFlight: (names: [String], read: @Sendable () -> [Int])?
        var runnablePerRequestInFlight: [String: Double]?
        var lockSamples: [LockSample] = []
        var statementOccupancy: [StatementOccupancy]?
        var statementCalls: [StatementCalls]?
        /// Where the seconds of statement calls are counted from: the load's start once known.
        var callsOrigin = Date()
        /// Posted by the lock-sampling thread as statements are captured; read when the plans are taken.
        var statementSamples: [StatementSample] = []
        var evidence: Evidence?
    }

    public init(settings: DiagnoseSettings) {
        self.settings = settings
    }

    /// Starts collecting. Throws `DiagnoseSetupError` when the database cannot be reached
    /// (the message never contains its password); a missing profiler or node exporter is
    /// recorded as an evidence gap instead, as the rest is still worth having.
    public func start() throws {
        let startedAt = Date()
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            state.startedAt = startedAt
            // Whole seconds of the clock until a load says where its seconds begin: an access log's.
            state.callsOrigin = Date(timeIntervalSince1970: startedAt.timeIntervalSince1970.rounded(.down))
            return state.started
        }
        precondition(!alreadyStarted, "a DiagnosisSession is started once")

        let ready = Mutex<Result<Void, DiagnoseSetupError>?>(nil)
        let readySignal = DispatchSemaphore(value: 0)
        threads.enter()
        Thread { [self] in
            defer { threads.leave() }
            sample(reportReady: { result in
                ready.withLock { $0 = result }
                readySignal.signal()
            })
        }.start()
        readySignal.wait()
        if case .failure(let error) = ready.withLock({ $0 }) {
            wakeup.stop()
            threads.wait()
            throw error
        }
        if let conninfo = settings.postgres {
            threads.enter()
            Thread { [self] in
                defer { threads.leave() }
                sampleLocks(conninfo: conninfo)
            }.start()
            threads.enter()
            Thread { [self] in
                defer { threads.leave() }
                sampleOccupancy(conninfo: conninfo)
            }.start()
            // The window's calls count from the first read, so the load waits for it.
            let firstRead = DispatchSemaphore(value: 0)
            threads.enter()
            Thread { [self] in
                defer { threads.leave() }
                sampleStatementCalls(conninfo: conninfo, firstRead: firstRead)
            }.start()
            firstRead.wait()
        }
        for target in settings.dependencies {
            threads.enter()
            Thread { [self] in
                defer { threads.leave() }
                probe(target)
            }.start()
        }
        if let pid = settings.pid {
            if let clock = ProcessCPUClock.read(pid: pid) {
                state.withLock { $0.serviceClockAtStart = clock }
                threads.enter()
                Thread { [self] in
                    defer { threads.leave() }
                    sampleThreadStates(pid: pid)
                }.start()
            } else {
                addGap(EvidenceGap(step: .profile, message: "cannot read /proc/\(pid)/stat: is pid \(pid) running on this host?"))
            }
            do {
                let profiler = try Profiler(pid: pid)
                state.withLock { $0.profiler = profiler }
            } catch {
                addGap(EvidenceGap(step: .profile, message: "\(error)"))
            }
        }
    }

    /// Marks the start of a load phase: `pg_stat_statements` is snapshotted right away, so
    /// each phase's statements can be told apart.
    public func markPhase(name: String) {
        state.withLock { $0.pendingMarks.append(PhaseMark(name: name, at: Date())) }
        wakeup.poke()
    }

    /// Sets the service's runnable threads against the load's requests in flight per endpoint
    /// (`names`, in the order `read` counts them) at each thread-state sample: which endpoint's time
    /// is spent computing, measured rather than inferred. For a load run in this process.
    public func observeRequestsInFlight(names: [String], read: @escaping @Sendable () -> [Int]) {
        state.withLock { $0.requestsInFlight = (names, read) }
    }

    /// Reads statements' calls on the seconds of a load that started at `origin`, so that each
    /// stretch between reads covers the same time as an interval of the load's timeline.
    public func alignStatementCalls(to origin: Date) {
        state.withLock { $0.callsOrigin = origin }
        wakeup.poke()
    }

    /// Ends the window and returns everything collected. Waits for the final snapshots and the
    /// plans of the top statements (a few seconds at most: the session's statement timeout).
    public func stop() -> Evidence {
        if let evidence = state.withLock({ $0.evidence }) { return evidence }
        let endedAt = Date()
        state.withLock { $0.stopped = true }
        wakeup.stop()
        // The CPU clock and the profile cover the window only, not the plans explained after it.
        if let pid = settings.pid, let end = ProcessCPUClock.read(pid: pid) {
            state.withLock { $0.serviceClockAtEnd = end }
        }
        if let profiler = state.withLock({ $0.profiler }) {
            do {
                let profile = try profiler.finish()
                state.withLock { $0.profile = profile }
            } catch {
                addGap(EvidenceGap(step: .profile, message: "\(error)"))
            }
        }
        threads.wait()
        return state.withLock { state in
            state.postgres?.lockSamples = state.lockSamples
            state.postgres?.statementOccupancy = state.statementOccupancy
            state.postgres?.statementCalls = state.statementCalls
            var service: ServiceProcessEvidence?
            if let pid = settings.pid, let start = state.serviceClockAtStart, let end = state.serviceClockAtEnd {
                service = end.since(start, pid: pid, runnableSeconds: state.serviceRunnableSeconds)
                service?.runnablePerRequestInFlight = state.runnablePerRequestInFlight
            }
            let evidence = Evidence(startedAt: state.startedAt, endedAt: endedAt, phases: state.phases, host: state.host,
                                    postgres: state.postgres, pgbouncer: state.pgbouncer,
                                    dependencies: state.dependencies.sorted { $0.name < $1.name },
                                    profiler: state.profile, service: service, gaps: state.gaps)
            state.evidence = evidence
            return evidence
        }
    }

    // MARK: Sampling thread

    /// The host and the database, every interval until stopped. Owns the libpq connection.
    private func sample(reportReady: (Result<Void, DiagnoseSetupError>) -> Void) {
        var postgres: PostgresCollector?
        if let conninfo = settings.postgres {
            do {
                postgres = try PostgresCollector(conninfo: conninfo)
            } catch {
                reportReady(.failure(DiagnoseSetupError(description: "cannot connect to PostgreSQL: \(error)")))
                return
            }
        }
        var host: HostCollector?
        if let url = settings.nodeExporter {
            do {
                host = try HostCollector(nodeExporter: url)
            } catch {
                addGap(EvidenceGap(step: .metrics, message: "node exporter \(RedactedURL.string(url)): \(error)"))
            }
        } else if settings.collectLocalHost {
            host = HostCollector()
        }
        var bouncer: PgBouncerCollector?
        if let conninfo = settings.pgbouncer {
            do {
                bouncer = try PgBouncerCollector(conninfo: conninfo)
            } catch {
                addGap(EvidenceGap(step: .connectionPools, message: "cannot connect to PgBouncer's admin console: \(error)"))
            }
        }
        var recorder = DatabaseRecorder(collector: postgres)
        recorder.snapshotCounters(label: "start")
        var hostSamples: [HostSample] = []
        var bouncerSamples: [PgBouncerSample] = []
        reportReady(.success(()))

        var nextSample = Date()
        while true {
            for mark in state.withLock({ state in defer { state.pendingMarks = [] }; return state.pendingMarks }) {
                recorder.snapshotStatements(label: mark.name)
                state.withLock { $0.phases.append(mark) }
            }
            if state.withLock({ $0.stopped }) { break }
            if Date() >= nextSample {
                if let sample = host?.sample() { hostSamples.append(sample) }
                if let sample = bouncer?.sample() { bouncerSamples.append(sample) }
                recorder.sampleActivity()
                sampleRounds.add(1, ordering: .relaxed)
                nextSample = max(nextSample.addingTimeInterval(settings.sampleInterval), Date())
            }
            _ = wakeup.wait(until: nextSample)
        }
        // A last sample at the end, so the differences cover the whole window.
        if let sample = host?.sample() { hostSamples.append(sample) }
        if let sample = bouncer?.sample() { bouncerSamples.append(sample) }
        recorder.sampleActivity()
        recorder.snapshotCounters(label: "end")
        recorder.explainTopStatements(analyze: settings.explainAnalyze, samples: state.withLock { $0.statementSamples })

        let hostEvidence = host.map { host in
            HostEvidence(source: host.sourceName, cores: host.cores, sharedWithGenerator: settings.generatorSharesHost,
                         samples: hostSamples)
        }
        var gaps = recorder.gaps
        if let host, let error = host.lastError {
            gaps.append(EvidenceGap(step: .metrics, message: "host metrics: \(error)"))
        }
        if let bouncer, let error = bouncer.lastError {
            gaps.append(EvidenceGap(step: .connectionPools, message: "PgBouncer: \(error)"))
        }
        state.withLock { state in
            state.host = hostEvidence
            state.pgbouncer = bouncer.map { _ in PgBouncerEvidence(samples: bouncerSamples) }
            state.postgres = recorder.evidence
            state.gaps += gaps
        }
    }

    // MARK: Dependency threads

    private func probe(_ target: DiagnoseSettings.DependencyTarget) {
        let prober: DependencyProber
        do {
            prober = try DependencyProber(target)
        } catch {
            addGap(EvidenceGap(step: .dependencies, message: "\(target.name): \(error)"))
            return
        }
        var next = Date()
        repeat {
            prober.probe()
            next = max(next.addingTimeInterval(settings.sampleInterval), Date())
        } while !wakeup.wait(until: next, wakingOnPoke: false)
        let evidence = prober.evidence
        state.withLock { $0.dependencies.append(evidence) }
    }

    // MARK: Lock sampling

    /// Lock waits every `LockSampler.interval` until stopped, and at the same rhythm the texts of
    /// the statements running (`StatementSampler`); the first failure of either ends it, as a gap.
    private func sampleLocks(conninfo: String) {
        var samples: [LockSample] = []
        var statements: StatementSampler?
        do {
            statements = try StatementSampler(conninfo: conninfo)
        } catch {
            addGap(EvidenceGap(step: .slowQueries, message: "statement texts could not be sampled: \(error)"))
        }
        do {
            let sampler = try LockSampler(conninfo: conninfo)
            var next = Date()
            repeat {
                if let sample = try sampler.sample() { samples.append(sample) }
                captureStatements(&statements)
                next = max(next.addingTimeInterval(LockSampler.interval), Date())
            } while !wakeup.wait(until: next, wakingOnPoke: false)
        } catch {
            addGap(EvidenceGap(step: .connectionPools, message: "lock waits could not be sampled: \(error)"))
        }
        state.withLock { $0.lockSamples = samples }
    }

    /// The statements sessions are on, about fifty times a second until stopped; a failure ends
    /// it, as a gap, keeping what was counted. The gaps are random (10–30 ms), as a fixed period
    /// would lock in phase with a constant-rate load.
    private func sampleOccupancy(conninfo: String) {
        let sampler: StatementOccupancySampler
        do {
            sampler = try StatementOccupancySampler(conninfo: conninfo)
        } catch {
            addGap(EvidenceGap(step: .slowQueries, message: "the statements sessions are on could not be sampled: \(error)"))
            return
        }
        var generator = SystemRandomNumberGenerator()
        var next = Date()
        repeat {
            do {
                try sampler.sample()
            } catch {
                addGap(EvidenceGap(step: .slowQueries, message: "the statements sessions are on could not be sampled: \(error)"))
                break
            }
            next = max(next.addingTimeInterval(Double.random(in: StatementOccupancySampler.gaps, using: &generator)), Date())
        } while !wakeup.wait(until: next, wakingOnPoke: false)
        let occupancy = sampler.tally.occupancy
        state.withLock { $0.statementOccupancy = occupancy }
    }

    /// Statements' calls every second until stopped, and once more at the end; a failure ends it,
    /// as a gap, keeping what was read. A poke (the load starting, a phase mark) reads at once.
    private func sampleStatementCalls(conninfo: String, firstRead: DispatchSemaphore) {
        let sampler: StatementCallsSampler
        do {
            guard let created = try StatementCallsSampler(conninfo: conninfo) else {
                firstRead.signal()
                return
            }
            sampler = created
        } catch {
            addGap(EvidenceGap(step: .slowQueries, message: "statements' calls could not be read each second: \(error)"))
            firstRead.signal()
            return
        }
        var failed = false
        func read() {
            do {
                try sampler.read()
            } catch {
                addGap(EvidenceGap(step: .slowQueries, message: "statements' calls could not be read each second: \(error)"))
                failed = true
            }
        }
        read()
        firstRead.signal()
        while !failed && !wakeup.wait(until: StatementCallsSampler.nextRead(after: Date(), origin: state.withLock { $0.callsOrigin })) {
            read()
        }
        if !failed { read() }
        let stretches = sampler.series.stretches
        state.withLock { $0.statementCalls = stretches }
    }

    /// One capture of running statements; a failure ends capturing (as a gap), not lock sampling.
    private func captureStatements(_ sampler: inout StatementSampler?) {
        guard let current = sampler else { return }
        let known = current.samples.count
        do {
            try current.capture()
        } catch {
            addGap(EvidenceGap(step: .slowQueries, message: "statement texts could not be sampled: \(error)"))
            sampler = nil
        }
        if current.samples.count > known {
            let captured = current.samples
            state.withLock { $0.statementSamples = captured }
        }
    }

    // MARK: Thread-state sampling

    /// Counts the service's running and runnable threads about twenty times a second until stopped
    /// (often enough that an endpoint in flight a tenth of the time is seen in flight in 10 samples
    /// of a 5 s window). The gaps are random (25–75 ms): a fixed period would lock in phase with a constant-rate
    /// load and see its requests always, or never, running.
    private func sampleThreadStates(pid: Int32) {
        var generator = SystemRandomNumberGenerator()
        var runnableSeconds = 0.0
        var regression: InFlightRegression?
        var previous = Date()
        var next = previous
        repeat {
            let now = Date()
            let runnable = ProcessCPUClock.runnableThreads(pid: pid) ?? 0
            runnableSeconds += Double(runnable) * now.timeIntervalSince(previous)
            if let inFlight = state.withLock({ $0.requestsInFlight }) {
                if regression == nil { regression = InFlightRegression(names: inFlight.names) }
                regression?.add(runnable: runnable, inFlight: inFlight.read())
            }
            previous = now
            next = max(next.addingTimeInterval(Double.random(in: 0.025...0.075, using: &generator)), now)
        } while !wakeup.wait(until: next, wakingOnPoke: false)
        let rates = regression?.runnablePerRequest
        state.withLock { state in
            state.serviceRunnableSeconds = runnableSeconds
            state.runnablePerRequestInFlight = rates
        }
    }

    private func addGap(_ gap: EvidenceGap) {
        state.withLock { $0.gaps.append(gap) }
    }
}

/// The database side of a session: snapshots and samples taken through its collector, kept
/// as evidence. Does nothing without a collector (no --postgres).
private struct DatabaseRecorder {
    let collector: PostgresCollector?
    var evidence: PostgresEvidence?

    init(collector: PostgresCollector?) {
        self.collector = collector
        evidence = collector.map { collector in
            PostgresEvidence(database: collector.database, systemIdentifier: collector.systemIdentifier, serverVersion: collector.serverVersion,
                             maxConnections: collector.maxConnections, hypopgAvailable: collector.hypopgAvailable,
                             diagnoserRole: collector.role, diagnoserIsSuperuser: collector.isSuperuser,
                             roundTripSeconds: collector.roundTripSeconds())
        }
    }

    var gaps: [EvidenceGap] { collector?.gaps ?? [] }

    mutating func snapshotStatements(label: String) {
        if let snapshot = collector?.statementSnapshot(label: label) { evidence?.statementSnapshots.append(snapshot) }
    }

    /// Statements, tables and database counters: at the start and at the end of the window.
    mutating func snapshotCounters(label: String) {
        guard let collector else { return }
        snapshotStatements(label: label)
        let tables = collector.tableCounters()
        let database = collector.databaseCounters()
        if label == "start" {
            evidence?.tablesAtStart = tables
            evidence?.databaseAtStart = database
        } else {
            evidence?.tablesAtEnd = tables
            evidence?.databaseAtEnd = database
        }
    }

    mutating func sampleActivity() {
        if let sample = collector?.activitySample() { evidence?.activity.append(sample) }
    }

    /// EXPLAIN of the statements with the most time in the window, then the indexes the plans
    /// suggest, tried with HypoPG when it is installed.
    /// A statement whose normalised text cannot be planned is planned from its sample captured
    /// during the window (`samples`), when it has one.
    mutating func explainTopStatements(analyze: Bool, samples: [StatementSample]) {
        evidence?.statementSamples = samples
        guard let collector, let snapshots = evidence?.statementSnapshots, let first = snapshots.first,
              let last = snapshots.last, snapshots.count >= 2 else { return }
        let candidates = StatementWindow(from: first, to: last).explainCandidates()
        let plans = candidates.map { statement in
            let plan = collector.explain(statement, analyze: analyze)
            guard plan.json == nil, let failure = plan.error, !failure.hasPrefix("not explained"),
                  let sample = StatementSample.of(statement, in: samples) else { return plan }
            return collector.explain(sample: sample, of: statement, normalisedFailure: failure)
        }
        let relations = collector.relations(in: plans)
        var trials: [IndexTrial] = []
        if collector.hypopgAvailable {
            for (statement, plan) in zip(candidates, plans) {
                for suggestion in IndexAdvisor.suggestions(for: plan, relations: relations) {
                    trials.append(collector.tryIndex(suggestion, statement: statement, before: plan))
                }
            }
        }
        evidence?.plans = plans
        evidence?.relations = relations
        evidence?.indexTrials = trials
    }
}

/// Wakes a sleeping sampler early: `poke` for a phase mark, `stop` for good.
private final class WakeSignal: @unchecked Sendable {
    // NSCondition guards both fields; that is what makes the unchecked Sendable sound.
    private let condition = NSCondition()
    private var stopped = false
    private var pokes = 0

    func poke() {
        condition.lock()
        pokes += 1
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps until `deadline`, a stop or (when `wakingOnPoke`) a poke; returns true once stopped.
    func wait(until deadline: Date, wakingOnPoke: Bool = true) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let seenPokes = pokes
        while !stopped && !(wakingOnPoke && pokes != seenPokes) && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
        return stopped
    }
}
