import Foundation
import StrainPQ

/// The diagnoser's own PostgreSQL session: read-only, with statement and lock timeouts, every
/// statement marked so it can be told apart from the load in `pg_stat_statements`.
///
/// Not Sendable: it owns a libpq connection and lives on the session's sampling thread.
final class PostgresCollector {
    /// Leads every statement the diagnoser sends; statements whose text starts with it are its own.
    static let marker = "/* strain-diagnose */"

    private let connection: PGConnection
    let database: String
    let serverVersion: Int
    let maxConnections: Int
    /// Where pg_stat_statements lives ("public"), nil when it is not installed in this database.
    private let statementsSchema: String?
    private let hasStatementsInfo: Bool
    let hypopgAvailable: Bool
    /// What could not be collected, for the evidence gaps.
    private(set) var gaps: [EvidenceGap] = []

    init(conninfo: String) throws {
        connection = try PGConnection(conninfo: conninfo)
        // Session settings, not SET statements, so they hold whatever the connection string says.
        try connection.execute("""
            \(Self.marker) SELECT set_config('default_transaction_read_only', 'on', false),
                   set_config('statement_timeout', '5s', false), set_config('lock_timeout', '1s', false),
                   set_config('application_name', 'strain-diagnose', false)
            """)
        let facts = try connection.execute("""
            \(Self.marker) SELECT current_database(), current_setting('max_connections')::int,
                   (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'),
                   EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg')
            """)
        database = facts.value(row: 0, column: 0) ?? ""
        maxConnections = Int(facts.value(row: 0, column: 1) ?? "") ?? 0
        serverVersion = connection.serverVersion
        hypopgAvailable = facts.value(row: 0, column: 3) == "t"
        var schema = facts.value(row: 0, column: 2)
        if schema == nil {
            gaps.append(EvidenceGap(step: .slowQueries, message: "pg_stat_statements is not installed in database \(database) "
                                    + "(add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements)"))
        } else if serverVersion < 130000 {
            gaps.append(EvidenceGap(step: .slowQueries, message: "pg_stat_statements needs PostgreSQL 13 or later here "
                                    + "(found \(serverVersion / 10000))"))
            schema = nil
        }
        let connection = self.connection
        statementsSchema = try schema.map { try connection.escapeIdentifier($0) }
        hasStatementsInfo = schema != nil && connection.serverVersion >= 140000
    }

    // MARK: Snapshots

