import StrainPQ
import StrainProfile

/// One pooled connection of a PostgreSQL scenario, driven without blocking by the worker thread
/// that owns it: the worker polls `socket` for `interest`, calls `onReadable` / `onWritable`
/// when it is ready, and collects a `PostgresOutcome` for every statement it handed to `send`.
/// The session holds no clock: every call takes `now` (µs on the caller's clock).
///
/// Without pipeline mode one statement is in flight at a time and an iteration owns the session
/// from its first step until `finishIteration`, so its transaction stays on one connection:
/// - start an iteration only when `canStartIteration`;
/// - `send` step 0, then, after each outcome that does not end the iteration, the next step;
/// - call `finishIteration` when the iteration is over, whatever happened (it rolls back a
///   transaction left open, e.g. after an error between BEGIN and COMMIT).
///
/// In pipeline mode up to `pipelineDepth` statements from many iterations are in flight at once
/// and complete in the order they were sent. Each `send` needs `canSend` and only queues the
/// statement; the worker calls `endBatch` at the end of every turn of its loop, which sends the
/// queued statements as one batch, ended by a sync point, as soon as the previous batch has been
/// answered in full (what pgbench does between \startpipeline and \endpipeline: one write and
/// one sync per batch, rather than per statement). A statement's `sentAt` is when its batch went
/// out. PostgreSQL runs a batch as one implicit transaction: a failed statement rolls back what
/// the batch did before it and the rest of the batch is skipped ("pipeline aborted").
/// Transaction control is not allowed here (see `PostgresWorkload`).
///
/// A broken connection fails every statement in flight ("connection lost", or the server's own
/// error when it said why, e.g. 57P01 when an administrator terminated it), is counted, and is
/// replaced: `reconnectAt` says when the worker should call `reconnectIfDue`; waits grow from
/// 10 ms to 1 s while attempts fail. The new connection is opened without blocking the worker
/// (its socket is polled like any other: `needsPolling`), each attempt bounded by
/// `connectAttemptLimit`; only preparing the statements on it, once the server has accepted it,
/// waits for the server's answers.
public final class PostgresSession {
    public let workload: PostgresWorkload
    private let conninfo: String

    private var connection: PGConnection?
    /// A replacement connection being opened, and what its socket is polled for meanwhile.
    private var connecting: PGConnection?
    private var connectingInterest: SocketInterest = []
    /// Per statement: whether it is prepared on `connection`. A statement the server refused to
    /// prepare (e.g. its table does not exist yet) runs unnamed, so each execution reports the
    /// server's error, or succeeds once the cause is gone.
    private var isPrepared: [Bool] = []
    private var inFlight = FIFO<InFlight>()
    /// Statements sent (or queued for the next pipeline batch) and not yet answered.
    public private(set) var statementsInFlight = 0
    /// Pipeline mode: statements queued for the next batch (counted in `statementsInFlight` too).
    private var unsynced = 0
    private var flushPending = false
    /// Between a successful BEGIN and its COMMIT / ROLLBACK (without pipeline mode).
    private var inTransaction = false
    /// Without pipeline mode: between an iteration's first `send` and `finishIteration`.
    private var iterationOpen = false
    /// The connection broke while the open iteration was between steps: its next step cannot
    /// run on a new connection (its session state and transaction are gone).
    private var iterationLostConnection = false
    /// The server sent a FATAL error: it is closing the connection, whether or not libpq has
    /// noticed yet, so nothing more may be sent on it.
    private var serverClosingReason: String?
    private var backoff = ReconnectBackoff()

    /// When to call `reconnectIfDue`: the next attempt to replace a broken connection, or the end
    /// of the attempt under way; nil while connected.
    public private(set) var reconnectAt: UInt64?
    /// How long an attempt to open a replacement connection may take (µs) before it is given up
    /// and retried: libpq's own connect_timeout does not apply to non-blocking connects.
    public static let connectAttemptLimit: UInt64 = 10_000_000
    /// Why the connection broke, or why the latest attempt to replace it failed.
    public private(set) var lastConnectionError: String?
    public private(set) var counters = PostgresSessionCounters()

