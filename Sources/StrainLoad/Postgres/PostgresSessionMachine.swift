import StrainPQ

/// The protocol logic of one pooled PostgreSQL connection, as a pure state machine: no sockets, no
/// clock, no libpq calls. Its driver (`PostgresSession`) tells it what happened — a statement to send,
/// libpq's answer to a call, a result, the socket being ready, time passing — and carries out the
/// `Action` each event returns, feeding libpq's answer back as the next event. Outcomes of statements
/// are reported by appending them to the caller's buffer. Unit-tested without a server.
///
/// The connection is `connected`, `broken` (waiting for the next attempt to replace it, with a backoff
/// growing from 10 ms to 1 s while attempts fail) or `connecting` (a replacement being opened, polled
/// for what libpq asks, given up after `connectAttemptLimit`). While connected, what was sent and not
/// yet answered (statements, pipeline sync points, the session's own rollbacks) waits in `inFlight`, in
/// the order the server answers; an iteration (without pipeline mode) owns the session from its first
/// `send` to `iterationFinished`, and BEGIN / COMMIT results say whether a transaction is open.
struct PostgresSessionMachine {
    /// What the driver does next. After each, it reports libpq's answer as the event named.
    enum Action: Equatable {
        case none
        /// Flush what libpq holds; then `flushed` or `connectionFailed`.
        case flush
        /// Pipeline mode: mark a sync point and flush; then `flushed` or `connectionFailed`.
        case sync
        /// Send ROLLBACK (simple protocol) and flush; then `flushed` or `connectionFailed`.
        case rollback
        /// Read what arrived, hand over each result that is complete while `wantsResults`
        /// (`received`), then `readEnded`.
        case read
        /// Start opening a replacement connection; then `connectStarted` or `connectFailed`.
        case startConnecting
        /// Take the replacement one step further; then `connectProgressed` or `connectFailed`.
        case continueConnecting
        /// The replacement is open: prepare the statements on it and make it non-blocking (and
        /// pipelined); then `opened` or `connectFailed`.
        case prepare
        /// Drop the connection, or the attempt to open one.
        case close
        /// Ask the server to stop what is in flight (best effort; nothing follows).
        case cancel
    }

    /// How a statement goes to libpq.
    enum SendForm: Equatable {
        /// By the name it was prepared under.
        case prepared
        /// Its SQL with the parameters apart (extended protocol, unnamed statement).
        case unnamed
        /// Its text with the values written in as literals, as pgbench -M simple sends it.
        case simple
    }

    enum Link: Equatable {
        case connected
        /// Broken; the next attempt to replace it is due at `retryAt`.
        case broken(retryAt: UInt64)
        /// A replacement is being opened: polled for `interest`, given up at `giveUpAt`.
        case connecting(interest: SocketInterest, giveUpAt: UInt64)
    }

    /// How long an attempt to open a replacement connection may take (µs) before it is given up
    /// and retried: libpq's own connect_timeout does not apply to non-blocking connects.
    static let connectAttemptLimit: UInt64 = 10_000_000

    let workload: PostgresWorkload
    private(set) var link = Link.connected
    /// Per statement: whether it is prepared on the connection. A statement the server refused to
    /// prepare (e.g. its table does not exist yet) runs unnamed, so each execution reports the
    /// server's error, or succeeds once the cause is gone.
    private var isPrepared: [Bool]
    private var inFlight = FIFO<InFlight>()
    /// Statements sent (or queued for the next pipeline batch) and not yet answered.
    private(set) var statementsInFlight = 0
    /// Pipeline mode: statements queued for the next batch (counted in `statementsInFlight` too).
    private var unsynced = 0
    private var flushPending = false
    /// Between a successful BEGIN and its COMMIT / ROLLBACK (without pipeline mode).
    private var inTransaction = false
    /// Without pipeline mode: between an iteration's first `send` and `iterationFinished`.
    private(set) var iterationOpen = false
    /// The connection broke while the open iteration was between steps: its next step cannot
    /// run on a new connection (its session state and transaction are gone).
    private var iterationLostConnection = false
    /// The server sent a FATAL error: it is closing the connection, whether or not libpq has
    /// noticed yet, so nothing more may be sent on it.
    private var serverClosingReason: String?
    private var backoff = ReconnectBackoff()
    /// Why the connection broke, or why the latest attempt to replace it failed.
    private(set) var lastConnectionError: String?
    /// The latest attempt to replace the broken connection failed: the server refuses or is out of
    /// reach, beyond a connection that merely broke (a replacement is tried at once).
    private(set) var isDown = false
    private(set) var counters = PostgresSessionCounters()

