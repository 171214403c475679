import Dispatch
import Foundation
import StrainContract
import StrainProfile
import Synchronization

// The worker interface. A run has one thread per worker; each owns an engine (its connections and
// C handles) and an `IterationDriver` that does everything protocol-independent: scheduling,
// variables, think time, recording and interval hand-over. To add a protocol, implement
// `StepEngine` and `EngineFactory` and pass the factory to `LoadRun.run` (as `strain run` does).
//
// Life of a worker: `LoadRun` calls `EngineFactory.makeEngine` on the worker's thread with its
// `WorkerSetup`; once every worker is ready the run's clock starts. The driver then loops: it calls
// `start` for each step that is due (at most `ScenarioShare.concurrency` iterations in flight per
// scenario), `waitForCompletions` until the next thing to do, records each returned outcome, moves the
// iteration to its next step (after think time) and calls `iterationEnded` when it is over. At the end
// (or on a stop request) it waits a bounded drain period, then calls `abandonInFlight`.

/// The protocol-specific part of a worker: sends one step of an iteration and reports when it is done.
/// Lives on one thread; `start` must not block.
public protocol StepEngine: AnyObject {
    /// Sends step `iteration.step` of scenario `iteration.scenario`, rendering its `${…}` through
    /// `iteration`. Throwing records the step as failed without anything sent (e.g. it rendered to an
    /// unusable URL).
    func start(_ iteration: Iteration, now: UInt64) throws(StepFailure)

    /// Waits until something in flight finishes or the run clock reaches `deadline` (µs), then appends
    /// the finished steps to `completions` (the caller's buffer, empty on entry and reused from turn to
    /// turn, so a turn allocates nothing). Checks and extractions are done here (the engine has the
    /// response), writing extracted values with `Iteration.setVariable`.
    func waitForCompletions(until deadline: UInt64, clock: RunClock, into completions: inout [Completion]) throws(LoadError)

    /// Aborts everything in flight (the drain period ran out) and returns those iterations.
    func abandonInFlight() -> [Iteration]

    /// `iteration` is over (all steps done, cut short, or the run stopping): release what it held,
    /// e.g. the database connection its transaction was on.
    func iterationEnded(_ iteration: Iteration)
}

/// A finished step: the iteration it belongs to and what happened. A struct, not a tuple: a tuple of
/// these is copied through the runtime's generic tuple witnesses, and one is handed over per request.
public struct Completion {
    public let iteration: Iteration
    public var outcome: StepOutcome

    public init(_ iteration: Iteration, _ outcome: StepOutcome) {
        self.iteration = iteration
        self.outcome = outcome
    }
}

extension StepEngine {
    /// Engines whose steps hold nothing across an iteration need not implement it.
    public func iterationEnded(_ iteration: Iteration) {}
}

/// Makes the engines of one kind of scenario.
public protocol EngineFactory: Sendable {
    /// The scenarios this factory's engines drive.
    var kind: ScenarioKind { get }

    /// Called on the worker's own thread, before the run's clock starts: the engine and its handles
    /// never leave that thread. Work that waits on a server (opening connections) gives up once
    /// `stopRequested` says so.
    func makeEngine(_ setup: WorkerSetup, unless stopRequested: () -> Bool) throws(LoadError) -> any StepEngine
}

/// What one worker runs: its share of each scenario of its kind.
public struct WorkerSetup: Sendable {
    /// Index among the workers of this kind, and how many there are.
    public let worker: Int
    public let workers: Int
    public let profile: Profile
    public let inputs: RunInputs
    public let shares: [ScenarioShare]
    /// The run's seed (`RunOptions.seed`).
    public let seed: UInt64
}

/// One worker's part of a scenario.
public struct ScenarioShare: Sendable {
    /// Index in `Profile.scenarios`.
    public let scenario: Int
    /// This worker's place among the `sharers` workers of its shard that run the scenario.
    public let slot: Int
    public let sharers: Int
    /// Iterations that may run at once here: open-model slots or closed-model users. The parts of all
    /// sharers add up to the shard's part of the scenario exactly.
    public let concurrency: Int
    /// The connections the sharers split: the shard's part of the scenario's (PostgreSQL splits its pool by it).
    public let connections: Int
    /// The closed model's iteration budget, shared by the shard's workers, when it is bounded by iterations.
    public let budget: IterationBudget?
    /// The shard the worker belongs to (`.whole` when the run is not sharded).
    public let shard: Shard

    /// The Pacer's slot and share: this worker's place among every taker of the scenario's arrivals,
    /// over all shards.
    var arrivalSlot: (slot: Int, share: Int) { shard.arrivalSlot(worker: slot, workers: sharers) }