    /// Connects, prepares the workload's statements (protocol "prepared") and switches to
    /// non-blocking (and pipeline) mode. Throws `PostgresError` when the first connection fails:
    /// a run should stop and say why rather than retry a wrong password forever.
    public init(workload: PostgresWorkload, conninfo: String) throws {
        self.workload = workload
        self.conninfo = conninfo
        try use(PGConnection(conninfo: conninfo))
    }

    // MARK: What the worker polls for

    public var isConnected: Bool { connection != nil }

    /// Whether `socket` is to be polled: the session is connected or opening a new connection.
    public var needsPolling: Bool { connection != nil || connecting != nil }

    /// The socket to poll; -1 while there is none.
    public var socket: Int32 { (connection ?? connecting)?.socket ?? -1 }

    /// What to poll `socket` for. Read while connected (results, and the server closing an idle
    /// connection); write too while libpq has data it could not send yet. While connecting,
    /// whatever libpq asked for.
    public var interest: SocketInterest {
        guard connection != nil else { return connecting != nil ? connectingInterest : [] }
        return flushPending ? [.read, .write] : .read
    }

    /// Whether a new iteration can begin here now.
    public var canStartIteration: Bool {
        connection != nil && hasRoom && !(workload.pipelineDepth == nil && iterationOpen)
    }

    /// Whether `send` can take a statement now: there is room for it, or the connection is down
    /// (then `send` fails it at once). Without pipeline mode an iteration that owns the session
    /// always has room for its next step.
    public var canSend: Bool {
        connection == nil || hasRoom
    }

    /// Nothing in flight (no statement, no sync point, no rollback).
    public var isIdle: Bool { inFlight.isEmpty }

    private var hasRoom: Bool {
        guard let depth = workload.pipelineDepth else { return inFlight.isEmpty }
        return statementsInFlight < depth
    }

    // MARK: Driving it

    /// Sends step `step` of iteration `iteration` with its rendered parameters (nil is NULL) and
    /// the values its value checks expect (one per `checkedColumns`). Its outcome arrives later
    /// from `onReadable`, or is appended to `events` at once when the statement cannot be sent
    /// (the connection is down, a parameter holds a NUL byte).
    public func send(iteration: Int, step: Int, parameters: [String?], expectedValues: [String] = [], now: UInt64,
                     into events: inout [PostgresOutcome]) {
        let statement = workload.statements[step]
        precondition(parameters.count == statement.parameterCount,
                     "step \"\(statement.name)\" takes \(statement.parameterCount) parameters, got \(parameters.count)")
        precondition(expectedValues.count == statement.checkedColumns.count,
                     "step \"\(statement.name)\" checks \(statement.checkedColumns.count) values, got \(expectedValues.count)")
        precondition(canSend, "send needs canSend: the pipeline is full or a statement is in flight")
        var pending = InFlight(kind: .statement(iteration: iteration, step: step), sentAt: now)
        pending.expectedValues = expectedValues
        if workload.pipelineDepth == nil { iterationOpen = true }
        guard let connection, !iterationLostConnection else {
            let reason = lastConnectionError ?? "the connection broke"
            events.append(outcome(of: pending, completedAt: now, failure: .connectionLost(reason)))
            return
        }
        do {
            switch workload.queryProtocol {
            case .prepared where isPrepared[step]:
                try connection.sendPrepared(name: statement.preparedName, parameters: parameters)
            case .simple:
                // The text with the values written in as literals, as pgbench -M simple sends it.
                try connection.sendSimpleQuery(statement.inlined.text(with: parameters))
            case .prepared, .extended:
                try connection.sendQuery(statement.sql, parameters: parameters)
            }
        } catch where connection.status == .ok {
            // Refused before anything was sent: a parameter with a NUL byte, which PostgreSQL
            // text cannot hold.
            events.append(outcome(of: pending, completedAt: now, failure: .notSent("\(error)")))
            return
        } catch {
            inFlight.append(pending)
            loseConnection(now: now, reason: "\(error)", into: &events)
            return
        }
        inFlight.append(pending)
        statementsInFlight += 1
        guard workload.pipelineDepth == nil else {
            unsynced += 1
            return
        }
        do {
            try flush(connection)
        } catch {
            loseConnection(now: now, reason: "\(error)", into: &events)
        }
    }

