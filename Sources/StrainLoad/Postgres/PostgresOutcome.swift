import StrainContract

/// How one statement of one iteration ended, as a `PostgresSession` reports it.
public struct PostgresOutcome: Sendable {
    /// The caller's number for the iteration, as given to `PostgresSession.send`.
    public let iteration: Int
    /// Index into `PostgresWorkload.statements`.
    public let step: Int
    /// When the statement was handed to libpq (µs on the caller's clock).
    public let sentAt: UInt64
    /// When its last result arrived, or when it failed without reaching the server.
    public let completedAt: UInt64
    /// Rows returned by a query, or affected by INSERT, UPDATE, DELETE …; 0 for failures.
    public let rows: Int
    /// The values of the statement's extractions, in its order; empty when it failed.
    public let extracted: [ExtractedValue]
    public let failure: PostgresFailure?
}

public struct ExtractedValue: Sendable, Equatable {
    public let variable: String
    public let value: String
}

/// Why a statement did not succeed, under a fixed `label` to tally by and a `message` to show as
/// the example of that label.
public struct PostgresFailure: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The server's error, with its SQLSTATE when it sent one.
        case server(sqlState: String?)
        /// Skipped by the server because an earlier statement of the same pipeline batch failed.
        case pipelineAborted
        /// The connection broke (or had broken) before the result arrived.
        case connectionLost
        /// Refused before sending: a parameter PostgreSQL cannot take (a NUL byte).
        case notSent
        /// An extraction found no row, no such column, or NULL.
        case extraction
        /// The result did not pass the step's checks (rows, values).
        case check
        /// Never sent: no connection of the pool was free within the step's timeout.
        case poolTimeout
        /// Never sent: every connection of the pool was down (its latest attempt to reconnect failed).
        case noConnection
    }

    public let kind: Kind
    /// e.g. "23 integrity constraint violation", "connection lost", "check failed".
    public let label: String
    /// e.g. "23505: duplicate key value violates unique constraint \"t_pkey\"".
    public let message: String

    /// Whether the iteration cannot go on: everything but a failed check, after which the later
    /// steps still have what they need. Call `PostgresSession.finishIteration` then; it rolls back
    /// a transaction the iteration left open.
    public var endsIteration: Bool { kind != .check }

    static func server(sqlState: String?, primaryMessage: String) -> PostgresFailure {
        guard let sqlState else {
            return PostgresFailure(kind: .server(sqlState: nil), label: "server error", message: primaryMessage)
        }
        return PostgresFailure(kind: .server(sqlState: sqlState), label: SQLState.classLabel(of: sqlState),
                               message: "\(sqlState): \(primaryMessage)")
    }

    /// libpq's explanation spans lines ("server closed the connection unexpectedly / This
    /// probably means …"): the first line says it.
    static func connectionLost(_ message: String) -> PostgresFailure {
        let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
        return PostgresFailure(kind: .connectionLost, label: "connection lost", message: firstLine)
    }

    static let pipelineAborted = PostgresFailure(
        kind: .pipelineAborted, label: "pipeline aborted",
        message: "not executed: an earlier statement of the same pipeline batch failed")

    static func notSent(_ message: String) -> PostgresFailure {
        PostgresFailure(kind: .notSent, label: "statement not sent", message: message)
    }

    static func extraction(_ message: String) -> PostgresFailure {
        PostgresFailure(kind: .extraction, label: "extraction failed", message: message)
    }

    static func check(_ message: String) -> PostgresFailure {
        PostgresFailure(kind: .check, label: "check failed", message: message)
    }

    static func poolTimeout(_ message: String) -> PostgresFailure {
        PostgresFailure(kind: .poolTimeout, label: "pool timeout", message: message)
    }

    /// `reason` is libpq's, whose first line says it (see `connectionLost`).
    static func noConnection(_ context: String, reason: String) -> PostgresFailure {
        let firstLine = reason.split(separator: "\n").first.map(String.init) ?? reason
        return PostgresFailure(kind: .noConnection, label: "no connection", message: "\(context): \(firstLine)")
    }
}

/// What a session has lived through, for the run's connection statistics.
public struct PostgresSessionCounters: Sendable, Equatable {
    /// Times the connection broke.
    public var connectionsLost: UInt64 = 0
    /// Times a new connection replaced a broken one.
    public var reconnects: UInt64 = 0
    /// Reconnection attempts that failed (each followed by a longer wait).
    public var failedReconnects: UInt64 = 0
    /// Transactions the session rolled back because an iteration ended inside one.
    public var rollbacks: UInt64 = 0
}
