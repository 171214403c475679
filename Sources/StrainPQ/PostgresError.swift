internal import CLibPQ

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

    /// An ErrorResponse's or NoticeResponse's fields as the wire protocol carries them, with the
    /// message libpq would compose from them ("ERROR:  …", then DETAIL and HINT lines).
    init(localizedSeverity: String?, severity: String?, sqlState: String?, primaryMessage: String?, detail: String?,
         hint: String?, position: Int?) {
        var message = "\(localizedSeverity ?? severity ?? "ERROR"):  \(primaryMessage ?? "the server sent no message")"
        if let detail { message += "\nDETAIL:  \(detail)" }
        if let hint { message += "\nHINT:  \(hint)" }
        self.message = message
        self.severity = severity
        self.sqlState = sqlState
        self.primaryMessage = primaryMessage
        self.detail = detail
        self.hint = hint
        self.position = position
    }

    /// The error a failed statement's result describes.
    init(result: PGResult) {
        self.init(errorResult: result.pointer, fallbackMessage: Self.fallbackMessage(for: result.status))
    }

    /// A notice the server sent outside a statement's result (`PQnoticeReceiver`); libpq owns
    /// `notice` and frees it after the call.
    init(notice: OpaquePointer) {
        self.init(errorResult: notice, fallbackMessage: "the server sent an empty notice")
    }

    private init(errorResult: OpaquePointer, fallbackMessage: String) {
        func field(_ code: Int32) -> String? { PQresultErrorField(errorResult, code).map { String(cString: $0) } }
        let message = String(cString: PQresultErrorMessage(errorResult))
        self.message = message.isEmpty ? fallbackMessage : Self.trimmingTrailingNewlines(message)
        severity = field(strain_pg_diag_severity_nonlocalized) ?? field(strain_pg_diag_severity)
        sqlState = field(strain_pg_diag_sqlstate)
        primaryMessage = field(strain_pg_diag_message_primary)
        detail = field(strain_pg_diag_message_detail)
        hint = field(strain_pg_diag_message_hint)
        position = field(strain_pg_diag_statement_position).flatMap { Int($0) }
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