    /// A session whose first connection is open, `isPrepared` saying which statements it prepared.
    init(workload: PostgresWorkload, isPrepared: [Bool]) {
        self.workload = workload
        self.isPrepared = isPrepared
    }

    // MARK: What the driver reads

    var isConnected: Bool { link == .connected }

    /// Whether the socket is to be polled: connected, or opening a new connection.
    var needsPolling: Bool {
        if case .broken = link { false } else { true }
    }

    /// What to poll the socket for. Read while connected (results, and the server closing an idle
    /// connection); write too while libpq has data it could not send yet. While connecting,
    /// whatever libpq asked for.
    var interest: SocketInterest {
        switch link {
        case .connected: flushPending ? [.read, .write] : .read
        case .broken: []
        case .connecting(let interest, _): interest
        }
    }

    /// When `timerFired` has something to do: the next attempt to replace a broken connection, or
    /// the end of the attempt under way; nil while connected.
    var reconnectAt: UInt64? {
        switch link {
        case .connected: nil
        case .broken(let retryAt): retryAt
        case .connecting(_, let giveUpAt): giveUpAt
        }
    }

    /// Whether a new iteration can begin here now.
    var canStartIteration: Bool {
        link == .connected && hasRoom && !(workload.pipelineDepth == nil && iterationOpen)
    }

    /// Whether `send` can take a statement now: there is room for it, or the connection is down
    /// (then `send` fails it at once). Without pipeline mode an iteration that owns the session
    /// always has room for its next step.
    var canSend: Bool { link != .connected || hasRoom }

    /// Nothing in flight (no statement, no sync point, no rollback).
    var isIdle: Bool { inFlight.isEmpty }

    /// Whether `read` is to hand over another complete result: something awaits one, and the
    /// server has not announced that it is closing.
    var wantsResults: Bool { !inFlight.isEmpty && serverClosingReason == nil }

    private var hasRoom: Bool {
        guard let depth = workload.pipelineDepth else { return inFlight.isEmpty }
        return statementsInFlight < depth
    }

    // MARK: Events: statements

    /// Step `step` of the caller's iteration number `iteration` is to be sent, its value checks
    /// expecting `expectedValues`. Returns how to hand it to libpq (then `sent` or `sendFailed`), or
    /// nil when it fails at once, its outcome reported (the connection is down).
    mutating func send(iteration: Int, step: Int, expectedValues: [String], now: UInt64,
                       into outcomes: inout [PostgresOutcome]) -> SendForm? {
        precondition(canSend, "send needs canSend: the pipeline is full or a statement is in flight")
        var pending = InFlight(kind: .statement(iteration: iteration, step: step), sentAt: now)
        pending.expectedValues = expectedValues
        if workload.pipelineDepth == nil { iterationOpen = true }
        guard link == .connected, !iterationLostConnection else {
            let reason = lastConnectionError ?? "the connection broke"
            outcomes.append(outcome(of: pending, completedAt: now, failure: .connectionLost(reason)))
            return nil
        }
        inFlight.append(pending)
        statementsInFlight += 1
        if workload.pipelineDepth != nil { unsynced += 1 }
        switch workload.queryProtocol {
        case .prepared where isPrepared[step]: return .prepared
        case .simple: return .simple
        case .prepared, .extended: return .unnamed
        }
    }

    /// libpq took the statement: flush it at once, or (pipeline mode) leave it for the batch.
    mutating func sent() -> Action {
        workload.pipelineDepth == nil ? .flush : .none
    }

    /// libpq refused the statement. While the connection is fine, nothing was sent (a parameter with
    /// a NUL byte, which PostgreSQL text cannot hold): it fails alone. Else the connection broke.
    mutating func sendFailed(reason: String, connectionOK: Bool, now: UInt64, into outcomes: inout [PostgresOutcome]) -> Action {
        guard connectionOK else { return connectionFailed(reason: reason, now: now, into: &outcomes) }
        let refused = inFlight.removeLast()
        statementsInFlight -= 1
        if workload.pipelineDepth != nil { unsynced -= 1 }
        outcomes.append(outcome(of: refused, completedAt: now, failure: .notSent(reason)))
        return .none
    }

