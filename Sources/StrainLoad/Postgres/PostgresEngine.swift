import StrainContract
import StrainPQ
import StrainProfile

/// Makes one `PostgresEngine` per worker.
public struct PostgresEngineFactory: EngineFactory {
    public init() {}

    public var kind: ScenarioKind { .postgres }

    public func makeEngine(_ setup: WorkerSetup, unless stopRequested: () -> Bool) throws(LoadError) -> any StepEngine {
        try PostgresEngine(setup, unless: stopRequested)
    }
}

/// Runs a worker's PostgreSQL steps on its part of each scenario's pool of `PostgresSession`s,
/// waiting on all their sockets with one poll(2).
///
/// An iteration that finds no session free (every one busy, rolling back or reconnecting) waits in
/// its pool's queue; the time it waited, plus any time it waited for a slot in the open model's
/// backlog, is its first step's `poolWait`, kept apart from the query's service time. Without
/// pipeline mode an iteration keeps its session until its last step (its transaction lives there);
/// in pipeline mode each step takes room in whichever session has it. An iteration whose wait
/// outlasts its step's timeout fails with "pool timeout". While every session of the pool is down
/// (its latest attempt to reconnect failed: the server refuses, restarts or is gone), nothing waits
/// for one: in the open model an arrival fails at once with "no connection", as an HTTP request to a
/// refusing server does — counted as a failed request, not left to fill the backlog and be dropped
/// uncounted; a closed-model user fails with the next failed attempt (failing at once, it would
/// start again at once and spin).
///
/// Per statement: rows, checks, extracted variables, SQLSTATE status and errors by class. On an
/// iteration's last statement, its whole latency from the intended start ("transaction", pgbench's
/// per-transaction latency); a connection's first statement counts it (`newConnections`, and
/// `reconnects` when it replaced a broken one); the statement that ended an iteration inside a
/// transaction counts the rollback.
final class PostgresEngine: StepEngine {
    private let pools: [Pool?]
    /// What recording an outcome needs of its step, in plain values: reading them through the pool
    /// and statement objects retained and released both per statement. Indexed by
    /// `firstStep[scenario] + step`.
    private let stepFacts: [StepFacts]
    private let firstStep: [Int]
    private let sessions: [PooledSession]
    /// In-flight statements by the number their session reports them under; nil marks a free number.
    private var flights: [Flight?] = []
    private var freeFlightNumbers: [Int] = []
    /// The session each multi-step iteration holds without pipeline mode, from its first step on.
    private var heldSessions: [ObjectIdentifier: Int] = [:]
    /// Outcomes the sessions reported and the engine has not handed over yet.
    private var events: [PostgresOutcome] = []
    /// The other half of `events`' double buffer, so taking them allocates nothing.
    private var takenEvents: [PostgresOutcome] = []
    /// Sessions of pipelined pools, whose batches go out at every turn.
    private let pipelinedSessions: [Int]
    private var poller = SocketPoller()
    private var polledSessions: [Int] = []
    /// Reused for the parameters of statements sent at once.
    private var parameterBuffer: [PGParameter] = []
    /// The latest run-clock time the driver gave, for what `iterationEnded` (which is given none) sends.
    private var latestNow: UInt64 = 0