    /// `pg_stat_statements` of this database, without the diagnoser's own statements. Nil (and
    /// a gap) when the view cannot be read, e.g. when the library is not preloaded.
    func statementSnapshot(label: String) -> StatementSnapshot? {
        guard let schema = statementsSchema else { return nil }
        let toplevel = serverVersion >= 140000 ? "toplevel" : "true"
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT queryid, userid, \(toplevel), query, calls, total_exec_time, rows,
                       shared_blks_hit, shared_blks_read, temp_blks_written
                FROM \(schema).pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND queryid IS NOT NULL AND query NOT LIKE '/* strain-diagnose */%'
                """)
            let statements = (0..<rows.rowCount).map { row in
                StatementCounters(
                    queryID: Int64(rows.value(row: row, column: 0) ?? "") ?? 0,
                    userID: UInt32(rows.value(row: row, column: 1) ?? "") ?? 0,
                    toplevel: rows.value(row: row, column: 2) == "t",
                    query: SQLText.scrubbingPasswords(rows.value(row: row, column: 3) ?? ""),
                    calls: Int64(rows.value(row: row, column: 4) ?? "") ?? 0,
                    totalExecMilliseconds: Double(rows.value(row: row, column: 5) ?? "") ?? 0,
                    rows: Int64(rows.value(row: row, column: 6) ?? "") ?? 0,
                    sharedBlocksHit: Int64(rows.value(row: row, column: 7) ?? "") ?? 0,
                    sharedBlocksRead: Int64(rows.value(row: row, column: 8) ?? "") ?? 0,
                    tempBlocksWritten: Int64(rows.value(row: row, column: 9) ?? "") ?? 0)
            }
            var deallocations: Int64?
            var statsReset: String?
            if hasStatementsInfo {
                let info = try connection.execute("\(Self.marker) SELECT dealloc, stats_reset::text FROM \(schema).pg_stat_statements_info")
                if info.rowCount > 0 {
                    deallocations = Int64(info.value(row: 0, column: 0) ?? "")
                    statsReset = info.value(row: 0, column: 1)
                }
            }
            return StatementSnapshot(label: label, at: Date(), statements: statements, deallocations: deallocations,
                                     statsReset: statsReset)
        } catch {
            noteOnce(.slowQueries, "pg_stat_statements could not be read: \(error)")
            return nil
        }
    }

    /// `pg_stat_activity`: connections to the whole server, and the non-idle sessions of this database.
    func activitySample() -> ActivitySample? {
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT pid, usename, application_name, client_addr::text, state, wait_event_type, wait_event,
                       extract(epoch FROM now() - xact_start), extract(epoch FROM now() - state_change),
                       extract(epoch FROM now() - query_start), query,
                       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid)::text END,
                       datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
                FROM pg_stat_activity WHERE backend_type = 'client backend'
                """)
            var sessions: [SessionState] = []
            for row in 0..<rows.rowCount where rows.value(row: row, column: 12) == "t" {
                sessions.append(SessionState(
                    pid: Int32(rows.value(row: row, column: 0) ?? "") ?? 0,
                    user: rows.value(row: row, column: 1),
                    application: rows.value(row: row, column: 2) ?? "",
                    client: rows.value(row: row, column: 3),
                    state: rows.value(row: row, column: 4) ?? "unknown",
                    waitEventType: rows.value(row: row, column: 5),
                    waitEvent: rows.value(row: row, column: 6),
                    transactionSeconds: rows.value(row: row, column: 7).flatMap { Double($0) },
                    stateSeconds: rows.value(row: row, column: 8).flatMap { Double($0) },
                    querySeconds: rows.value(row: row, column: 9).flatMap { Double($0) },
                    query: SQLText.scrubbingPasswords(rows.value(row: row, column: 10) ?? ""),
                    blockedBy: Self.integers(inArray: rows.value(row: row, column: 11))))
            }
            return ActivitySample(at: Date(), clientConnections: rows.rowCount, sessions: sessions)
        } catch {
            noteOnce(.connectionPools, "pg_stat_activity could not be read: \(error)")
            return nil
        }
    }

    func tableCounters() -> [TableCounters] {
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup
                FROM pg_stat_user_tables
                """)
            return (0..<rows.rowCount).map { row in
                TableCounters(schema: rows.value(row: row, column: 0) ?? "", name: rows.value(row: row, column: 1) ?? "",
                              sequentialScans: Int64(rows.value(row: row, column: 2) ?? "") ?? 0,
                              sequentialRowsRead: Int64(rows.value(row: row, column: 3) ?? "") ?? 0,
                              indexScans: Int64(rows.value(row: row, column: 4) ?? "") ?? 0,
                              liveRows: Int64(rows.value(row: row, column: 5) ?? "") ?? 0)
            }
        } catch {
            noteOnce(.slowQueries, "pg_stat_user_tables could not be read: \(error)")
            return []
        }
    }

    func databaseCounters() -> DatabaseCounters? {
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT blks_read, blks_hit, temp_files, temp_bytes, deadlocks
                FROM pg_stat_database WHERE datname = current_database()
                """)
            guard rows.rowCount == 1 else { return nil }
            let numbers = (0..<5).map { Int64(rows.value(row: 0, column: $0) ?? "") ?? 0 }
            return DatabaseCounters(blocksRead: numbers[0], blocksHit: numbers[1], tempFiles: numbers[2],
                                    tempBytes: numbers[3], deadlocks: numbers[4])
        } catch {
            noteOnce(.slowQueries, "pg_stat_database could not be read: \(error)")
            return nil
        }
    }

    // MARK: Plans

    /// `EXPLAIN (VERBOSE, FORMAT JSON)` of a statement as pg_stat_statements recorded it. Text
    /// with `$n` gets a generic plan; `analyze` runs parameterless SELECTs for real, in a
    /// transaction that is rolled back.
    func explain(_ statement: StatementActivity, analyze: Bool) -> StatementPlan {
        let parameters = SQLText.parameterCount(statement.query)
        let analyzed = analyze && parameters == 0 && SQLText.isReadOnlySelect(statement.query)
        do {
            let json = try explainJSON(statement.query, parameters: parameters, analyze: analyzed)
            return StatementPlan(queryID: statement.queryID, generic: parameters > 0, analyzed: analyzed, json: json, error: nil)
        } catch {
            return StatementPlan(queryID: statement.queryID, generic: parameters > 0, analyzed: analyzed, json: nil,
                                 error: String(describing: error))
        }
    }

    private func explainJSON(_ query: String, parameters: Int, analyze: Bool) throws -> String {
        func firstValue(_ result: PGResult) throws -> String {
            guard result.rowCount > 0, let json = result.value(row: 0, column: 0) else {
                throw PostgresError(message: "EXPLAIN returned no plan")
            }
            return json
        }
        if parameters == 0 {
            guard analyze else { return try firstValue(connection.execute("EXPLAIN (VERBOSE, FORMAT JSON) \(query)")) }
            try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            return try firstValue(connection.execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) \(query)"))
        }
        // A prepared statement planned generically, executed with NULLs for EXPLAIN only. (16's
        // EXPLAIN (GENERIC_PLAN) needs the simple query protocol; this works on every version.)
        try connection.execute("SET plan_cache_mode = force_generic_plan")
        try connection.execute("PREPARE strain_explain AS \(query)")
        defer { _ = try? connection.execute("DEALLOCATE strain_explain") }
        let nulls = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
        return try firstValue(connection.execute("EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE strain_explain(\(nulls))"))
    }

    /// Row estimate, size and index columns of each table the plans scan (live rows when the
    /// table was never analyzed: reltuples is then -1).
    func relations(in plans: [StatementPlan]) -> [RelationInfo] {
        let names = Set(plans.compactMap(\.json).compactMap { try? PlanNode.parse(explainJSON: $0) }
            .flatMap(\.allNodes).compactMap { node in node.relationName.map { [node.schema ?? "public", $0] } })
        return names.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }.compactMap { name in
            do {
                let rows = try connection.execute("""
                    \(Self.marker) SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE coalesce(s.n_live_tup, 0) END,
                           pg_relation_size(c.oid),
                           array_to_json(array(
                               SELECT array_to_json(array(SELECT pg_get_indexdef(i.indexrelid, k, true)
                                                          FROM generate_series(1, i.indnkeyatts) k ORDER BY k))
                               FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.indexrelid))
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
                    WHERE n.nspname = $1 AND c.relname = $2
                    """, parameters: [name[0], name[1]])
                guard rows.rowCount == 1 else { return nil }
                let indexes = try JSONDecoder().decode([[String]].self, from: Data((rows.value(row: 0, column: 2) ?? "[]").utf8))
                return RelationInfo(schema: name[0], name: name[1], rows: Double(rows.value(row: 0, column: 0) ?? "") ?? 0,
                                    bytes: Int64(rows.value(row: 0, column: 1) ?? "") ?? 0, indexes: indexes)
            } catch {
                noteOnce(.slowQueries, "table sizes could not be read: \(error)")
                return nil
            }
        }
    }

    /// Plans the statement again with a HypoPG hypothetical index in place (visible to this
    /// session only, removed right after).
    func tryIndex(_ suggestion: IndexSuggestion, statement: StatementActivity, before: StatementPlan) -> IndexTrial {
        let costBefore = before.json.flatMap { try? PlanNode.parse(explainJSON: $0) }?.totalCost
        do {
            try connection.execute("\(Self.marker) SELECT indexrelid FROM hypopg_create_index($1)",
                                   parameters: [suggestion.hypotheticalDefinition])
            defer { _ = try? connection.execute("\(Self.marker) SELECT hypopg_reset()") }
            let json = try explainJSON(statement.query, parameters: SQLText.parameterCount(statement.query), analyze: false)
            let after = try PlanNode.parse(explainJSON: json)
            return IndexTrial(queryID: statement.queryID, definition: suggestion.hypotheticalDefinition, costBefore: costBefore,
                              costAfter: after.totalCost, used: after.usesHypotheticalIndex, error: nil)
        } catch {
            return IndexTrial(queryID: statement.queryID, definition: suggestion.hypotheticalDefinition, costBefore: costBefore,
                              costAfter: nil, used: false, error: String(describing: error))
        }
    }

    // MARK: Helpers

    private func noteOnce(_ step: Finding.Step, _ message: String) {
        if !gaps.contains(where: { $0.message == message }) { gaps.append(EvidenceGap(step: step, message: message)) }
    }

    /// "{12,34}" (a PostgreSQL integer array as text) → [12, 34].
    static func integers(inArray text: String?) -> [Int32] {
        guard let text else { return [] }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").compactMap { Int32($0) }
    }
}