    /// Pipeline mode, at the end of every turn of the worker's loop: the statements queued since
    /// the last batch go out as one, ended by a sync point, once no earlier batch is waiting for
    /// results (until then they stay queued). A statement's `sentAt` is when its batch went out.
    mutating func batchEnded(now: UInt64) -> Action {
        guard link == .connected, unsynced > 0, statementsInFlight == unsynced else { return .none }
        // Everything in flight now is this batch (and perhaps the previous batch's sync point).
        inFlight.updateAll { $0.sentAt = now }
        inFlight.append(InFlight(kind: .sync, sentAt: now))
        unsynced = 0
        return .sync
    }

    /// The iteration that owns the session is over (without pipeline mode): a transaction it left
    /// open is rolled back (`.rollback`, counted); the session is free for a new iteration once
    /// that is done.
    mutating func iterationFinished(now: UInt64) -> Action {
        guard workload.pipelineDepth == nil else { return .none }
        iterationOpen = false
        iterationLostConnection = false
        guard inTransaction, link == .connected else { return .none }
        inTransaction = false
        counters.rollbacks += 1
        inFlight.append(InFlight(kind: .rollback, sentAt: now))
        return .rollback
    }

    /// The run abandons what is in flight: closing the connection alone would leave a long
    /// statement running on the server.
    func stopRequested() -> Action {
        link == .connected && !inFlight.isEmpty ? .cancel : .none
    }

    // MARK: Events: the socket and libpq's answers

    mutating func writable() -> Action {
        switch link {
        case .connected: .flush
        case .connecting: .continueConnecting
        case .broken: .none
        }
    }

    mutating func readable() -> Action {
        switch link {
        case .connected: .read
        case .connecting: .continueConnecting
        case .broken: .none
        }
    }

    /// libpq flushed what it could; `pending` when data is left for when the socket is writable.
    mutating func flushed(pending: Bool) {
        flushPending = pending
    }

    /// A libpq call on the open connection failed: fails everything in flight, drops the connection
    /// and schedules its replacement.
    mutating func connectionFailed(reason: String, now: UInt64, into outcomes: inout [PostgresOutcome]) -> Action {
        counters.connectionsLost += 1
        lastConnectionError = reason
        while let item = inFlight.popFirst() {
            guard case .statement = item.kind else { continue }
            // The server's own explanation, when it sent one before closing (e.g. 57P01).
            let failure = if case .server? = item.failure?.kind { item.failure } else { PostgresFailure.connectionLost(reason) }
            outcomes.append(outcome(of: item, completedAt: now, failure: failure))
        }
        statementsInFlight = 0
        unsynced = 0
        flushPending = false
        inTransaction = false
        iterationLostConnection = iterationOpen
        serverClosingReason = nil
        link = .broken(retryAt: now + backoff.delay())
        return .close
    }

    /// One result of the head of `inFlight`, or nil when the head is complete (libpq's terminating nil).
    /// `transactionOpen` is the server's word, from the ReadyForQuery that completed it: read only then,
    /// and sturdier than the statement's command tag (`COMMIT AND CHAIN` is tagged COMMIT, yet leaves a
    /// transaction open).
    @inline(__always) // called once per result, from one place in a run
    mutating func received<Result: PostgresResultView>(_ result: Result?, transactionOpen: @autoclosure () -> Bool,
                                                       now: UInt64, into outcomes: inout [PostgresOutcome]) {
        let head = inFlight.peekFirst { $0.kind }
        if case .sync? = head {
            // A sync point yields one PGRES_PIPELINE_SYNC result and no terminating nil.
            inFlight.removeFirst()
            return
        }
        guard let result else {
            if case .statement? = head {
                statementsInFlight -= 1
                // Pipeline mode holds no transaction of an iteration's (validation refuses BEGIN there).
                if workload.pipelineDepth == nil { inTransaction = transactionOpen() }
                outcomes.append(inFlight.peekFirst { outcome(of: $0, completedAt: now, failure: $0.failure) }!)
            }
            inFlight.removeFirst()
            return
        }
        // A rollback's results say nothing anyone waits for.
        guard case .statement(_, let step)? = head else { return }
        let statement = workload.statements[step]
        var effect = ResultEffect.none
        inFlight.updateFirst { effect = Self.absorb(result, for: statement, into: &$0) }
        if case .serverClosing(let reason) = effect { serverClosingReason = reason }
    }