    init(_ setup: WorkerSetup, unless stopRequested: () -> Bool = { false }) throws(LoadError) {
        var pools = [Pool?](repeating: nil, count: setup.profile.scenarios.count)
        var sessions: [PooledSession] = []
        for share in setup.shares {
            let scenario = setup.profile.scenarios[share.scenario]
            guard let options = scenario.postgres else {
                throw LoadError(.badInput, "scenario \"\(scenario.name)\" is not a PostgreSQL scenario")
            }
            let workload: PostgresWorkload
            do {
                workload = try PostgresWorkload(scenario)
            } catch {
                throw LoadError(.badInput, error.description)
            }
            let conninfo = Self.render(options.conninfo, inputs: setup.inputs)
            let size = Self.connections(of: share.connections, for: share)
            let pool = Pool(scenario: scenario, workload: workload, sessions: sessions.count..<(sessions.count + size))
            for _ in 0..<size {
                do {
                    sessions.append(PooledSession(try PostgresSession(workload: workload, conninfo: conninfo, unless: stopRequested),
                                                  pool: share.scenario))
                } catch {
                    throw LoadError(.infrastructure, "scenario \"\(scenario.name)\": cannot connect to PostgreSQL: \(error)")
                }
            }
            pools[share.scenario] = pool
        }
        self.pools = pools
        var firstStep = [Int](repeating: -1, count: pools.count)
        var stepFacts: [StepFacts] = []
        for case let (scenario, pool?) in pools.enumerated() {
            firstStep[scenario] = stepFacts.count
            for (step, statement) in pool.statements.enumerated() {
                stepFacts.append(StepFacts(checkCount: statement.checkCount, isLast: step + 1 == pool.statements.count,
                                           pipelined: pool.pipelined, heldAcrossSteps: !pool.pipelined && pool.statements.count > 1))
            }
        }
        self.firstStep = firstStep
        self.stepFacts = stepFacts
        self.sessions = sessions
        pipelinedSessions = sessions.indices.filter { pools[sessions[$0].pool]!.pipelined }
        for index in sessions.indices.reversed() { offer(index) }
    }

    /// This worker's part of a pool of `pool` connections (the shard's part of the scenario's pool): the
    /// parts of the sharers add up to `pool`, and none is empty (a scenario is spread over at most `pool` workers).
    static func connections(of pool: Int, for share: ScenarioShare) -> Int {
        pool / share.sharers + (share.slot < pool % share.sharers ? 1 : 0)
    }

    /// The conninfo with its `${env.…}` filled in (the profile allows nothing else there).
    private static func render(_ conninfo: Template, inputs: RunInputs) -> String {
        conninfo.render { reference in
            if case .environment(let name) = reference { inputs.environment[name] ?? "" } else { "" }
        }
    }

    // MARK: StepEngine

    func start(_ iteration: Iteration, now: UInt64) throws(StepFailure) {
        latestNow = now
        let pool = pools[iteration.scenario]!
        let statement = pool.statements[iteration.step]
        // Overwritten in place rather than emptied and refilled: emptying an array is dear.
        let count = statement.parameters.count
        if parameterBuffer.count != count { parameterBuffer = [PGParameter](repeating: .null, count: count) }
        for index in 0..<count {
            parameterBuffer[index] = switch statement.parameters[index] {
            case .text(let text): .text(text)
            case .random(let range): .integer(iteration.randomInteger(in: range))
            case .template(let template): .text(try iteration.render(template))
            }
        }
        var expected: [String] = []
        // Most statements check no value: not even an iterator then.
        if !statement.expectedValues.isEmpty {
            for template in statement.expectedValues { expected.append(try iteration.render(template)) }
        }
        // An iteration holds a session only from its second step on.
        if !pool.pipelined, iteration.step > 0, let held = heldSessions[ObjectIdentifier(iteration)] {
            send(iteration, on: held, parameters: parameterBuffer, expected: expected, poolWait: nil, now: now)
            return
        }
        // In the open model an iteration that waited in the backlog waited for a connection too.
        let backlogWait = iteration.step == 0 && iteration.start.delayed ? now - min(now, iteration.stepIntended) : 0
        if let session = pool.state.connectionForNewRequest(capacity: capacity) {
            hold(session, for: iteration, in: pool)
            send(iteration, on: session, parameters: parameterBuffer, expected: expected, poolWait: backlogWait, now: now)
        } else if pool.arrivalsFailWhileDown, let reason = downReason(pool) {
            failWithoutConnection(iteration, pool, reason: reason, poolWait: backlogWait, now: now)
        } else {
            pool.state.enqueue(Waiting(iteration: iteration, parameters: parameterBuffer, expected: expected),
                               now: now, earlierWait: backlogWait, timeout: statement.timeout)
        }
    }

