internal import CLibPQ

/// One libpq result (`PGresult`): a statement's rows or outcome, in text format.
///
/// Not `Sendable`: it is read by the thread that owns the connection it came from.
public final class PGResult {
    /// `PQresultStatus`.
    public enum Status: Sendable, Equatable {
        case emptyQuery, commandOK, tuplesOK, copyOut, copyIn, copyBoth, singleTuple
        case badResponse, nonfatalError, fatalError
        /// The end of a pipeline's sync point.
        case pipelineSync
        /// Skipped because an earlier statement in the pipeline failed.
        case pipelineAborted
        /// A status newer than this code knows.
        case unknown(UInt32)
    }

    /// The fields `PQresultErrorField` can read from an error result.
    public enum ErrorField: Sendable, CaseIterable {
        case severity, severityNonLocalized, sqlState, primaryMessage, detail, hint
        case statementPosition, internalPosition, internalQuery, context
        case schemaName, tableName, columnName, dataTypeName, constraintName
        case sourceFile, sourceLine, sourceFunction

        var code: Int32 {
            switch self {
            case .severity: strain_pg_diag_severity
            case .severityNonLocalized: strain_pg_diag_severity_nonlocalized
            case .sqlState: strain_pg_diag_sqlstate
            case .primaryMessage: strain_pg_diag_message_primary
            case .detail: strain_pg_diag_message_detail
            case .hint: strain_pg_diag_message_hint
            case .statementPosition: strain_pg_diag_statement_position
            case .internalPosition: strain_pg_diag_internal_position
            case .internalQuery: strain_pg_diag_internal_query
            case .context: strain_pg_diag_context
            case .schemaName: strain_pg_diag_schema_name
            case .tableName: strain_pg_diag_table_name
            case .columnName: strain_pg_diag_column_name
            case .dataTypeName: strain_pg_diag_datatype_name
            case .constraintName: strain_pg_diag_constraint_name
            case .sourceFile: strain_pg_diag_source_file
            case .sourceLine: strain_pg_diag_source_line
            case .sourceFunction: strain_pg_diag_source_function
            }
        }
    }

    private var result: OpaquePointer

    init(_ result: OpaquePointer) {
        self.result = result
    }

    /// Holds `result` from now on, clearing the one it held: lets a connection reuse the object of a
    /// result nobody holds any more (see `PGConnection.nextResult`).
    func replace(with result: OpaquePointer) {
        PQclear(self.result)
        self.result = result
    }

    /// The libpq handle, for reading error fields in this module.
    var pointer: OpaquePointer { result }

    deinit {
        PQclear(result)
    }

    public var status: Status {
        let status = PQresultStatus(result)
        switch status {
        case PGRES_EMPTY_QUERY: return .emptyQuery
        case PGRES_COMMAND_OK: return .commandOK
        case PGRES_TUPLES_OK: return .tuplesOK
        case PGRES_COPY_OUT: return .copyOut
        case PGRES_COPY_IN: return .copyIn
        case PGRES_COPY_BOTH: return .copyBoth
        case PGRES_SINGLE_TUPLE: return .singleTuple
        case PGRES_BAD_RESPONSE: return .badResponse
        case PGRES_NONFATAL_ERROR: return .nonfatalError
        case PGRES_FATAL_ERROR: return .fatalError
        case PGRES_PIPELINE_SYNC: return .pipelineSync
        case PGRES_PIPELINE_ABORTED: return .pipelineAborted
        default: return .unknown(status.rawValue)
        }
    }

    /// The statement's error, or nil when it succeeded.
    public var error: PostgresError? {
        switch status {
        case .badResponse, .fatalError, .pipelineAborted: PostgresError(result: self)
        default: nil
        }
    }

    public var rowCount: Int { Int(PQntuples(result)) }
    public var columnCount: Int { Int(PQnfields(result)) }

    public func columnName(_ column: Int) -> String {
        checkColumn(column)
        return String(cString: PQfname(result, Int32(column)))
    }

    /// The value in text format, or nil for SQL NULL.
    public func value(row: Int, column: Int) -> String? {
        precondition(row >= 0 && row < rowCount, "row \(row) is out of range: the result has \(rowCount) rows")
        checkColumn(column)
        let (row, column) = (Int32(row), Int32(column))
        if PQgetisnull(result, row, column) == 1 { return nil }
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column),
                                           count: Int(PQgetlength(result, row, column)))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value in the column the query labels `name` (lower case, as PostgreSQL folds it), or nil
    /// for SQL NULL. Reading by name keeps a reader right when a query's select list changes.
    public func value(row: Int, column name: String) -> String? {
        let column = Int(PQfnumber(result, name))
        precondition(column >= 0, "the result has no column \(name)")
        return value(row: row, column: column)
    }

    /// Rows inserted, updated, deleted, … (`PQcmdTuples`); nil for commands that report none.
    public var affectedRows: Int? {
        Int(String(cString: PQcmdTuples(result)))
    }

    /// The command tag, e.g. "INSERT 0 1" or "SELECT 3".
    public var commandTag: String {
        String(cString: PQcmdStatus(result))
    }

    /// One field of an error result, or nil when the server did not send it.
    public func errorField(_ field: ErrorField) -> String? {
        PQresultErrorField(result, field.code).map { String(cString: $0) }
    }

    private func checkColumn(_ column: Int) {
        precondition(column >= 0 && column < columnCount,
                     "column \(column) is out of range: the result has \(columnCount) columns")
    }
}

@available(*, unavailable, message: "a PGResult belongs to the thread that owns its connection")
extension PGResult: Sendable {}
