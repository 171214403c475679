import Glibc

/// The statements of a load sent and read on the socket of a connection libpq opened, in the
/// protocol `PGWireCodec` speaks, without libpq's per-statement work. libpq keeps the connection
/// itself: it opened it (authentication, TLS negotiation, parameters), prepared its statements,
/// and closes it; a cancel request still goes through it. Only a plain connection can be taken
/// over: on an encrypted one (TLS, GSSAPI) only libpq can read and write.
///
/// Non-blocking: a send only queues, `flush` writes what the socket takes, `consumeInput` reads what
/// has arrived, `nextReply` hands over what it completes. Once a call throws, the connection is broken.
public final class PGWire {
    /// What a COPY FROM STDIN is failed with: a load has no data to send it.
    public static let copyInRefusal = "a load step cannot send COPY data; use COPY … FROM a file, or INSERT"

    /// Holds the socket open: libpq owns it.
    private let connection: PGConnection
    /// The connection's socket, to wait on (libpq's, kept here: asking libpq is a call per wait).
    public let socket: Int32
    private let codec = PGWireCodec()
    /// Why the connection broke; nil while it is fine.
    public private(set) var failure: PostgresError?

    /// Takes over `connection`'s statements from now on; nil when it is encrypted, or libpq has
    /// something in progress on it. Use libpq no further on it but to cancel and close.
    public init?(takingOver connection: PGConnection) {
        guard !connection.isEncrypted, connection.status == .ok, !connection.isBusy, connection.socket >= 0 else { return nil }
        self.connection = connection
        socket = connection.socket
    }

    /// `PGConnection.Status` in its terms: bad once a read, write or the server's bytes failed.
    public var status: PGConnection.Status { failure == nil ? .ok : .bad }

    /// The latest notice, warning or error the server sent outside a statement's result.
    public var lastNotice: PostgresError? { codec.lastNotice }

    /// Nothing sent is waiting for an answer.
    public var isIdle: Bool { codec.isIdle }
    /// Whether the latest ReadyForQuery said a transaction block is open (or failed, awaiting ROLLBACK).
    public var isInTransaction: Bool { codec.transactionStatus != UInt8(ascii: "I") }

    // MARK: Sending (queued until `flush`)

    /// An execution of a prepared statement with its parameters; `execution` says which statement,
    /// whether to describe it and whether a sync point ends it.
    public func sendPrepared(_ execution: PGWireExecution, parameters: [PGParameter]) throws(PostgresError) {
        try usable()
        try codec.appendPrepared(execution, parameters: parameters)
    }

    /// `sql` parsed as the unnamed statement, then `execution` (made for the statement "") of it.
    public func sendUnnamed(sql: String, _ execution: PGWireExecution, parameters: [PGParameter]) throws(PostgresError) {
        try usable()
        try codec.appendUnnamed(sql: sql, execution, parameters: parameters)
    }

    /// `sql` in the simple query protocol: text alone, possibly several statements.
    public func sendSimpleQuery(_ sql: String, describe: Bool) throws(PostgresError) {
        try usable()
        try codec.appendSimpleQuery(sql, describe: describe)
    }

    /// A pipeline's sync point: the server commits (or, after an error, stops skipping) here.
    public func pipelineSync() throws(PostgresError) {
        try usable()
        codec.appendSync()
    }

    // MARK: Moving bytes

    /// Writes what is queued, as far as the socket takes it.
    public func flush() throws(PostgresError) -> PGConnection.FlushState {
        try usable()
        while true {
            let unsent = codec.unsent
            guard unsent.count > 0 else { return .done }
            let written = Glibc.send(socket, unsent.baseAddress, unsent.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            let code = errno
            if written > 0 {
                codec.sent(written)
            } else if code == EAGAIN || code == EWOULDBLOCK {
                return .pending
            } else if code != EINTR {
                throw broken("could not send data to the server: \(Self.describe(code))")
            }
        }
    }

    /// Reads what has arrived (call when the socket is readable).
    public func consumeInput() throws(PostgresError) {
        try usable()
        while true {
            let space = codec.inputSpace(minimum: 8192)
            let count = recv(socket, space.baseAddress, space.count, Int32(MSG_DONTWAIT))
            let code = errno
            if count > 0 {
                codec.received(count)
                return
            }
            if count == 0 { throw broken("server closed the connection unexpectedly") }
            if code == EAGAIN || code == EWOULDBLOCK { return }
            if code != EINTR { throw broken("could not receive data from the server: \(Self.describe(code))") }
        }
    }

    /// The next reply to what was sent, from what was read; `.needsInput` when it has not arrived.
    public func nextReply() throws(PostgresError) -> PGWireReply {
        let reply: PGWireReply
        do {
            reply = try codec.nextReply()
        } catch {
            throw broken(error.message)
        }
        // The codec answered a COPY FROM STDIN with CopyFail: it goes out now, not with the next statement.
        if codec.answerQueued { _ = try flush() }
        return reply
    }

    private func usable() throws(PostgresError) {
        if let failure { throw failure }
    }

    private func broken(_ message: String) -> PostgresError {
        let error = PostgresError(message: message)
        failure = failure ?? error
        return error
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

@available(*, unavailable, message: "a PGWire belongs to the one thread that drives its connection")
extension PGWire: Sendable {}