    func waitForCompletions(until deadline: UInt64, clock: RunClock, into completions: inout [Completion]) throws(LoadError) {
        var now = clock.now()
        latestNow = now
        var wakeUp = deadline
        reconnect(now: now, wakeUp: &wakeUp)
        failWaitingWhileDown(now: now)
        expireWaiting(now: now, wakeUp: &wakeUp)
        for index in pipelinedSessions {
            sessions[index].session.endBatch(now: now, into: &events)
        }
        if events.isEmpty {
            poller.removeAll()
            polledSessions.removeAll(keepingCapacity: true)
            for (index, session) in sessions.enumerated() where session.session.needsPolling {
                poller.add(session.session.socket, interest: session.session.interest)
                polledSessions.append(index)
            }
            let ready: Int
            do {
                ready = try poller.wait(timeout: wakeUp > now ? wakeUp - now : 0)
            } catch {
                throw LoadError(.infrastructure, "driving PostgreSQL connections: \(error)")
            }
            now = clock.now()
            latestNow = now
            if ready > 0 {
                for (position, index) in polledSessions.enumerated() {
                    let readiness = poller.ready(at: position)
                    guard !readiness.isEmpty else { continue }
                    let session = sessions[index].session
                    if readiness.contains(.write) { session.onWritable(now: now, into: &events) }
                    if readiness.contains(.read) { session.onReadable(now: now, into: &events) }
                    // A rollback that completed frees the session without an outcome.
                    offer(index)
                }
            }
        }
        finishEvents(now: now, into: &completions)
    }

    /// An iteration that still holds its session ended without its last statement's outcome (the run
    /// stopped during its think time, a later step could not be rendered): the session is released, a
    /// transaction the iteration left open rolled back, and iterations waiting for a session get it.
    func iterationEnded(_ iteration: Iteration) {
        // Mostly none is held (one-step and pipelined scenarios hold nothing): skip the hashing then.
        guard !heldSessions.isEmpty, let index = heldSessions.removeValue(forKey: ObjectIdentifier(iteration)) else { return }
        sessions[index].session.finishIteration(now: latestNow, into: &events)
        offer(index)
        let pool = pools[sessions[index].pool]!
        if pool.state.hasWaiting { dispatchWaiting(pool, now: latestNow) }
    }

    func abandonInFlight() -> [Iteration] {
        for pooled in sessions { pooled.session.cancelInFlight() }
        var abandoned = flights.compactMap { $0?.iteration }
        for pool in pools {
            guard let pool else { continue }
            abandoned += pool.state.removeWaiting().map(\.iteration)
        }
        flights.removeAll()
        freeFlightNumbers.removeAll()
        heldSessions.removeAll()
        return abandoned
    }

    // MARK: Sessions

    /// What a session can take now, as its pool's `ConnectionPool` asks: nil when it cannot start an
    /// iteration (in pipeline mode: a statement), else its statements in flight.
    private func capacity(_ index: Int) -> Int? {
        let session = sessions[index].session
        return session.canStartIteration ? session.statementsInFlight : nil
    }

    /// Tells the session's pool that it can take an iteration again (when it can).
    private func offer(_ index: Int) {
        let session = sessions[index]
        guard session.session.canStartIteration else { return }
        pools[session.pool]!.state.free(index)
    }

    /// Without pipeline mode, an iteration with steps still to come keeps the session it took.
    private func hold(_ session: Int, for iteration: Iteration, in pool: Pool) {
        if !pool.pipelined, iteration.step + 1 < pool.statements.count {
            heldSessions[ObjectIdentifier(iteration)] = session
        }
    }

    private func send(_ iteration: Iteration, on index: Int, parameters: [PGParameter], expected: [String],
                      poolWait: UInt64?, now: UInt64) {
        let number = track(Flight(iteration: iteration, session: index, poolWait: poolWait))
        sessions[index].session.send(iteration: number, step: iteration.step, parameters: parameters,
                                     expectedValues: expected, now: now, into: &events)
    }