    /// A `read` is over. `failure` is why reading failed, if it did; `closingNotice` the FATAL notice
    /// the server sent before closing (asked for only when reading failed or the connection is not
    /// OK). What arrived before a connection closed has counted already; now it is dropped if it
    /// is closing. Else flushes what libpq still holds.
    mutating func readEnded(failure: String?, connectionOK: Bool, closingNotice: String?, now: UInt64,
                            into outcomes: inout [PostgresOutcome]) -> Action {
        if let reason = serverClosingReason ?? failure.map({ closingNotice ?? $0 })
            ?? (connectionOK ? nil : closingNotice ?? "the server closed the connection") {
            return connectionFailed(reason: reason, now: now, into: &outcomes)
        }
        return flushPending ? .flush : .none
    }

    // MARK: Events: replacing a broken connection

    /// Time has passed: once `reconnectAt` has come, starts opening a replacement, or gives up an
    /// attempt that took too long (and schedules the next).
    mutating func timerFired(now: UInt64) -> Action {
        switch link {
        case .broken(let retryAt) where now >= retryAt:
            return .startConnecting
        case .connecting(_, let giveUpAt) where now >= giveUpAt:
            return connectFailed(reason: "no connection after \(Self.connectAttemptLimit / 1_000_000) s", now: now)
        default:
            return .none
        }
    }

    /// libpq started the attempt: poll for writing first, as its protocol says.
    mutating func connectStarted(now: UInt64) {
        link = .connecting(interest: .write, giveUpAt: now + Self.connectAttemptLimit)
    }

    mutating func connectProgressed(_ progress: PGConnection.ConnectProgress) -> Action {
        guard case .connecting(_, let giveUpAt) = link else { return .none }
        switch progress {
        case .waitingToRead:
            link = .connecting(interest: .read, giveUpAt: giveUpAt)
            return .none
        case .waitingToWrite:
            link = .connecting(interest: .write, giveUpAt: giveUpAt)
            return .none
        case .connected:
            return .prepare
        }
    }

    /// The attempt failed (or timed out): dropped, the next one waits longer.
    mutating func connectFailed(reason: String, now: UInt64) -> Action {
        counters.failedReconnects += 1
        lastConnectionError = reason
        isDown = true
        link = .broken(retryAt: now + backoff.delay())
        return .close
    }

    /// The replacement is open and ready, `isPrepared` saying which statements it prepared.
    mutating func opened(isPrepared: [Bool]) {
        self.isPrepared = isPrepared
        link = .connected
        isDown = false
        counters.reconnects += 1
        backoff.reset()
    }

    // MARK: Results

    /// What a result changes beyond its statement's own record.
    private enum ResultEffect {
        case none
        /// A FATAL error: the server is closing the connection.
        case serverClosing(String)
    }

    /// Records what one result says about the statement it belongs to: rows, extracted values,
    /// the value checks, the first error, and transaction boundaries.
    private static func absorb<Result: PostgresResultView>(_ result: Result, for statement: PostgresStatement,
                                                           into item: inout InFlight) -> ResultEffect {
        switch result.status {
        case .tuplesOK, .singleTuple:
            item.rows = result.rowCount
            if item.failure == nil, let failure = extract(from: result, for: statement, into: &item) { item.failure = failure }
        case .commandOK:
            item.rows = result.affectedRows ?? 0
        case .pipelineAborted:
            item.failure = item.failure ?? .pipelineAborted
        case .fatalError, .badResponse:
            // The first error wins; it outranks a failed extraction or check of an earlier result.
            if let kind = item.failure?.kind, kind != .extraction, kind != .check { return .none }
            let error = result.serverError
            // Without a SQLSTATE on a broken connection, it is the connection's failure, not the statement's.
            if error?.sqlState == nil, !result.connectionOK {
                item.failure = .connectionLost(error?.message ?? "the server closed the connection")
            } else {
                item.failure = .server(sqlState: error?.sqlState, primaryMessage: error?.primaryMessage ?? error?.message ?? "\(result.status)")
            }
            if error?.severity == "FATAL" || error?.severity == "PANIC", let message = item.failure?.message {
                return .serverClosing(message)
            }
        default:
            break
        }
        return .none
    }