    /// Pipeline mode: sends the statements queued by `send` as one batch ended by a sync point,
    /// once no earlier batch is waiting for results (until then they stay queued). Call at the
    /// end of every turn of the worker's loop. Without pipeline mode there is nothing to do.
    public func endBatch(now: UInt64, into events: inout [PostgresOutcome]) {
        guard let connection, unsynced > 0, statementsInFlight == unsynced else { return }
        // Everything in flight now is this batch (and perhaps the previous batch's sync point).
        inFlight.updateAll { $0.sentAt = now }
        do {
            try connection.pipelineSync()
            inFlight.append(InFlight(kind: .sync, sentAt: now))
            unsynced = 0
            try flush(connection)
        } catch {
            loseConnection(now: now, reason: "\(error)", into: &events)
        }
    }

    /// Ends the iteration that owns the session (without pipeline mode): a transaction it left
    /// open is rolled back (counted in `counters.rollbacks`); the session is free for a new
    /// iteration once that is done. Returns whether it rolled back.
    @discardableResult
    public func finishIteration(now: UInt64, into events: inout [PostgresOutcome]) -> Bool {
        guard workload.pipelineDepth == nil else { return false }
        iterationOpen = false
        iterationLostConnection = false
        guard inTransaction, let connection else { return false }
        inTransaction = false
        counters.rollbacks += 1
        inFlight.append(InFlight(kind: .rollback, sentAt: now))
        do {
            try connection.sendSimpleQuery("ROLLBACK")
            try flush(connection)
        } catch {
            loseConnection(now: now, reason: "\(error)", into: &events)
        }
        return true
    }

    /// Asks the server to stop what this session has in flight: the run is abandoning it, and
    /// closing the connection alone would leave a long statement running there. Best effort: a
    /// server that cannot be reached has nothing left to stop for this client.
    public func cancelInFlight() {
        guard let connection, !inFlight.isEmpty else { return }
        try? connection.cancelRequest().send()
    }

    /// The socket is writable: send what libpq still holds.
    public func onWritable(now: UInt64, into events: inout [PostgresOutcome]) {
        if connecting != nil { continueConnecting(now: now) }
        guard let connection else { return }
        do {
            try flush(connection)
        } catch {
            loseConnection(now: now, reason: "\(error)", into: &events)
        }
    }

    /// The socket is readable: read what arrived and report every statement it completes.
    public func onReadable(now: UInt64, into events: inout [PostgresOutcome]) {
        if connecting != nil { continueConnecting(now: now) }
        guard let connection else { return }
        var readFailure: String?
        do {
            try connection.consumeInput()
        } catch {
            readFailure = "\(error)"
        }
        // What arrived before a connection closed still counts: results, or the server's reason.
        collectResults(from: connection, now: now, into: &events)
        if let reason = serverClosingReason
            ?? readFailure.map({ Self.closingReason(of: connection, otherwise: $0) })
            ?? (connection.status == .ok ? nil : Self.closingReason(of: connection, otherwise: "the server closed the connection")) {
            loseConnection(now: now, reason: reason, into: &events)
            return
        }
        guard flushPending else { return }
        do {
            try flush(connection)
        } catch {
            loseConnection(now: now, reason: "\(error)", into: &events)
        }
    }

    /// Once `reconnectAt` has come: starts opening a replacement for a broken connection, or gives
    /// up an attempt that took too long (and schedules the next). Returns whether the session is
    /// connected.
    @discardableResult
    public func reconnectIfDue(now: UInt64) -> Bool {
        guard connection == nil else { return true }
        guard let due = reconnectAt, now >= due else { return false }
        if connecting != nil {
            failAttempt(now: now, reason: "no connection after \(Self.connectAttemptLimit / 1_000_000) s")
            return false
        }
        do {
            connecting = try PGConnection(startingToConnect: conninfo)
            // libpq's protocol: poll for writing first, then as each continueConnecting says.
            connectingInterest = .write
            reconnectAt = now + Self.connectAttemptLimit
        } catch {
            failAttempt(now: now, reason: "\(error)")
        }
        return false
    }

