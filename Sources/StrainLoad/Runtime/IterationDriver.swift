import StrainProfile

/// How long a worker waits for requests still in flight once it stops starting new ones.
struct DrainLimits: Sendable {
    /// After the scheduled end of duration-bounded scenarios.
    var afterEnd: UInt64
    /// After a stop request (SIGINT/SIGTERM).
    var afterStop: UInt64

    /// The longest step timeout, at most 10 s, after the end; 1 s after a stop request.
    init(profile: Profile) {
        let longestTimeout = profile.scenarios.flatMap(\.steps).map(\.timeout.micros).max() ?? 0
        afterEnd = min(longestTimeout, 10_000_000)
        afterStop = 1_000_000
    }
}

/// The protocol-independent body of a worker thread: starts the iterations its schedulers make due,
/// walks each through its scenario's steps (think time between them; a failed step ends the iteration
/// only when it says so, e.g. a value for later steps is missing), records every outcome into
/// per-step tallies, hands the tallies over at each interval boundary, and drains at the end. The
/// engine does the I/O.
final class IterationDriver {
    private struct ScenarioState {
        let index: Int
        let stepCount: Int
        let thinkTime: UInt64
        /// Feeders whose rows each iteration picks when it starts.
        let feeders: [Int]
        let name: String
        var scheduler: IterationScheduler
        /// Where its schedule ends (µs) when bounded by duration: the worker stays until then, also when
        /// the iterations end sooner (the last arrival, a user's think time past the end), so the run
        /// lasts the time its rates are measured over. Nil once the scenario stopped early.
        var scheduledEnd: UInt64?
        /// Position of the scenario's first step in `tallies`.
        let firstTally: Int
        var completedIterations: UInt64 = 0
    }

    private let engine: any StepEngine
    private let control: RunControl
    private let clock: RunClock
    private let inputs: RunInputs
    private let worker: Int
    private let random: WorkerRandom
    private let limits: DrainLimits
    private let requestsInFlight: RequestsInFlight?
    private var scenarios: [ScenarioState] = []
    /// One per step of the worker's scenarios, for the current interval.
    private var tallies: [StepTally] = []
    /// The run-wide step number of each tally.
    private var stepNumbers: [Int] = []
    private var waitingForThinkTime = TimerQueue()
    private var wakeLead = WakeLead()
    private var inFlight = 0
    private var stopping = false
    /// Past this, whatever is still in flight is abandoned.
    private var abandonAt: UInt64?
    private var interval = 0
    private var cpuAtIntervalStart = RunClock.threadCPUMicros()
    /// The engine's finished steps of one turn; kept so that turns reuse its storage.
    private var completions: [Completion] = []
    /// Ended iterations, whose objects later iterations reuse once nothing else holds them.
    private var endedIterations: [Iteration] = []

    /// - Parameter worker: the worker's number among all workers of the run (reports are keyed by it).
    init(worker: Int, setup: WorkerSetup, layout: LoadLayout, engine: any StepEngine, control: RunControl,
         clock: RunClock, limits: DrainLimits, requestsInFlight: RequestsInFlight? = nil) {
        self.engine = engine
        self.requestsInFlight = requestsInFlight
        self.control = control
        self.clock = clock
        self.inputs = setup.inputs
        self.worker = worker
        self.limits = limits
        random = WorkerRandom(seed: setup.seed &+ 0x5eed_0000 &+ UInt64(worker))
        // The end of the last schedule, nil when a scenario is bounded by iterations.
        var lastScheduledEnd: UInt64? = 0
        for share in setup.shares {
            let scenario = setup.profile.scenarios[share.scenario]
            let scheduler: IterationScheduler
            let end: UInt64?
            switch scenario.load {
            case .open(let open):
                scheduler = IterationScheduler(open: Self.pacer(open, share: share, seed: setup.seed, profile: setup.profile), slots: share.concurrency,
                                               backlogLimit: Self.backlogLimit(open, sharers: share.arrivalSlot.share))
                end = open.duration.micros
            case .closed(let closed):
                if case .duration(let duration) = closed.bound { end = duration.micros } else { end = nil }
                scheduler = IterationScheduler(closedUsers: share.concurrency, thinkTime: scenario.thinkTime.micros,
                                               end: end, budget: share.budget)
            }
            lastScheduledEnd = end.flatMap { end in lastScheduledEnd.map { max($0, end) } }
            let feederNames = Set(scenario.steps.flatMap(\.references).compactMap { reference -> String? in
                if case .feeder(let name, _) = reference { name } else { nil }
            })
            scenarios.append(ScenarioState(
                index: share.scenario, stepCount: scenario.steps.count, thinkTime: scenario.thinkTime.micros,
                feeders: feederNames.compactMap { inputs.feeder(named: $0) }.sorted(), name: scenario.name,
                scheduler: scheduler, scheduledEnd: end, firstTally: tallies.count))
            for step in scenario.steps.indices {
                tallies.append(StepTally())
                stepNumbers.append(layout.stepNumber(scenario: share.scenario, step: step))
            }
        }
        abandonAt = lastScheduledEnd.map { $0 + limits.afterEnd }
    }