    /// The number a session reports the flight's outcome under.
    private func track(_ flight: Flight) -> Int {
        if let free = freeFlightNumbers.popLast() {
            flights[free] = flight
            return free
        }
        flights.append(flight)
        return flights.count - 1
    }

    /// Hands queued iterations to the sessions that can take them, oldest first.
    private func dispatchWaiting(_ pool: Pool, now: UInt64) {
        while case .send(let waiting, let session, let poolWait)? = pool.state.nextDispatch(now: now, capacity: capacity) {
            hold(session, for: waiting.iteration, in: pool)
            send(waiting.iteration, on: session, parameters: waiting.parameters, expected: waiting.expected,
                 poolWait: poolWait, now: now)
        }
    }

    /// Starts replacing broken connections whose backoff is over (or gives up attempts that took too
    /// long); lowers `wakeUp` to the next such moment. A replacement is polled like any connection,
    /// and its session offered to waiting iterations once it is open.
    private func reconnect(now: UInt64, wakeUp: inout UInt64) {
        for session in sessions {
            guard let due = session.session.reconnectAt else { continue }
            if due <= now { session.session.reconnectIfDue(now: now) }
            if let next = session.session.reconnectAt { wakeUp = min(wakeUp, next) }
        }
    }

    /// Fails queued iterations that have waited longer than their step's timeout; lowers `wakeUp`
    /// to the next such moment.
    private func expireWaiting(now: UInt64, wakeUp: inout UInt64) {
        for pool in pools {
            guard let pool else { continue }
            while case .timeOut(let waiting, let poolWait, let waited)? = pool.state.nextExpired(now: now) {
                let number = track(Flight(iteration: waiting.iteration, session: nil, poolWait: poolWait))
                events.append(PostgresOutcome(iteration: number, step: waiting.iteration.step, sentAt: now, completedAt: now,
                                              rows: 0, extracted: [], failure: timeoutFailure(pool, waited: waited)))
            }
            if let expiry = pool.state.nextExpiry { wakeUp = min(wakeUp, expiry) }
        }
    }

    /// Why no session of `pool` can take an iteration until one reconnects: the latest attempt of
    /// every one failed. Nil while any is up, or broke but has not yet failed to reconnect.
    private func downReason(_ pool: Pool) -> String? {
        guard pool.state.sessions.allSatisfy({ sessions[$0].session.isDown }) else { return nil }
        return pool.state.sessions.lazy.compactMap { self.sessions[$0].session.lastConnectionError }.first
    }

    /// Fails the iterations waiting for a pool whose every session is down: in the open model at once,
    /// as later arrivals fail; in the closed model once per failed attempt to reconnect.
    private func failWaitingWhileDown(now: UInt64) {
        for pool in pools {
            guard let pool, let reason = downReason(pool) else { continue }
            let failedAttempts = pool.state.sessions.reduce(UInt64(0)) { $0 + sessions[$1].session.counters.failedReconnects }
            let anotherAttemptFailed = failedAttempts != pool.failedAttemptsSeen
            pool.failedAttemptsSeen = failedAttempts
            guard pool.state.hasWaiting, pool.arrivalsFailWhileDown || anotherAttemptFailed else { continue }
            for waiting in pool.state.removeWaiting() {
                failWithoutConnection(waiting.iteration, pool, reason: reason, poolWait: nil, now: now)
            }
        }
    }

    private func failWithoutConnection(_ iteration: Iteration, _ pool: Pool, reason: String, poolWait: UInt64?, now: UInt64) {
        let number = track(Flight(iteration: iteration, session: nil, poolWait: poolWait))
        let count = pool.state.sessions.count
        let context = count == 1 ? "the connection of scenario \"\(pool.name)\" on this worker is down"
                                 : "all \(count) connections of scenario \"\(pool.name)\" on this worker are down"
        events.append(PostgresOutcome(iteration: number, step: iteration.step, sentAt: now, completedAt: now,
                                      rows: 0, extracted: [], failure: .noConnection(context, reason: reason)))
    }