    // MARK: Connection

    /// Takes the connection being opened one step further; once it is open, prepares it and
    /// puts it to use.
    private func continueConnecting(now: UInt64) {
        guard let opening = connecting else { return }
        do {
            switch try opening.continueConnecting() {
            case .waitingToRead:
                connectingInterest = .read
            case .waitingToWrite:
                connectingInterest = .write
            case .connected:
                connecting = nil
                try use(opening)
                counters.reconnects += 1
                backoff.reset()
                reconnectAt = nil
            }
        } catch {
            failAttempt(now: now, reason: "\(error)")
        }
    }

    private func failAttempt(now: UInt64, reason: String) {
        connecting = nil
        counters.failedReconnects += 1
        lastConnectionError = reason
        reconnectAt = now + backoff.delay()
    }

    /// Prepares an open connection's statements (protocol "prepared") and switches it to
    /// non-blocking (and pipeline) mode.
    private func use(_ connection: PGConnection) throws {
        if workload.queryProtocol == .simple, workload.statements.contains(where: { $0.parameterCount > 0 }),
           let encoding = connection.parameterStatus("client_encoding"),
           InlinedSQL.unsafeClientEncodings.contains(encoding.uppercased()) {
            throw PostgresError(message: "protocol \"simple\" writes parameters into the SQL as literals, which is unsafe in client_encoding \(encoding); set client_encoding=UTF8 (e.g. options='-c client_encoding=UTF8' in the conninfo) or use protocol \"prepared\"")
        }
        var isPrepared = Array(repeating: false, count: workload.statements.count)
        if workload.queryProtocol == .prepared {
            for (index, statement) in workload.statements.enumerated() {
                do {
                    try connection.prepare(name: statement.preparedName, sql: statement.sql)
                    isPrepared[index] = true
                } catch where connection.status == .ok {
                    // The server refused the statement itself; see `isPrepared`.
                }
            }
        }
        try connection.setNonBlocking(true)
        if workload.pipelineDepth != nil {
            try connection.enterPipelineMode()
        }
        self.connection = connection
        self.isPrepared = isPrepared
    }

    private func flush(_ connection: PGConnection) throws {
        flushPending = try connection.flush() == .pending
    }

    /// Why the server closed a connection that had nothing in flight: the FATAL error it sent
    /// first, e.g. 57P01 when an administrator terminated the backend or the server shut down;
    /// `otherwise` when it sent none.
    private static func closingReason(of connection: PGConnection, otherwise: String) -> String {
        // libpq hands over a notice when it parses the input, which isBusy does.
        _ = connection.isBusy
        guard let notice = connection.lastNotice, notice.severity == "FATAL" || notice.severity == "PANIC" else {
            return otherwise
        }
        let text = notice.primaryMessage ?? notice.message
        return notice.sqlState.map { "\($0): \(text)" } ?? text
    }

    /// Fails everything in flight, drops the connection and schedules its replacement.
    private func loseConnection(now: UInt64, reason: String, into events: inout [PostgresOutcome]) {
        counters.connectionsLost += 1
        lastConnectionError = reason
        while let item = inFlight.popFirst() {
            guard case .statement = item.kind else { continue }
            // The server's own explanation, when it sent one before closing (e.g. 57P01).
            let failure = if case .server? = item.failure?.kind { item.failure } else { PostgresFailure.connectionLost(reason) }
            events.append(outcome(of: item, completedAt: now, failure: failure))
        }
        statementsInFlight = 0
        unsynced = 0
        flushPending = false
        inTransaction = false
        iterationLostConnection = iterationOpen
        serverClosingReason = nil
        connection = nil
        reconnectAt = now + backoff.delay()
    }