    /// This worker's part of the scenario's arrivals (over all shards). Seeded by the run's seed and the
    /// scenario's index: each run draws fresh Poisson arrivals, and the recorded seed replays them.
    static func pacer(_ open: OpenLoad, share: ScenarioShare, seed: UInt64, profile: Profile) -> Pacer {
        let (slot, sharers) = share.arrivalSlot
        return Pacer(curve: ArrivalCurve(open.segments), arrival: open.arrival == .poisson ? .poisson : .constant,
                     slot: slot, share: sharers, seed: seed &+ UInt64(share.scenario),
                     phase: constantRatePhase(of: share.scenario, in: profile))
    }

    /// Constant-rate scenarios take turns: the k-th of n starts its schedule k/n of a gap late. Begun
    /// together, ten scenarios at a few a second each would send ten requests at the same instant
    /// every second, a burst nobody asked for, and the target's queueing under it would be measured
    /// as every scenario's latency. Only the first such scenario starts at 0, so a run of one keeps
    /// its arrival at the start.
    static func constantRatePhase(of scenario: Int, in profile: Profile) -> Double {
        let constantRate = profile.scenarios.indices.filter { index in
            if case .open(let open) = profile.scenarios[index].load { open.arrival != .poisson } else { false }
        }
        guard let turn = constantRate.firstIndex(of: scenario) else { return 0 }
        return Double(turn) / Double(constantRate.count)
    }

    /// Arrivals that may wait for a free slot: ten seconds of the scenario's peak rate (this worker's
    /// part of it among `sharers` takers), at least 1,000. Beyond it, arrivals are counted as dropped.
    static func backlogLimit(_ open: OpenLoad, sharers: Int) -> Int {
        let peak = ([open.start] + open.stages.map(\.target)).map(\.perSecond).max() ?? 0
        return max(1_000, Int((peak * 10 / Double(sharers)).rounded(.up)))
    }

    /// Runs until every scenario has ended and drained, or a stop request's grace period is over.
    /// Always hands over a final report, also when the engine fails.
    func run() throws(LoadError) {
        do {
            try loop()
        } catch {
            abandon()
            handOverFinal()
            throw error
        }
        handOverFinal()
    }

    private func handOverFinal() {
        let end = clock.now()
        handOverIntervals(upTo: end)
        handOver(end: end, isFinal: true)
    }

    private func loop() throws(LoadError) {
        while true {
            var now = clock.now()
            handOverIntervals(upTo: now)
            if !stopping, control.stopRequested { stop(now: now) }
            if let abandonAt, now >= abandonAt {
                abandon()
                break
            }
            startDue(now: now)
            // Wake for the next boundary, start, timer or schedule's end, and at least every 50 ms to notice a stop request.
            var deadline = min(UInt64(interval + 1) * intervalMicros, now + 50_000)
            if let timer = waitingForThinkTime.nextTime { deadline = min(deadline, timer) }
            var scheduleRunning = false
            for scenario in scenarios {
                if let wakeup = scenario.scheduler.nextWakeup { deadline = min(deadline, wakeup) }
                if let end = scenario.scheduledEnd, end > now {
                    scheduleRunning = true
                    deadline = min(deadline, end)
                }
            }
            if inFlight == 0, waitingForThinkTime.isEmpty, !scheduleRunning, !scenarios.contains(where: { $0.scheduler.willStartMore }) { break }
            if let abandonAt { deadline = min(deadline, abandonAt) }
            let wake = wakeLead.wakeTime(for: deadline, now: now)
            try engine.waitForCompletions(until: wake, clock: clock, into: &completions)
            // Read before the completions are handled, so that their work is not taken for the kernel's lateness.
            if wake > now { wakeLead.observe(asked: wake, woke: clock.now()) }
            if !completions.isEmpty {
                now = clock.now()
                // Read in place, not copied out one by one; `finish` does not touch `completions`.
                completions.withUnsafeMutableBufferPointer { finished in
                    for index in finished.indices { finish(finished[index].iteration, &finished[index].outcome, now: now) }
                }
                completions.removeAll(keepingCapacity: true)
            }
        }
    }

