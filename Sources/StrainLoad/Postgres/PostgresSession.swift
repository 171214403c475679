import StrainPQ
import StrainProfile

/// One pooled connection of a PostgreSQL scenario, driven without blocking by the worker thread
/// that owns it. This is the thin driver that makes libpq calls; what to call when, and what the
/// answers mean, is `PostgresSessionMachine`'s (tested without a server). The worker polls `socket`
/// for `interest`, calls `onReadable` / `onWritable` when it is ready, and collects a
/// `PostgresOutcome` for every statement it handed to `send`.
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
///
/// libpq opens every connection and prepares its statements; on a plain (unencrypted) connection the
/// statements are then sent and read by `PGWire`, which speaks the protocol itself for a fraction of
/// libpq's instructions per statement (`Transport`).
public final class PostgresSession {
    /// Who sends the statements and reads their results once a connection is open.
    public enum Transport: Sendable, CaseIterable {
        /// `PGWire` on plain connections; libpq on encrypted ones (TLS, GSSAPI), which only it can read.
        case automatic
        /// libpq throughout.
        case libpq
    }

    public let workload: PostgresWorkload
    private let conninfo: String
    private let transport: Transport
    /// The open connection, or the replacement being opened (the machine's `link` says which).
    private var connection: PGConnection?
    /// The open connection's statements, when `PGWire` took them over from libpq.
    private var wire: PGWire?
    /// Per statement, the bytes of its execution that are the same every time: by its prepared name,
    /// and as the unnamed statement.
    private let executions: [(prepared: PGWireExecution, unnamed: PGWireExecution)]
    private var machine: PostgresSessionMachine

    /// How long an attempt to open a replacement connection may take (µs) before it is given up
    /// and retried: libpq's own connect_timeout does not apply to non-blocking connects.
    public static var connectAttemptLimit: UInt64 { PostgresSessionMachine.connectAttemptLimit }

    /// Connects, prepares the workload's statements (protocol "prepared") and switches to
    /// non-blocking (and pipeline) mode. Throws `PostgresError` when the first connection fails:
    /// a run should stop and say why rather than retry a wrong password forever. The connection
    /// takes at most `connectAttemptLimit`, as a replacement does, and stops when `stopRequested` says so.
    public init(workload: PostgresWorkload, conninfo: String, transport: Transport = .automatic,
                unless stopRequested: () -> Bool = { false }) throws {
        self.workload = workload
        self.conninfo = conninfo
        self.transport = transport
        executions = try workload.statements.map { statement in
            // Column names only when something reads them: a Describe per execution is libpq's cost.
            let describe = !statement.extractions.isEmpty || !statement.checkedColumns.isEmpty
            let sync = workload.pipelineDepth == nil
            return (try PGWireExecution(statement: statement.preparedName, parameterCount: statement.parameterCount,
                                        describe: describe, sync: sync),
                    try PGWireExecution(statement: "", parameterCount: statement.parameterCount, describe: describe, sync: sync))
        }
        let connection = try PGConnection(conninfo: conninfo, within: .microseconds(Self.connectAttemptLimit), unless: stopRequested)
        let (isPrepared, wire) = try Self.use(connection, for: workload, transport: transport)
        machine = PostgresSessionMachine(workload: workload, isPrepared: isPrepared)
        self.connection = connection
        self.wire = wire
    }

    /// Whether `PGWire` speaks for the open connection (not libpq).
    public var speaksWireProtocol: Bool { wire != nil }

    deinit {
        if let connection { PostgresCancels.unregister(connection) }
    }

    // MARK: What the worker polls for

    public var isConnected: Bool { machine.isConnected }

    /// Whether `socket` is to be polled: the session is connected or opening a new connection.
    public var needsPolling: Bool { machine.needsPolling }

    /// The socket to poll; -1 while there is none.
    public var socket: Int32 { wire?.socket ?? connection?.socket ?? -1 }

    /// What to poll `socket` for (see `PostgresSessionMachine.interest`).
    public var interest: SocketInterest { machine.interest }

    /// Whether a new iteration can begin here now.
    public var canStartIteration: Bool { machine.canStartIteration }

    /// Whether `send` can take a statement now: there is room for it, or the connection is down
    /// (then `send` fails it at once). Without pipeline mode an iteration that owns the session
    /// always has room for its next step.
    public var canSend: Bool { machine.canSend }

    /// Nothing in flight (no statement, no sync point, no rollback).
    public var isIdle: Bool { machine.isIdle }

    /// Statements sent (or queued for the next pipeline batch) and not yet answered.
    public var statementsInFlight: Int { machine.statementsInFlight }

    /// When to call `reconnectIfDue`: the next attempt to replace a broken connection, or the end
    /// of the attempt under way; nil while connected.
    public var reconnectAt: UInt64? { machine.reconnectAt }

