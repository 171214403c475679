import StrainProfile

/// A PostgreSQL scenario's steps, checked and ready to run on `PostgresSession`s.
public struct PostgresWorkload: Sendable {
    public let scenario: String
    public let statements: [PostgresStatement]
    public let queryProtocol: QueryProtocol
    /// Statements in flight per connection in pipeline mode; nil sends one at a time.
    public let pipelineDepth: Int?

    /// The workload of a PostgreSQL scenario of a validated profile.
    public init(_ scenario: Scenario) throws(PostgresWorkloadError) {
        guard let options = scenario.postgres else {
            throw PostgresWorkloadError(scenario: scenario.name, step: nil, message: "is an HTTP scenario, not a PostgreSQL one")
        }
        var statements: [PostgresStatement] = []
        for (index, step) in scenario.steps.enumerated() {
            guard case .sql(let query) = step.action else {
                throw PostgresWorkloadError(scenario: scenario.name, step: step.name, message: "is not a sql step")
            }
            statements.append(PostgresStatement(
                index: index, name: step.name, sql: query.sql, parameterCount: query.parameters.count,
                extractions: step.extract.compactMap { extraction in
                    guard case .column(let column) = extraction.source else { return nil }
                    return PostgresStatement.Extraction(variable: extraction.variable, column: column)
                },
                expectedRows: step.check.rows, checkedColumns: step.check.values.map(\.column)))
        }
        try self.init(scenario: scenario.name, statements: statements,
                      queryProtocol: options.queryProtocol, pipelineDepth: options.pipelineDepth)
    }

    init(scenario: String, statements: [PostgresStatement], queryProtocol: QueryProtocol, pipelineDepth: Int?) throws(PostgresWorkloadError) {
        if pipelineDepth != nil {
            guard queryProtocol != .simple else {
                throw PostgresWorkloadError(scenario: scenario, step: nil, message: "pipeline mode needs the extended query protocol; use protocol \"prepared\" or \"extended\"")
            }
            // Profiles are refused this already (StepDecoder says where); the session relies on it.
            if let control = statements.first(where: \.controlsTransaction) {
                throw PostgresWorkloadError(
                    scenario: scenario, step: control.name,
                    message: "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …) cannot run in pipeline mode, where the statements of many iterations share one connection; remove pipeline to run transactions, or drop these steps (each pipeline batch already runs as one implicit transaction)")
            }
        }
        self.scenario = scenario
        self.statements = statements
        self.queryProtocol = queryProtocol
        self.pipelineDepth = pipelineDepth
    }
}

/// One sql step: its text, how many parameters it takes and what to do with its result. A class
/// so that the hot path reads it in place rather than copying its many fields.
public final class PostgresStatement: Sendable {
    /// A variable set from a column of the result's first row.
    public struct Extraction: Sendable, Equatable {
        public let variable: String
        public let column: String
    }

    public let name: String
    public let sql: String
    public let parameterCount: Int
    public let extractions: [Extraction]
    /// Rows returned (queries) or affected (INSERT, UPDATE, DELETE …).
    public let expectedRows: Int?
    /// The columns of the first row that value checks compare, in the order of the expected
    /// values given to `PostgresSession.send`.
    public let checkedColumns: [String]
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT and their kin.
    public let controlsTransaction: Bool
    /// The name it is prepared under on each connection (protocol "prepared").
    let preparedName: String
    /// The text cut at its placeholders (protocol "simple").
    let inlined: InlinedSQL

    init(index: Int, name: String, sql: String, parameterCount: Int,
         extractions: [Extraction], expectedRows: Int?, checkedColumns: [String]) {
        self.name = name
        self.sql = sql
        self.parameterCount = parameterCount
        self.extractions = extractions
        self.expectedRows = expectedRows
        self.checkedColumns = checkedColumns
        controlsTransaction = SQLText.controlsTransaction(sql)
        preparedName = "strain_\(index)"
        inlined = InlinedSQL(sql)
    }
}

/// A PostgreSQL scenario that cannot run as written.
public struct PostgresWorkloadError: Error, CustomStringConvertible, Sendable {
    public let scenario: String
    public let step: String?
    public let message: String

    public var description: String {
        let place = step.map { "scenario \"\(scenario)\", step \"\($0)\"" } ?? "scenario \"\(scenario)\""
        return "\(place): \(message)"
    }
}