    // MARK: Results

    /// Takes every result libpq has complete, in order; stops where it would have to wait.
    private func collectResults(from connection: PGConnection, now: UInt64, into events: inout [PostgresOutcome]) {
        while !inFlight.isEmpty, serverClosingReason == nil, !connection.isBusy {
            let result = connection.nextResult()
            if case .sync? = inFlight.peekFirst({ $0.kind }) {
                // A sync point yields one PGRES_PIPELINE_SYNC result and no terminating nil.
                _ = inFlight.popFirst()
                continue
            }
            guard let result else {
                // The statement (or rollback) at the head is complete.
                let item = inFlight.popFirst()!
                if case .statement = item.kind {
                    statementsInFlight -= 1
                    events.append(outcome(of: item, completedAt: now, failure: item.failure))
                }
                continue
            }
            inFlight.updateFirst { absorb(result, into: &$0, connection: connection) }
        }
    }

    /// Records what one result says about the statement it belongs to: rows, extracted values,
    /// the value checks, the first error, and transaction boundaries.
    private func absorb(_ result: PGResult, into item: inout InFlight, connection: PGConnection) {
        guard case .statement(_, let step) = item.kind else { return }
        let statement = workload.statements[step]
        switch result.status {
        case .tuplesOK, .singleTuple:
            item.rows = result.rowCount
            if item.failure == nil { item.failure = extract(from: result, for: statement, into: &item) }
        case .commandOK:
            item.rows = result.affectedRows ?? 0
            if statement.controlsTransaction { noteTransactionBoundary(result.commandTag) }
        case .pipelineAborted:
            item.failure = item.failure ?? .pipelineAborted
        case .fatalError, .badResponse:
            // The first error wins; it outranks a failed extraction or check of an earlier result.
            if let kind = item.failure?.kind, kind != .extraction, kind != .check { return }
            let error = result.error
            if error?.sqlState == nil, connection.status != .ok {
                item.failure = .connectionLost(error?.message ?? "the server closed the connection")
            } else {
                item.failure = .server(sqlState: error?.sqlState, primaryMessage: error?.primaryMessage ?? error?.message ?? "\(result.status)")
            }
            if error?.severity == "FATAL" || error?.severity == "PANIC" {
                serverClosingReason = item.failure?.message
            }
        default:
            break
        }
    }

    /// The statement's extractions and value checks against the first row, or the first failure.
    private func extract(from result: PGResult, for statement: PostgresStatement, into item: inout InFlight) -> PostgresFailure? {
        for extraction in statement.extractions {
            switch Self.firstRowValue(of: extraction.column, in: result) {
            case .value(let value):
                item.extracted.append(ExtractedValue(variable: extraction.variable, value: value))
            case .missing(let reason):
                return .extraction("cannot set \(extraction.variable): \(reason)")
            }
        }
        for (column, expected) in zip(statement.checkedColumns, item.expectedValues) {
            switch Self.firstRowValue(of: column, in: result) {
            case .value(let value) where value == expected:
                continue
            case .value(let value):
                return .check("column \"\(column)\" is \"\(value)\", expected \"\(expected)\"")
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

    private static func firstRowValue(of column: String, in result: PGResult) -> FirstRowValue {
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

    private func noteTransactionBoundary(_ commandTag: String) {
        switch commandTag {
        case "BEGIN", "START TRANSACTION": inTransaction = true
        case "COMMIT", "ROLLBACK", "PREPARE TRANSACTION": inTransaction = false
        default: break
        }
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

@available(*, unavailable, message: "a PostgresSession belongs to the worker thread that drives it")
extension PostgresSession: Sendable {}

/// Something sent and not yet answered, in the order the server answers.
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
    var extracted: [ExtractedValue] = []
    /// What the statement's value checks expect, one per `PostgresStatement.checkedColumns`.
    var expectedValues: [String] = []
    var failure: PostgresFailure?

    init(kind: Kind, sentAt: UInt64) {
        self.kind = kind
        self.sentAt = sentAt
    }
}