    // MARK: Starting

    private func startDue(now: UInt64) {
        while let iteration = waitingForThinkTime.popDue(now: now) {
            startStep(iteration, now: now)
        }
        for index in scenarios.indices {
            while let start = scenarios[index].scheduler.nextStart(now: now) {
                startIteration(index, start, now: now)
            }
        }
    }

    private func startIteration(_ index: Int, _ start: IterationScheduler.Start, now: UInt64) {
        guard let rows = Iteration.pickFeederRows(scenarios[index].feeders, inputs: inputs, random: random) else {
            scenarios[index].scheduler.finished(start, at: now)
            scenarios[index].scheduler.stop()
            scenarios[index].scheduledEnd = nil
            let exhausted = scenarios[index].feeders.map { inputs.feeders[$0] }.filter { $0.mode == .unique }.map(\.name)
            let reason = "scenario \"\(scenarios[index].name)\" stopped: its unique feeder \(exhausted.joined(separator: ", ")) ran out of rows"
            control.note(reason)
            control.stopEarly(.feederExhausted, reason, stopRun: false)
            return
        }
        if !start.delayed {
            tallies[scenarios[index].firstTally].record(now - min(now, start.intended), in: .schedulerLag)
        }
        startStep(makeIteration(index, start, feederRows: rows), now: now)
    }

    /// A new iteration of the worker's scenario `index`, in the object of an ended one when no engine
    /// holds that any more.
    private func makeIteration(_ index: Int, _ start: IterationScheduler.Start, feederRows: [Int]) -> Iteration {
        if var ended = endedIterations.popLast(), isKnownUniquelyReferenced(&ended) {
            ended.restart(scenario: scenarios[index].index, workerScenario: index, start: start, feederRows: feederRows)
            return ended
        }
        return Iteration(scenario: scenarios[index].index, workerScenario: index, start: start, feederRows: feederRows,
                         inputs: inputs, random: random)
    }

    private func startStep(_ iteration: Iteration, now: UInt64) {
        do {
            try engine.start(iteration, now: now)
            inFlight += 1
            requestsInFlight?.started(step: stepNumbers[scenarios[iteration.workerScenario].firstTally + iteration.step])
        } catch {
            let stepCount = scenarios[iteration.workerScenario].stepCount
            tallies[scenarios[iteration.workerScenario].firstTally + iteration.step].recordNotSent(error)
            // Nothing was sent, so nothing will finish: go on (or end) right here.
            if error.endsIteration || iteration.step + 1 == stepCount || stopping {
                endIteration(iteration, at: now, completed: !error.endsIteration && iteration.step + 1 == stepCount)
            } else {
                iteration.step += 1
                iteration.stepIntended = now + scenarios[iteration.workerScenario].thinkTime
                waitingForThinkTime.push(iteration, at: iteration.stepIntended)
            }
        }
    }

    // MARK: Finishing

    /// `outcome` is inout only so that it is read where it lies: passed by value out of the buffer of
    /// completions, the 300-byte outcome was copied (and its strings retained) per request.
    private func finish(_ iteration: Iteration, _ outcome: inout StepOutcome, now: UInt64) {
        inFlight -= 1
        requestsInFlight?.ended(step: stepNumbers[scenarios[iteration.workerScenario].firstTally + iteration.step])
        // Fields, not a copy of the scenario's state: a copy would share its scheduler's queue, which
        // `endIteration` then appends to, copying the whole queue.
        let scenario = iteration.workerScenario
        tallies[scenarios[scenario].firstTally + iteration.step].record(outcome, intended: iteration.stepIntended)
        let isLast = iteration.step + 1 == scenarios[scenario].stepCount
        let cutShort = outcome.failure?.endsIteration == true
        guard !isLast, !cutShort, !stopping else {
            endIteration(iteration, at: outcome.finishedAt, completed: isLast && !cutShort)
            return
        }
        iteration.step += 1
        let thinkTime = scenarios[scenario].thinkTime
        iteration.stepIntended = outcome.finishedAt + thinkTime
        if thinkTime == 0 {
            startStep(iteration, now: now)
        } else {
            waitingForThinkTime.push(iteration, at: iteration.stepIntended)
        }
    }

