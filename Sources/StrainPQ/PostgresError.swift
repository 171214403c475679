/// A failed libpq call or statement: libpq's message plus the server's error fields.
///
/// Connection-level errors carry `PQerrorMessage`; statement errors carry
/// `PQresultErrorMessage` and the fields of the result. No text in it ever contains the
/// connection's password: messages that could echo the connection string are scrubbed.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// libpq's message, without the trailing newline (may span lines: DETAIL, HINT, LINE …).
    public let message: String
    /// "ERROR", "FATAL", … (not localized).
    public let severity: String?
    /// The five-character SQLSTATE code, e.g. "42P01" (undefined table).
    public let sqlState: String?
    public let primaryMessage: String?
    public let detail: String?
    public let hint: String?
    /// 1-based character index into the statement where the error was found.
    public let position: Int?

    /// A connection-level or client-side error, which has no server fields.
    public init(message: String) {
        self.message = Self.trimmingTrailingNewlines(message)
        severity = nil
        sqlState = nil
        primaryMessage = nil
        detail = nil
        hint = nil
        position = nil
    }

    /// The error a failed statement's result describes.
    init(result: PGResult) {
        let message = result.errorMessage
        self.message = message.isEmpty ? Self.fallbackMessage(for: result.status) : Self.trimmingTrailingNewlines(message)
        severity = result.errorField(.severityNonLocalized) ?? result.errorField(.severity)
        sqlState = result.errorField(.sqlState)
        primaryMessage = result.errorField(.primaryMessage)
        detail = result.errorField(.detail)
        hint = result.errorField(.hint)
        position = result.errorField(.statementPosition).flatMap { Int($0) }
    }

    public var description: String {
        guard let sqlState, !message.contains(sqlState) else { return message }
        return "\(message) (SQLSTATE \(sqlState))"
    }

    private static func trimmingTrailingNewlines(_ text: String) -> String {
        var trimmed = Substring(text)
        while trimmed.last?.isNewline == true { trimmed.removeLast() }
        return String(trimmed)
    }

    /// libpq leaves the message empty for statements a failed pipeline skipped.
    private static func fallbackMessage(for status: PGResult.Status) -> String {
        switch status {
        case .pipelineAborted: "not executed: an earlier statement in the pipeline failed"
        default: "statement failed with result status \(status)"
        }
    }
}