    /// Why the connection broke, or why the latest attempt to replace it failed.
    public var lastConnectionError: String? { machine.lastConnectionError }

    /// The latest attempt to replace the broken connection failed (see `lastConnectionError`).
    public var isDown: Bool { machine.isDown }

    public var counters: PostgresSessionCounters { machine.counters }

    // MARK: Driving it

    /// Sends step `step` of iteration `iteration` with its rendered parameters (nil is NULL) and
    /// the values its value checks expect (one per `checkedColumns`). Its outcome arrives later
    /// from `onReadable`, or is appended to `events` at once when the statement cannot be sent
    /// (the connection is down, a parameter holds a NUL byte).
    public func send(iteration: Int, step: Int, parameters: [PGParameter], expectedValues: [String] = [], now: UInt64,
                     into events: inout [PostgresOutcome]) {
        let statement = workload.statements[step]
        precondition(parameters.count == statement.parameterCount,
                     "step \"\(statement.name)\" takes \(statement.parameterCount) parameters, got \(parameters.count)")
        precondition(expectedValues.count == statement.checkedColumns.count,
                     "step \"\(statement.name)\" checks \(statement.checkedColumns.count) values, got \(expectedValues.count)")
        guard let form = machine.send(iteration: iteration, step: step, expectedValues: expectedValues, now: now, into: &events),
              let connection else { return }
        var next: PostgresSessionMachine.Action
        do {
            if let wire {
                switch form {
                case .prepared: try wire.sendPrepared(executions[step].prepared, parameters: parameters)
                case .simple: try wire.sendSimpleQuery(statement.inlined.text(with: parameters.map(\.text)),
                                                       describe: executions[step].prepared.describe)
                case .unnamed: try wire.sendUnnamed(sql: statement.sql, executions[step].unnamed, parameters: parameters)
                }
            } else {
                switch form {
                case .prepared: try connection.sendPrepared(name: statement.preparedName, parameters: parameters.map(\.text))
                case .simple: try connection.sendSimpleQuery(statement.inlined.text(with: parameters.map(\.text)))
                case .unnamed: try connection.sendQuery(statement.sql, parameters: parameters.map(\.text))
                }
            }
            next = machine.sent()
            // Without pipeline mode the statement goes out at once, on the connection at hand.
            if next == .flush {
                next = flush(connection, now: now, into: &events)
            }
        } catch {
            next = machine.sendFailed(reason: "\(error)", connectionOK: (wire?.status ?? connection.status) == .ok, now: now, into: &events)
        }
        perform(next, now: now, into: &events)
    }

    /// Pipeline mode: sends the statements queued since the last batch as one batch, ended by a
    /// sync point, once no earlier batch is waiting for results (until then they stay queued).
    /// Call at the end of every turn of the worker's loop. Without pipeline mode there is nothing to do.
    public func endBatch(now: UInt64, into events: inout [PostgresOutcome]) {
        perform(machine.batchEnded(now: now), now: now, into: &events)
    }

    /// Ends the iteration that owns the session (without pipeline mode): a transaction it left
    /// open is rolled back (counted in `counters.rollbacks`); the session is free for a new
    /// iteration once that is done. Returns whether it rolled back.
    @discardableResult
    public func finishIteration(now: UInt64, into events: inout [PostgresOutcome]) -> Bool {
        let action = machine.iterationFinished(now: now)
        perform(action, now: now, into: &events)
        return action == .rollback
    }

    /// Asks the server to stop what this session has in flight: the run is abandoning it, and
    /// closing the connection alone would leave a long statement running there. Best effort: a
    /// server that cannot be reached has nothing left to stop for this client.
    public func cancelInFlight() {
        var none: [PostgresOutcome] = []
        perform(machine.stopRequested(), now: 0, into: &none)
    }

    /// The socket is writable: send what libpq still holds, or go on connecting.
    public func onWritable(now: UInt64, into events: inout [PostgresOutcome]) {
        perform(machine.writable(), now: now, into: &events)
    }

    /// The socket is readable: read what arrived and report every statement it completes, or go on connecting.
    public func onReadable(now: UInt64, into events: inout [PostgresOutcome]) {
        perform(machine.readable(), now: now, into: &events)
    }

    /// Once `reconnectAt` has come: starts opening a replacement for a broken connection, or gives
    /// up an attempt that took too long (and schedules the next). Returns whether the session is
    /// connected.
    @discardableResult
    public func reconnectIfDue(now: UInt64) -> Bool {
        var none: [PostgresOutcome] = []
        perform(machine.timerFired(now: now), now: now, into: &none)
        return machine.isConnected
    }

    // MARK: Carrying out the machine's actions

