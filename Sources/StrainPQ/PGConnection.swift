internal import CLibPQ
import Glibc

/// One libpq connection (`PGconn`) to a PostgreSQL server.
///
/// Offers both the blocking calls (`execute`, `prepare`, `executePrepared`) and the
/// non-blocking ones a load engine drives from its own event loop (`sendQuery`, `flush`,
/// `consumeInput`, `nextResult`, pipeline mode). All statements use text format.
///
/// Not `Sendable`: libpq connections must not be used from two threads at once, so exactly
/// one thread owns each `PGConnection` and the results it returns.
public final class PGConnection {
    /// `PQstatus`. A blocking connect or reset only ever ends in one of these two.
    public enum Status: Sendable, Equatable {
        case ok, bad
    }

    /// What `flush()` achieved.
    public enum FlushState: Sendable, Equatable {
        /// Everything queued has been sent.
        case done
        /// Data is still queued: wait until the socket is writable (or readable) and flush again.
        case pending
    }

    /// `PQpipelineStatus`.
    public enum PipelineStatus: Sendable, Equatable {
        case off, on
        /// A statement failed; the rest up to the next sync point are skipped.
        case aborted
    }

    /// `PQtransactionStatus`: where the connection stands between statements.
    public enum TransactionStatus: Sendable, Equatable {
        /// Not in a transaction block.
        case idle
        /// A statement is in progress.
        case active
        /// In a transaction block that can go on.
        case inTransaction
        /// In a transaction block that failed: only ROLLBACK (to a savepoint) is accepted.
        case failedTransaction
        /// The connection is bad.
        case unknown
    }

    private let connection: OpaquePointer
    private let parameterArena = ParameterArena()
    /// The last result `nextResult` handed out, reused once its reader lets go of it.
    private var lastResult: PGResult?

    /// The latest notice, warning or error the server sent outside a statement's result, e.g.
    /// the FATAL error announcing that it closes an idle connection. libpq would print these
    /// to standard error, in the middle of a run's progress lines; they are kept here instead.
    /// Set when libpq parses what it read (`isBusy`, `nextResult`, blocking calls), not by
    /// `consumeInput` itself.
    public private(set) var lastNotice: PostgresError?

    /// Connects and waits until the connection is ready. `conninfo` is a key=value string or
    /// a postgresql:// URI; libpq fills in what it leaves out from the PG* environment
    /// variables and its defaults.
    public init(conninfo: String) throws {
        guard let connection = PQconnectdb(conninfo) else {
            throw PostgresError(message: "out of memory while creating a libpq connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw Self.failure(connecting: connection, conninfo: conninfo)
        }
        self.connection = connection
        keepNotices()
    }

    /// Connects as `init(conninfo:)` does, but gives up after `limit` or as soon as `stopRequested`
    /// says so (checked every 50 ms). libpq alone waits as long as connect_timeout says, and without
    /// it forever, on a server that accepts the connection and never answers; and a blocked thread
    /// cannot hear a stop request.
    public convenience init(conninfo: String, within limit: Duration, unless stopRequested: () -> Bool) throws {
        try self.init(startingToConnect: conninfo)
        let deadline = ContinuousClock.now + limit
        // Just after PQconnectStart, libpq's rule is to wait as if it had asked to write.
        var progress = ConnectProgress.waitingToWrite
        while progress != .connected {
            if stopRequested() { throw PostgresError(message: "stopped while connecting") }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw PostgresError(message: "no answer from the server within \(limit) of connecting")
            }
            var descriptor = pollfd(fd: socket, events: Int16(progress == .waitingToRead ? POLLIN : POLLOUT), revents: 0)
            // Capped before the conversion: a long limit's remaining milliseconds need not fit an Int32.
            let milliseconds = Int32(min(50, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1))
            let ready = Glibc.poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR {
                throw PostgresError(message: "waiting for the server: \(String(cString: strerror(errno)))")
            }
            if ready > 0 { progress = try continueConnecting() }
        }
    }

    /// What a connection being opened without blocking waits for next (`PQconnectPoll`).
    public enum ConnectProgress: Sendable, Equatable {
        /// Wait until the socket is readable, then call `continueConnecting()` again.
        case waitingToRead
        /// Wait until the socket is writable, then call `continueConnecting()` again.
        case waitingToWrite
        /// The connection is ready.
        case connected
    }

    /// Starts connecting without waiting (`PQconnectStart`): drive it with `continueConnecting()`
    /// whenever the socket is ready for what the last call asked, first for writing. libpq's
    /// connect_timeout does not apply here: the caller bounds the attempt.
    public init(startingToConnect conninfo: String) throws {
        guard let connection = PQconnectStart(conninfo) else {
            throw PostgresError(message: "out of memory while creating a libpq connection")
        }
        guard PQstatus(connection) != CONNECTION_BAD else {
            throw Self.failure(connecting: connection, conninfo: conninfo)
        }
        self.connection = connection
        keepNotices()
    }