    /// Splits the shard's part of `scenario` over `workers` workers, so that each sharer has connections
    /// and iterations of its own; a worker gets nil when none is left for it.
    static func split(scenario: Int, part: ScenarioPart, workers: Int, budget: IterationBudget?, shard: Shard = .whole) -> [ScenarioShare?] {
        let sharers = max(1, min(workers, part.connections, part.concurrency))
        return (0..<workers).map { worker in
            guard worker < sharers else { return nil }
            let concurrency = part.concurrency / sharers + (worker < part.concurrency % sharers ? 1 : 0)
            return ScenarioShare(scenario: scenario, slot: worker, sharers: sharers, concurrency: concurrency,
                                 connections: part.connections, budget: budget, shard: shard)
        }
    }
}

/// Shared by the coordinator and every worker: the stop request, and where workers hand over their
/// interval reports.
public final class RunControl: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let merger: Mutex<IntervalMerger>
    private let notes = Mutex<[String]>([])
    private let clock = Mutex<RunClock?>(nil)
    private let earlyStop = Mutex<EarlyStop?>(nil)

    init(workers: Int) {
        merger = Mutex(IntervalMerger(workers: workers))
    }

    /// True once the run was asked to stop (a signal, or a worker failed).
    public var stopRequested: Bool {
        stopFlag.load(ordering: .relaxed)
    }

    public func requestStop() {
        stopFlag.store(true, ordering: .relaxed)
    }

    /// The run's clock started: early stops are timed on it from now on.
    func started(_ runClock: RunClock) {
        clock.withLock { $0 = runClock }
    }

    /// Records why the run, or a scenario of it, stops before its plan is done (the first reason
    /// stays), and stops the whole run when `stopRun`.
    func stopEarly(_ cause: EarlyStop.Cause, _ reason: String, stopRun: Bool = true) {
        let seconds = Double(clock.withLock { $0?.now() } ?? 0) / 1e6
        earlyStop.withLock { $0 = $0 ?? EarlyStop(cause: cause, reason: reason, at: seconds) }
        if stopRun { requestStop() }
    }

    /// The first early stop, if any.
    var firstEarlyStop: EarlyStop? {
        earlyStop.withLock { $0 }
    }

    public func submit(_ report: WorkerReport) {
        merger.withLock { $0.add(report) }
    }

    /// Sends an empty final report for a worker that failed before sending its own.
    func submitFinalIfSilent(worker: Int) {
        merger.withLock { $0.finish(worker: worker) }
    }

    /// Something the user should hear about once, e.g. a unique feeder running out of rows.
    public func note(_ text: String) {
        notes.withLock { notes in
            if !notes.contains(text) { notes.append(text) }
        }
    }

    /// Every note so far, once each, in the order they came.
    var allNotes: [String] {
        notes.withLock { $0 }
    }

    /// Merged outside the lock, on the caller's thread, so that a worker handing over is never kept waiting.
    func takeCompleteIntervals() -> (intervals: [MergedInterval], allFinished: Bool) {
        let (complete, allFinished) = merger.withLock { merger in (merger.takeCompleteReports(), merger.allFinished) }
        return (complete.map { MergedInterval(index: $0.index, reports: $0.reports) }, allFinished)
    }
}

/// Holds the run's clock back until every worker is ready (engine made), so set-up time is neither
/// scheduler lag nor part of the first interval.
final class StartGate: Sendable {
    private let workers: Int
    private let arrived = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let clock = Mutex<RunClock?>(nil)

    init(workers: Int) {
        self.workers = workers
    }

    /// A worker is ready (or failed to get ready); waits for the start and returns the run's clock.
    func arriveAndWait() -> RunClock {
        arrived.signal()
        released.wait()
        // Set before any worker is released.
        return clock.withLock { $0! }
    }

    /// Waits for every worker and, when given, for `startAt` (the shards' agreed start; in short naps,
    /// so that a stop request is not kept waiting), then starts the clock and releases them all.
    func open(notBefore startAt: Date? = nil, unless stopRequested: () -> Bool = { false }) -> RunClock {
        for _ in 0..<workers { arrived.wait() }
        while let startAt, !stopRequested() {
            let remaining = startAt.timeIntervalSinceNow
            guard remaining > 0 else { break }
            Thread.sleep(forTimeInterval: min(remaining, 0.05))
        }
        let started = RunClock()
        clock.withLock { $0 = started }
        for _ in 0..<workers { released.signal() }
        return started
    }
}