    /// Carries out `action` and each one the machine returns for libpq's answer, until none is left.
    @inline(__always) // most events need nothing: then not even a call
    private func perform(_ action: PostgresSessionMachine.Action, now: UInt64, into events: inout [PostgresOutcome]) {
        if action != .none { carryOut(action, now: now, into: &events) }
    }

    /// `perform`'s work. The connection is loaded only here: loading it costs a retain.
    private func carryOut(_ action: PostgresSessionMachine.Action, now: UInt64, into events: inout [PostgresOutcome]) {
        guard let connection else {
            // Broken: only starting a replacement (or dropping a failed start) can follow.
            var action = action
            while action != .none { action = replace(action, now: now) }
            return
        }
        var action = action
        repeat {
            switch action {
            case .none:
                return
            case .flush:
                action = flush(connection, now: now, into: &events)
            case .read:
                action = read(connection, now: now, into: &events)
            case .sync, .rollback:
                do {
                    switch (action, wire) {
                    case (.sync, let wire?): try wire.pipelineSync()
                    case (_, let wire?): try wire.sendSimpleQuery("ROLLBACK", describe: false)
                    case (.sync, nil): try connection.pipelineSync()
                    case (_, nil): try connection.sendSimpleQuery("ROLLBACK")
                    }
                    action = flush(connection, now: now, into: &events)
                } catch {
                    action = machine.connectionFailed(reason: "\(error)", now: now, into: &events)
                }
            case .cancel:
                try? connection.cancelRequest().send()
                return
            case .startConnecting, .continueConnecting, .prepare, .close:
                // `connection` is the attempt, or the one being dropped: `replace` goes on from `self.connection`.
                action = replace(action, now: now)
            }
        } while action != .none
    }

    /// The actions that open a replacement connection (`self.connection` is the attempt).
    private func replace(_ action: PostgresSessionMachine.Action, now: UInt64) -> PostgresSessionMachine.Action {
        do {
            switch action {
            case .startConnecting:
                connection = try PGConnection(startingToConnect: conninfo)
                machine.connectStarted(now: now)
            case .continueConnecting:
                return machine.connectProgressed(try connection!.continueConnecting())
            case .prepare:
                let (isPrepared, wire) = try Self.use(connection!, for: workload, transport: transport)
                self.wire = wire
                machine.opened(isPrepared: isPrepared)
            case .close:
                if let connection { PostgresCancels.unregister(connection) }
                connection = nil
                wire = nil
            default:
                preconditionFailure("\(action) needs an open connection")
            }
        } catch {
            return machine.connectFailed(reason: "\(error)", now: now)
        }
        return .none
    }

    private func flush(_ connection: PGConnection, now: UInt64, into events: inout [PostgresOutcome]) -> PostgresSessionMachine.Action {
        do {
            let state = if let wire { try wire.flush() } else { try connection.flush() }
            machine.flushed(pending: state == .pending)
            return .none
        } catch {
            return machine.connectionFailed(reason: "\(error)", now: now, into: &events)
        }
    }

    /// Reads what arrived and hands every complete result to the machine, in order; stops where
    /// libpq would have to wait.
    private func read(_ connection: PGConnection, now: UInt64, into events: inout [PostgresOutcome]) -> PostgresSessionMachine.Action {
        if let wire { return read(wire, now: now, into: &events) }
        var readFailure: String?
        do {
            try connection.consumeInput()
        } catch {
            readFailure = "\(error)"
        }
        // What arrived before a connection closed still counts: results, or the server's reason.
        results: while machine.wantsResults, !connection.isBusy {
            let result = connection.nextResult()
            do {
                // A COPY hands over no result until its data is done with (as `PGWire` does it).
                switch result?.status {
                case .copyIn?:
                    try connection.refuseCopyIn(reason: PGWire.copyInRefusal)
                    _ = try connection.flush()
                    continue
                case .copyOut?:
                    if try connection.skipCopyOut() { continue } else { break results }
                default:
                    break
                }
            } catch {
                readFailure = readFailure ?? "\(error)"
                break
            }
            machine.received(result.map { ReceivedResult(result: $0, connection: connection) },
                             transactionOpen: [.inTransaction, .failedTransaction].contains(connection.transactionStatus), now: now, into: &events)
        }
        let connectionOK = connection.status == .ok
        let closingNotice = readFailure == nil && connectionOK ? nil : Self.fatalNotice(of: connection)
        return machine.readEnded(failure: readFailure, connectionOK: connectionOK, closingNotice: closingNotice,
                                 now: now, into: &events)
    }