    private func endIteration(_ iteration: Iteration, at time: UInt64, completed: Bool) {
        engine.iterationEnded(iteration)
        if completed { scenarios[iteration.workerScenario].completedIterations += 1 }
        scenarios[iteration.workerScenario].scheduler.finished(iteration.start, at: time)
        endedIterations.append(iteration)
    }

    // MARK: Stopping

    /// A stop request: start nothing more, give what is in flight a short grace period.
    private func stop(now: UInt64) {
        stopping = true
        for index in scenarios.indices {
            scenarios[index].scheduler.stop()
            scenarios[index].scheduler.abandonBacklog()
            scenarios[index].scheduledEnd = nil
        }
        while let iteration = waitingForThinkTime.popFirst() {
            endIteration(iteration, at: now, completed: false)
        }
        abandonAt = min(abandonAt ?? .max, now + limits.afterStop)
    }

    private func abandon() {
        let now = clock.now()
        for iteration in engine.abandonInFlight() {
            let tally = scenarios[iteration.workerScenario].firstTally + iteration.step
            tallies[tally].recordUnfinished(at: now)
            requestsInFlight?.ended(step: stepNumbers[tally])
        }
        inFlight = 0
        waitingForThinkTime.removeAll()
        for index in scenarios.indices {
            scenarios[index].scheduler.stop()
            scenarios[index].scheduler.abandonBacklog()
        }
    }

    // MARK: Intervals

    private func handOverIntervals(upTo now: UInt64) {
        while now >= UInt64(interval + 1) * intervalMicros {
            handOver(end: UInt64(interval + 1) * intervalMicros, isFinal: false)
        }
    }

    private func handOver(end: UInt64, isFinal: Bool) {
        for index in scenarios.indices {
            let missed = scenarios[index].scheduler.takeMissed()
            tallies[scenarios[index].firstTally].add(missed.delayed, to: .missed)
            tallies[scenarios[index].firstTally].add(missed.dropped, to: .dropped)
        }
        var steps: [Int: StepTally] = [:]
        for index in tallies.indices where !tallies[index].isEmpty {
            steps[stepNumbers[index]] = tallies[index]
            tallies[index] = StepTally()
        }
        var iterations: [Int: UInt64] = [:]
        for index in scenarios.indices where scenarios[index].completedIterations > 0 {
            iterations[scenarios[index].index] = scenarios[index].completedIterations
            scenarios[index].completedIterations = 0
        }
        let cpu = RunClock.threadCPUMicros()
        control.submit(WorkerReport(worker: worker, interval: interval, end: end, isFinal: isFinal,
                                    cpuMicros: cpu - min(cpu, cpuAtIntervalStart), steps: steps, iterations: iterations))
        cpuAtIntervalStart = cpu
        interval += 1
    }
}

/// Iterations waiting out think time before their next step, earliest first (a binary min-heap).
struct TimerQueue {
    private var heap: [(time: UInt64, iteration: Iteration)] = []

    var isEmpty: Bool { heap.isEmpty }
    var nextTime: UInt64? { heap.first?.time }

    mutating func push(_ iteration: Iteration, at time: UInt64) {
        heap.append((time, iteration))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].time < heap[parent].time else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest iteration if its time has come.
    mutating func popDue(now: UInt64) -> Iteration? {
        guard let first = heap.first, first.time <= now else { return nil }
        return popFirst()
    }

    mutating func popFirst() -> Iteration? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast().iteration
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].time < heap[smallest].time { smallest = left }
            if right < heap.count, heap[right].time < heap[smallest].time { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    mutating func removeAll() {
        heap.removeAll()
    }
}

extension OpenLoad {
    /// The load shape as the Pacer's curve segments.
    var segments: [ArrivalCurve.Segment] {
        var from = start.perSecond
        return stages.map { stage in
            defer { from = stage.target.perSecond }
            return ArrivalCurve.Segment(duration: stage.duration.seconds, fromRate: from, toRate: stage.target.perSecond)
        }
    }
}