    /// Takes a connection started by `init(startingToConnect:)` one step further (`PQconnectPoll`).
    /// Throws libpq's reason when the attempt failed.
    public func continueConnecting() throws -> ConnectProgress {
        switch PQconnectPoll(connection) {
        case PGRES_POLLING_OK: return .connected
        case PGRES_POLLING_READING: return .waitingToRead
        case PGRES_POLLING_WRITING: return .waitingToWrite
        default: throw connectionError()
        }
    }

    /// Why a connection could not be opened, with every spelling of the password scrubbed; frees it.
    private static func failure(connecting connection: OpaquePointer, conninfo: String) -> PostgresError {
        let message = ConninfoPasswords.scrub(
            String(cString: PQerrorMessage(connection)),
            secrets: ConninfoPasswords.passwordTexts(in: conninfo) + password(of: connection))
        PQfinish(connection)
        return PostgresError(message: message)
    }

    /// Routes the server's notices into `lastNotice`. The receiver is called only from libpq
    /// calls on this connection, made by its owning thread while `self` is alive.
    private func keepNotices() {
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            Unmanaged<PGConnection>.fromOpaque(context).takeUnretainedValue().lastNotice = PostgresError(notice: result)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        PQfinish(connection)
    }

    /// `conninfo` in key=value form with the password masked, for logs and reports.
    public static func redacted(conninfo: String) -> String {
        ConninfoPasswords.redacted(conninfo: conninfo)
    }

    // MARK: State

    public var status: Status {
        PQstatus(connection) == CONNECTION_OK ? .ok : .bad
    }

    /// Closes the connection and opens it again with the same parameters (after the
    /// server restarted or the connection broke).
    public func reset() throws {
        PQreset(connection)
        guard status == .ok else { throw connectionError() }
    }