    /// The statement's extractions and value checks against the first row, or the first failure.
    private static func extract<Result: PostgresResultView>(from result: Result, for statement: PostgresStatement,
                                                            into item: inout InFlight) -> PostgresFailure? {
        for extraction in statement.extractions {
            switch firstRowValue(of: extraction.column, in: result) {
            case .value(let value):
                item.extracted.append(ExtractedValue(variable: extraction.variable, value: value))
            case .missing(let reason):
                return .extraction("cannot set \(extraction.variable): \(reason)")
            }
        }
        // By index: zip's iterator is not inlined here, and most statements check no value.
        for index in statement.checkedColumns.indices {
            let column = statement.checkedColumns[index], expected = item.expectedValues[index]
            switch firstRowValue(of: column, in: result) {
            case .value(let value) where value == expected:
                continue
            case .value(let value):
                return .check("column \"\(column)\" is \"\(StepFailure.bounded(value))\", expected \"\(StepFailure.bounded(expected))\"")
            case .missing(let reason):
                return .check(reason)
            }
        }
        return nil
    }

    private enum FirstRowValue {
        case value(String)
        case missing(String)
    }

    private static func firstRowValue<Result: PostgresResultView>(of column: String, in result: Result) -> FirstRowValue {
        guard let index = (0..<result.columnCount).first(where: { result.columnName($0) == column }) else {
            let columns = (0..<result.columnCount).map { result.columnName($0) }.joined(separator: ", ")
            return .missing("the result has no column \"\(column)\" (it has \(columns.isEmpty ? "none" : columns))")
        }
        guard result.rowCount > 0 else { return .missing("the result has no rows, so no \"\(column)\"") }
        guard let value = result.value(row: 0, column: index) else {
            return .missing("column \"\(column)\" of the first row is NULL")
        }
        return .value(value)
    }

    private func outcome(of item: InFlight, completedAt: UInt64, failure: PostgresFailure?) -> PostgresOutcome {
        guard case .statement(let iteration, let step) = item.kind else {
            preconditionFailure("only statements have outcomes")
        }
        var failure = failure
        if failure == nil, let expected = workload.statements[step].expectedRows, item.rows != expected {
            failure = .check("expected \(expected) row\(expected == 1 ? "" : "s"), got \(item.rows)")
        }
        return PostgresOutcome(iteration: iteration, step: step, sentAt: item.sentAt, completedAt: completedAt,
                               rows: item.rows, extracted: failure?.endsIteration == true ? [] : item.extracted,
                               failure: failure)
    }
}

/// What the session machine reads of one libpq result; a `PGResult` with its connection in a run, a
/// plain value in tests.
protocol PostgresResultView {
    var status: PGResult.Status { get }
    var rowCount: Int { get }
    /// Rows inserted, updated, deleted …; nil for commands that report none.
    var affectedRows: Int? { get }
    var commandTag: String { get }
    var columnCount: Int { get }
    func columnName(_ column: Int) -> String
    /// The value in text format, or nil for SQL NULL.
    func value(row: Int, column: Int) -> String?
    /// The error an error result describes.
    var serverError: PostgresServerError? { get }
    /// Whether the connection the result came over is still fine (asked about error results only).
    var connectionOK: Bool { get }
}

/// The fields of a statement's error that the session uses.
struct PostgresServerError: Equatable {
    var sqlState: String?
    var severity: String?
    var primaryMessage: String?
    var message: String
}

/// Something sent and not yet answered, in the order the server answers.
///
/// It lives in one place, the machine's queue (other copies are only read): so what few statements
/// have (values to check, extracted values, a failure) is kept out of line, shared by reference, and
/// the queue's copies of the common statement, which has none of it, retain nothing.
private struct InFlight {
    enum Kind {
        case statement(iteration: Int, step: Int)
        case sync
        /// Issued by the session itself; nobody waits for its outcome.
        case rollback
    }

    let kind: Kind
    var sentAt: UInt64
    var rows = 0
    private var more: More?

    private final class More {
        var extracted: [ExtractedValue] = []
        var expectedValues: [String] = []
        var failure: PostgresFailure?
    }

    init(kind: Kind, sentAt: UInt64) {
        self.kind = kind
        self.sentAt = sentAt
    }

    var extracted: [ExtractedValue] {
        get { more?.extracted ?? [] }
        set { ensureMore().extracted = newValue }
    }

    /// What the statement's value checks expect, one per `PostgresStatement.checkedColumns`.
    var expectedValues: [String] {
        get { more?.expectedValues ?? [] }
        set { if !newValue.isEmpty || more != nil { ensureMore().expectedValues = newValue } }
    }

    var failure: PostgresFailure? {
        get { more?.failure }
        set { ensureMore().failure = newValue }
    }

    private mutating func ensureMore() -> More {
        if let more { return more }
        let created = More()
        more = created
        return created
    }
}