    /// Says how long the iteration waited and, when connections are down, why.
    private func timeoutFailure(_ pool: Pool, waited: UInt64) -> PostgresFailure {
        var message = "waited \(TimeSpan(seconds: Double(waited) / 1e6)) for one of the \(pool.state.sessions.count) connections of scenario \"\(pool.name)\" on this worker"
        let broken = pool.state.sessions.map { sessions[$0].session }.filter { !$0.isConnected }
        if let reason = broken.compactMap(\.lastConnectionError).first {
            message += "; \(broken.count) of them down: \(reason)"
        }
        return .poolTimeout(message)
    }

    // MARK: Outcomes

    /// Turns the sessions' outcomes into the driver's, ending iterations (and rolling back what they
    /// left open) and handing freed sessions to queued iterations. Ending or sending may report
    /// more outcomes at once; they are taken in the same pass.
    private func finishEvents(now: UInt64, into finished: inout [Completion]) {
        repeat {
            swap(&events, &takenEvents)
            defer { takenEvents.removeAll(keepingCapacity: true) }
            // Events read where they lie and flights moved out of their slots: a copy of either
            // retained (and then released) each of its references per statement.
            takenEvents.withUnsafeBufferPointer { taken in
                for index in taken.indices {
                    let number = taken[index].iteration
                    // Numbers of statements abandoned at the end are gone.
                    guard flights.indices.contains(number), let flight = flights[number].take() else { continue }
                    freeFlightNumbers.append(number)
                    // Filled in where it lies: the outcome is large, and copies of it add up.
                    finished.append(Completion(flight.iteration, StepOutcome(sentAt: taken[index].sentAt,
                                                                             finishedAt: taken[index].completedAt)))
                    record(taken[index], flight: flight, now: now, into: &finished[finished.count - 1].outcome)
                    if let session = flight.session { offer(session) }
                }
            }
            // Sessions freed by these outcomes, or by a rollback or reconnection without one.
            for case let pool? in pools where pool.state.hasWaiting {
                dispatchWaiting(pool, now: now)
            }
        } while !events.isEmpty
    }

    /// Fills in `outcome` (made with the event's times) from the event.
    private func record(_ event: PostgresOutcome, flight: Flight, now: UInt64, into outcome: inout StepOutcome) {
        let iteration = flight.iteration
        let facts = stepFacts[firstStep[iteration.scenario] + event.step]
        outcome.rows = UInt64(event.rows)
        outcome.phases[.poolWait] = flight.poolWait
        if !event.extracted.isEmpty {
            for value in event.extracted { iteration.setVariable(value.variable, to: value.value) }
        }
        if let failure = event.failure {
            outcome.failure = StepFailure(ErrorLabel(failure.label), failure.message, endsIteration: failure.endsIteration)
            switch failure.kind {
            case .server(let sqlState?):
                outcome.status = .sqlState(sqlState)
            case .check, .extraction:
                outcome.status = .sqlState(SQLState.success)
                outcome.checks = facts.checkCount
                outcome.checkFailures = failure.kind == .check ? 1 : 0
            default:
                break
            }
        } else {
            outcome.status = .sqlState(SQLState.success)
            outcome.checks = facts.checkCount
        }
        if outcome.status != nil, let session = flight.session { sessions[session].countConnections(into: &outcome) }

        let endsIteration = event.failure?.endsIteration == true || facts.isLast
        guard endsIteration else { return }
        if event.failure == nil {
            outcome.phases[.transaction] = event.completedAt - min(iteration.start.intended, event.completedAt)
        }
        if !facts.pipelined {
            if facts.heldAcrossSteps { heldSessions[ObjectIdentifier(iteration)] = nil }
            if let session = flight.session, sessions[session].session.finishIteration(now: now, into: &events) { outcome.rollbacks = 1 }
        }
    }
}

@available(*, unavailable, message: "a PostgresEngine belongs to its worker thread")
extension PostgresEngine: Sendable {}