    /// Whether a transaction block is open (between statements).
    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(connection) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_ACTIVE: .active
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .failedTransaction
        default: .unknown
        }
    }

    /// The server's version as a number, e.g. 150020 for 15.20.
    public var serverVersion: Int { Int(PQserverVersion(connection)) }

    /// The server process serving this connection (`pg_stat_activity.pid`).
    public var backendPID: Int32 { PQbackendPID(connection) }

    /// A parameter the server reports, e.g. "server_version" or "server_encoding".
    public func parameterStatus(_ name: String) -> String? {
        PQparameterStatus(connection, name).map { String(cString: $0) }
    }

    /// Whether the connection is encrypted (TLS or GSSAPI), so that only libpq can read and write it.
    public var isEncrypted: Bool {
        PQsslInUse(connection) == 1 || PQgssEncInUse(connection) == 1
    }

    /// The socket to wait on in an event loop.
    public var socket: Int32 { PQsocket(connection) }

    // MARK: Blocking statements

    /// Runs `sql` with `$1`, `$2`, … bound to `parameters` (text; nil is NULL) and waits
    /// for its result. Throws the server's error, with SQLSTATE, when the statement fails.
    @discardableResult
    public func execute(_ sql: String, parameters: [String?] = []) throws -> PGResult {
        let values = try parameterArena.load(parameters)
        return try checked(PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0))
    }

    /// Prepares `sql` under `name`; the server infers the parameter types.
    public func prepare(name: String, sql: String) throws {
        try checked(PQprepare(connection, name, sql, 0, nil))
    }

    @discardableResult
    public func executePrepared(name: String, parameters: [String?] = []) throws -> PGResult {
        let values = try parameterArena.load(parameters)
        return try checked(PQexecPrepared(connection, name, Int32(parameters.count), values, nil, nil, 0))
    }

    // MARK: Non-blocking statements

    /// In non-blocking mode the send calls and `flush()` never wait for the socket.
    public func setNonBlocking(_ nonBlocking: Bool) throws {
        guard PQsetnonblocking(connection, nonBlocking ? 1 : 0) == 0 else { throw connectionError() }
    }

    /// Queues `sql` with its parameters; collect the outcome with `nextResult()`.
    public func sendQuery(_ sql: String, parameters: [String?] = []) throws {
        // withCString lends a native string's own bytes; passing `sql` as a C string copies it.
        let values = try parameterArena.load(parameters)
        let sent = sql.withCString { PQsendQueryParams(connection, $0, Int32(parameters.count), nil, values, nil, nil, 0) }
        guard sent == 1 else { throw connectionError() }
    }

    /// Queues `sql` for the simple query protocol (`PQsendQuery`): the text alone, parsed and
    /// planned on every execution; it may hold several statements separated by semicolons,
    /// each with its own result. Not allowed in pipeline mode.
    public func sendSimpleQuery(_ sql: String) throws {
        guard PQsendQuery(connection, sql) == 1 else { throw connectionError() }
    }

    /// Queues the prepared statement `name`; collect the outcome with `nextResult()`.
    public func sendPrepared(name: String, parameters: [String?] = []) throws {
        let values = try parameterArena.load(parameters)
        let sent = name.withCString { PQsendQueryPrepared(connection, $0, Int32(parameters.count), values, nil, nil, 0) }
        guard sent == 1 else { throw connectionError() }
    }

    /// Sends queued data to the server.
    public func flush() throws -> FlushState {
        switch PQflush(connection) {
        case 0: return .done
        case 1: return .pending
        default: throw connectionError()
        }
    }

    /// Reads whatever the server has sent (call when the socket is readable).
    public func consumeInput() throws {
        guard PQconsumeInput(connection) == 1 else { throw connectionError() }
    }

    /// True while `nextResult()` would have to wait for more input.
    public var isBusy: Bool { PQisBusy(connection) == 1 }

    /// The next result of the statement in progress; nil when that statement is done.
    /// Does not throw for failed statements: check `status` / `error` on the result.
    /// A load reads a result per statement, so the object of the previous one is reused when
    /// nothing holds it any more (it keeps that result's memory until then): an allocation and a
    /// free per statement otherwise.
    public func nextResult() -> PGResult? {
        guard let handle = PQgetResult(connection) else { return nil }
        if isKnownUniquelyReferenced(&lastResult), let reused = lastResult {
            reused.replace(with: handle)
            return reused
        }
        let result = PGResult(handle)
        lastResult = result
        return result
    }

    // MARK: COPY

    /// Ends a COPY FROM STDIN the server waits for data for, with `reason` as its error: the statement fails.
    public func refuseCopyIn(reason: String) throws {
        guard PQputCopyEnd(connection, reason) == 1 else { throw connectionError() }
    }

    /// Reads and drops the rows of a COPY TO STDOUT that have arrived. Returns true once the copy is
    /// over (its result follows), false when the rest has yet to arrive.
    public func skipCopyOut() throws -> Bool {
        while true {
            var row: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &row, 1)
            if let row { PQfreemem(row) }
            switch length {
            case 0: return false
            case -1: return true
            case ..<0: throw connectionError()
            default: continue
            }
        }
    }

    // MARK: Pipeline mode

    /// Lets several statements be sent before their results are read.
    public func enterPipelineMode() throws {
        guard PQenterPipelineMode(connection) == 1 else { throw connectionError() }
    }

    /// Leaves pipeline mode; fails while results are still unread.
    public func exitPipelineMode() throws {
        guard PQexitPipelineMode(connection) == 1 else { throw connectionError() }
    }

    /// Marks a sync point: the server commits (or, after an error, stops skipping) here and
    /// answers with a `.pipelineSync` result.
    public func pipelineSync() throws {
        guard PQpipelineSync(connection) == 1 else { throw connectionError() }
    }

    public var pipelineStatus: PipelineStatus {
        switch PQpipelineStatus(connection) {
        case PQ_PIPELINE_ON: .on
        case PQ_PIPELINE_ABORTED: .aborted
        default: .off
        }
    }

    // MARK: Cancelling

    /// A request that cancels the statement this connection is running (see `PGCancel`).
    public func cancelRequest() throws -> PGCancel {
        guard let handle = PQgetCancel(connection) else {
            throw PostgresError(message: "cannot make a cancel request: the connection is not open")
        }
        return PGCancel(handle)
    }

    // MARK: Quoting

    /// `name` quoted as an SQL identifier, e.g. for a table name that is not a constant.
    public func escapeIdentifier(_ name: String) throws -> String {
        guard let escaped = PQescapeIdentifier(connection, name, name.utf8.count) else { throw connectionError() }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    // MARK: Helpers

    /// The connection's latest error, with its password scrubbed.
    private func connectionError() -> PostgresError {
        PostgresError(message: ConninfoPasswords.scrub(String(cString: PQerrorMessage(connection)),
                                                       secrets: Self.password(of: connection)))
    }

    private static func password(of connection: OpaquePointer) -> [String] {
        PQpass(connection).map { [String(cString: $0)] } ?? []
    }

    /// Wraps a blocking call's result, throwing when there is none or it is an error.
    @discardableResult
    private func checked(_ result: OpaquePointer?) throws -> PGResult {
        guard let result else { throw connectionError() }
        let wrapped = PGResult(result)
        if let error = wrapped.error { throw error }
        return wrapped
    }
}

@available(*, unavailable, message: "a PGConnection belongs to the one thread that uses it")
extension PGConnection: Sendable {}