    /// `read` on a connection `PGWire` speaks for.
    private func read(_ wire: PGWire, now: UInt64, into events: inout [PostgresOutcome]) -> PostgresSessionMachine.Action {
        var readFailure: String?
        do {
            try wire.consumeInput()
        } catch {
            readFailure = "\(error)"
        }
        // What arrived before a connection closed still counts: results, or the server's reason.
        replies: while machine.wantsResults {
            do {
                switch try wire.nextReply() {
                case .needsInput:
                    break replies
                case .result(let result):
                    machine.received(WireResult(result: result, connectionOK: wire.status == .ok), transactionOpen: wire.isInTransaction,
                                     now: now, into: &events)
                case .statementDone:
                    machine.received(WireResult?.none, transactionOpen: wire.isInTransaction, now: now, into: &events)
                }
            } catch {
                readFailure = readFailure ?? "\(error)"
                break
            }
        }
        let connectionOK = wire.status == .ok
        var closingNotice: String?
        if readFailure != nil || !connectionOK {
            // Messages nobody waited for may hold the server's reason (a FATAL error before it closed).
            _ = try? wire.nextReply()
            closingNotice = Self.fatal(wire.lastNotice)
        }
        return machine.readEnded(failure: readFailure, connectionOK: connectionOK, closingNotice: closingNotice,
                                 now: now, into: &events)
    }

    /// The FATAL error the server sent before closing the connection, e.g. 57P01 when an
    /// administrator terminated the backend or the server shut down; nil when it sent none.
    private static func fatalNotice(of connection: PGConnection) -> String? {
        // libpq hands over a notice when it parses the input, which isBusy does.
        _ = connection.isBusy
        return fatal(connection.lastNotice)
    }

    /// `notice` when it announced that the server closes the connection.
    private static func fatal(_ notice: PostgresError?) -> String? {
        guard let notice, notice.severity == "FATAL" || notice.severity == "PANIC" else {
            return nil
        }
        let text = notice.primaryMessage ?? notice.message
        return notice.sqlState.map { "\($0): \(text)" } ?? text
    }

    /// Prepares an open connection's statements (protocol "prepared") and switches it to
    /// non-blocking (and pipeline) mode, or hands it to `PGWire`. Returns which statements it
    /// prepared, and the wire when it speaks for the connection.
    private static func use(_ connection: PGConnection, for workload: PostgresWorkload,
                            transport: Transport) throws -> (isPrepared: [Bool], wire: PGWire?) {
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
                    // The server refused the statement itself; it runs unnamed (see the machine's `isPrepared`).
                }
            }
        }
        var wire: PGWire?
        if transport == .automatic { wire = PGWire(takingOver: connection) }
        if wire == nil {
            try connection.setNonBlocking(true)
            if workload.pipelineDepth != nil {
                try connection.enterPipelineMode()
            }
        }
        PostgresCancels.register(connection)
        return (isPrepared, wire)
    }
}

@available(*, unavailable, message: "a PostgresSession belongs to the worker thread that drives it")
extension PostgresSession: Sendable {}

/// A result `PGWire` read, as the machine reads results.
private struct WireResult: PostgresResultView {
    let result: PGWireResult
    let connectionOK: Bool

    var status: PGResult.Status { result.status }
    var rowCount: Int { result.rowCount }
    var affectedRows: Int? { result.affectedRows }
    var commandTag: String { result.commandTag }
    var columnCount: Int { result.columnNames.count }
    func columnName(_ column: Int) -> String { result.columnNames[column] }
    /// Only the first row's values are kept, which is all the machine reads.
    func value(row: Int, column: Int) -> String? {
        row == 0 && column < result.firstRow.count ? result.firstRow[column] : nil
    }
    var serverError: PostgresServerError? {
        result.error.map { PostgresServerError(sqlState: $0.sqlState, severity: $0.severity, primaryMessage: $0.primaryMessage, message: $0.message) }
    }
}

/// A result with the connection it came over: the machine asks whether that connection is still fine
/// only about an error result, so a successful one costs no extra libpq call.
private struct ReceivedResult: PostgresResultView {
    let result: PGResult
    /// Not retained: a `ReceivedResult` lives only inside `read`, which holds the connection (a retain
    /// and release per result otherwise).
    unowned(unsafe) let connection: PGConnection

    var status: PGResult.Status { result.status }
    var rowCount: Int { result.rowCount }
    var affectedRows: Int? { result.affectedRows }
    var commandTag: String { result.commandTag }
    var columnCount: Int { result.columnCount }
    func columnName(_ column: Int) -> String { result.columnName(column) }
    func value(row: Int, column: Int) -> String? { result.value(row: row, column: column) }
    var serverError: PostgresServerError? {
        result.error.map { PostgresServerError(sqlState: $0.sqlState, severity: $0.severity, primaryMessage: $0.primaryMessage, message: $0.message) }
    }
    var connectionOK: Bool { connection.status == .ok }
}