/// One scenario's sessions on a worker, and the iterations waiting for one of them.
private final class Pool {
    /// What a step sends, rendered per execution. A class so that the hot path reads it in place
    /// rather than copying (and retaining) its arrays.
    final class Statement {
        let parameters: [Parameter]
        /// One per `PostgresStatement.checkedColumns`.
        let expectedValues: [Template]
        let timeout: UInt64
        /// Checks evaluated on a result: the row count and each value.
        let checkCount: UInt64

        /// How a parameter is rendered: the two common kinds decided once, not per execution (reading a
        /// template's one reference out of it copied and destroyed the reference every time).
        enum Parameter {
            case text(String)
            case random(ClosedRange<Int>)
            case template(Template)

            init(_ template: Template) {
                if let text = template.literalText {
                    self = .text(text)
                } else if case .generator(.random(let min, let max))? = template.soleReference {
                    self = .random(min...max)
                } else {
                    self = .template(template)
                }
            }
        }

        init(parameters: [Template], expectedValues: [Template], timeout: UInt64, checkCount: UInt64) {
            self.parameters = parameters.map(Parameter.init)
            self.expectedValues = expectedValues
            self.timeout = timeout
            self.checkCount = checkCount
        }
    }

    let name: String
    let statements: [Statement]
    let pipelined: Bool
    /// Open model: an arrival finding every session down fails at once instead of waiting.
    let arrivalsFailWhileDown: Bool
    /// Who gets which of its sessions (indexes into the engine's sessions).
    var state: ConnectionPool<Waiting>
    /// The sessions' failed attempts to reconnect as last counted: closed-model users waiting while
    /// all are down fail once per new one.
    var failedAttemptsSeen: UInt64 = 0

    init(scenario: Scenario, workload: PostgresWorkload, sessions: Range<Int>) {
        name = scenario.name
        statements = zip(scenario.steps, workload.statements).map { step, statement in
            let parameters = if case .sql(let query) = step.action { query.parameters } else { [Template]() }
            return Statement(parameters: parameters, expectedValues: step.check.values.map(\.expected),
                             timeout: step.timeout.micros,
                             checkCount: UInt64((statement.expectedRows == nil ? 0 : 1) + statement.checkedColumns.count))
        }
        pipelined = workload.pipelineDepth != nil
        if case .open = scenario.load { arrivalsFailWhileDown = true } else { arrivalsFailWhileDown = false }
        state = ConnectionPool(sessions: sessions, pipelined: pipelined)
    }

}

/// A session of a pool, with what the engine keeps about it.
private final class PooledSession {
    let session: PostgresSession
    /// The scenario index of its pool.
    let pool: Int
    /// Connections already counted on an outcome: the first, then each reconnection.
    private var connectionsCounted: UInt64 = 0

    init(_ session: PostgresSession, pool: Int) {
        self.session = session
        self.pool = pool
    }

    /// Counts the connections opened since the last outcome that reached the server.
    func countConnections(into outcome: inout StepOutcome) {
        let opened = session.counters.reconnects + 1
        guard opened > connectionsCounted else { return }
        outcome.newConnections = opened - connectionsCounted
        outcome.reconnects = opened - max(connectionsCounted, 1)
        connectionsCounted = opened
    }
}

/// What recording a step's outcome needs to know of it.
private struct StepFacts {
    /// Checks evaluated on a result: the row count and each value.
    let checkCount: UInt64
    /// The scenario's last step: its outcome ends the iteration.
    let isLast: Bool
    let pipelined: Bool
    /// Without pipeline mode, an iteration of several steps holds its session between them.
    let heldAcrossSteps: Bool
}

/// A statement in flight, under the number its session reports it by.
private struct Flight {
    let iteration: Iteration
    /// Nil when it never got one (it waited for a session in vain).
    let session: Int?
    /// Set on the step that had to find a session.
    let poolWait: UInt64?
}

/// An iteration waiting for a session, its step rendered already.
private struct Waiting {
    let iteration: Iteration
    let parameters: [PGParameter]
    let expected: [String]
}
