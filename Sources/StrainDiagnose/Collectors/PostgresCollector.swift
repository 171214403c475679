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
    /// The cluster's `system_identifier`, which tells two servers apart when their databases share a
    /// name; nil where `pg_control_system()` is not granted (some managed services revoke it).
    let systemIdentifier: String?
    /// Where pg_stat_statements lives ("public"), nil when it is not installed in this database.
    private let statementsSchema: String?
    private let hasStatementsInfo: Bool
    var hypopgAvailable: Bool { hypopgSchema != nil }
    /// Where HypoPG lives, quoted for SQL; nil when it is not installed.
    private let hypopgSchema: String?
    /// The role the diagnoser connected as, and whether it is a superuser (it should not be).
    let role: String
    let isSuperuser: Bool
    /// The search path the session began with: the application's names resolve with it, so the
    /// statements it explains are planned with it (and only those).
    private let applicationSearchPath: String
    /// Statement roles looked up for EXPLAIN: quoted for SET ROLE, or why they may not be taken on.
    private var explainRoles: [UInt32: Result<String, PostgresError>] = [:]
    /// What could not be collected, for the evidence gaps.
    private(set) var gaps: [EvidenceGap] = []

    init(conninfo: String) throws {
        (connection, applicationSearchPath) = try Self.connect(conninfo)
        let facts = try connection.execute("""
            \(Self.marker) SELECT current_database() AS database, current_setting('max_connections')::int AS max_connections,
                   \(Self.statementsSchemaQuery) AS statements_schema,
                   (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                    WHERE e.extname = 'hypopg') AS hypopg_schema,
                   current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser
            """)
        database = facts.value(row: 0, column: "database") ?? ""
        maxConnections = Int(facts.value(row: 0, column: "max_connections") ?? "") ?? 0
        serverVersion = connection.serverVersion
        systemIdentifier = connection.systemIdentifier()
        role = facts.value(row: 0, column: "role") ?? ""
        isSuperuser = facts.value(row: 0, column: "superuser") == "t"
        var schema = facts.value(row: 0, column: "statements_schema")
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
        hypopgSchema = try facts.value(row: 0, column: "hypopg_schema").map { try connection.escapeIdentifier($0) }
        hasStatementsInfo = schema != nil && connection.serverVersion >= 140000
    }

    /// The schema pg_stat_statements is installed in, as stored (unquoted); NULL when it is not.
    private static let statementsSchemaQuery =
        "(SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements')"

    /// Where pg_stat_statements lives, quoted for SQL; nil when it is not installed or the server
    /// is older than 13 (whose view lacks the columns read).
    static func statementsSchema(on connection: PGConnection) throws -> String? {
        guard connection.serverVersion >= 130000,
              let schema = try connection.execute("\(marker) SELECT \(statementsSchemaQuery) AS schema").value(row: 0, column: "schema")
        else { return nil }
        return try connection.escapeIdentifier(schema)
    }

    /// A diagnoser's session: read-only, with statement and lock timeouts, named `strain-diagnose`,
    /// with an empty search path (`isolateFromSearchPath`); `applicationSearchPath` is the one it had.
    static func connect(_ conninfo: String) throws -> (connection: PGConnection, applicationSearchPath: String) {
        let connection = try PGConnection(conninfo: conninfo)
        let applicationSearchPath = try connection.isolateFromSearchPath(marker: Self.marker)
        // Session settings, not SET statements, so they hold whatever the connection string says.
        try connection.execute("""
            \(Self.marker) SELECT set_config('default_transaction_read_only', 'on', false),
                   set_config('statement_timeout', '5s', false), set_config('lock_timeout', '1s', false),
                   set_config('application_name', 'strain-diagnose', false)
            """)
        return (connection, applicationSearchPath)
    }

    /// The median time of a trivial statement over `count` tries: one round trip to the server,
    /// as the load's clients pay for every call on top of its execution. Nil when it fails.
    func roundTripSeconds(count: Int = 9) -> Double? {
        let times = (0..<count).compactMap { _ -> Double? in
            let start = DispatchTime.now().uptimeNanoseconds
            guard (try? connection.execute("\(Self.marker) SELECT 1")) != nil else { return nil }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return times.isEmpty ? nil : times.sorted()[times.count / 2]
    }

    // MARK: Snapshots

    /// `pg_stat_statements` of this database, without the diagnoser's own statements. Nil (and
    /// a gap) when the view cannot be read, e.g. when the library is not preloaded.
    func statementSnapshot(label: String) -> StatementSnapshot? {
        guard let schema = statementsSchema else { return nil }
        let toplevel = serverVersion >= 140000 ? "toplevel" : "true"
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT queryid, userid, \(toplevel) AS toplevel, query, calls, total_exec_time, rows,
                       shared_blks_hit, shared_blks_read, temp_blks_written, stddev_exec_time, max_exec_time
                FROM \(schema).pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND queryid IS NOT NULL AND query NOT LIKE '/* strain-diagnose */%'
                """)
            let statements = (0..<rows.rowCount).map { row in
                func number(_ column: String) -> Int64 { Int64(rows.value(row: row, column: column) ?? "") ?? 0 }
                return StatementCounters(
                    queryID: number("queryid"),
                    userID: UInt32(rows.value(row: row, column: "userid") ?? "") ?? 0,
                    toplevel: rows.value(row: row, column: "toplevel") == "t",
                    query: rows.value(row: row, column: "query") ?? "",
                    calls: number("calls"),
                    totalExecMilliseconds: Double(rows.value(row: row, column: "total_exec_time") ?? "") ?? 0,
                    rows: number("rows"),
                    sharedBlocksHit: number("shared_blks_hit"),
                    sharedBlocksRead: number("shared_blks_read"),
                    tempBlocksWritten: number("temp_blks_written"),
                    execStddevMilliseconds: rows.value(row: row, column: "stddev_exec_time").flatMap(Double.init),
                    maxExecMilliseconds: rows.value(row: row, column: "max_exec_time").flatMap(Double.init))
            }
            var deallocations: Int64?
            var statsReset: String?
            if hasStatementsInfo {
                let info = try connection.execute("\(Self.marker) SELECT dealloc, stats_reset::text AS stats_reset FROM \(schema).pg_stat_statements_info")
                if info.rowCount > 0 {
                    deallocations = Int64(info.value(row: 0, column: "dealloc") ?? "")
                    statsReset = info.value(row: 0, column: "stats_reset")
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
            // clock_timestamp(), not now(): now() is fixed at the start of the diagnoser's transaction.
            let rows = try connection.execute("""
                \(Self.marker) SELECT pid, usename, application_name, client_addr::text AS client, state, wait_event_type, wait_event,
                       extract(epoch FROM clock_timestamp() - xact_start) AS transaction_seconds,
                       extract(epoch FROM clock_timestamp() - state_change) AS state_seconds,
                       extract(epoch FROM clock_timestamp() - query_start) AS query_seconds, \(queryIDColumn), query,
                       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid)::text END AS blocked_by,
                       datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle' AS observed,
                       datname = current_database() AND state = 'idle' AS idle_here
                FROM pg_stat_activity WHERE backend_type = 'client backend'
                """)
            var sessions: [SessionState] = []
            var idleByApplication: [String: Int] = [:]
            for row in 0..<rows.rowCount where rows.value(row: row, column: "idle_here") == "t" {
                idleByApplication[rows.value(row: row, column: "application_name") ?? "", default: 0] += 1
            }
            for row in 0..<rows.rowCount where rows.value(row: row, column: "observed") == "t" {
                func text(_ column: String) -> String? { rows.value(row: row, column: column) }
                sessions.append(SessionState(
                    pid: Int32(text("pid") ?? "") ?? 0,
                    user: text("usename"),
                    application: text("application_name") ?? "",
                    client: text("client"),
                    state: text("state") ?? "unknown",
                    waitEventType: text("wait_event_type"),
                    waitEvent: text("wait_event"),
                    transactionSeconds: text("transaction_seconds").flatMap { Double($0) },
                    stateSeconds: text("state_seconds").flatMap { Double($0) },
                    querySeconds: text("query_seconds").flatMap { Double($0) },
                    query: text("query") ?? "",
                    queryID: text("query_id").flatMap { Int64($0) }.flatMap { $0 == 0 ? nil : $0 },
                    blockedBy: Self.integers(inArray: text("blocked_by"))))
            }
            return ActivitySample(at: Date(), clientConnections: rows.rowCount, sessions: sessions,
                                  idleByApplication: idleByApplication)
        } catch {
            noteOnce(.connectionPools, "pg_stat_activity could not be read: \(error)")
            return nil
        }
    }

    func tableCounters() -> [TableCounters] {
        do {
            let rows = try connection.execute("""
                \(Self.marker) SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_live_tup
                FROM pg_stat_user_tables
                """)
            return (0..<rows.rowCount).map { row in
                func number(_ column: String) -> Int64 { Int64(rows.value(row: row, column: column) ?? "") ?? 0 }
                return TableCounters(schema: rows.value(row: row, column: "schemaname") ?? "",
                                     name: rows.value(row: row, column: "relname") ?? "",
                                     sequentialScans: number("seq_scan"), sequentialRowsRead: number("seq_tup_read"),
                                     indexScans: number("idx_scan"), liveRows: number("n_live_tup"))
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
            func number(_ column: String) -> Int64 { Int64(rows.value(row: 0, column: column) ?? "") ?? 0 }
            return DatabaseCounters(blocksRead: number("blks_read"), blocksHit: number("blks_hit"), tempFiles: number("temp_files"),
                                    tempBytes: number("temp_bytes"), deadlocks: number("deadlocks"))
        } catch {
            noteOnce(.slowQueries, "pg_stat_database could not be read: \(error)")
            return nil
        }
    }

    /// pg_stat_activity.query_id exists from PostgreSQL 14.
    private var queryIDColumn: String { serverVersion >= 140000 ? "query_id" : "NULL::bigint AS query_id" }

    // MARK: Plans

    /// `EXPLAIN (VERBOSE, FORMAT JSON)` of a statement as pg_stat_statements recorded it. Text
    /// with `$n` gets a generic plan; `analyze` runs parameterless plain SELECTs for real.
    ///
    /// Planning evaluates IMMUTABLE functions, which may be anyone's code, so the statement is
    /// planned (and analysed) as the role that ran it, in a transaction that is rolled back; a
    /// statement whose role this session may not take on is not explained, and the plan says why.
    func explain(_ statement: StatementActivity, analyze: Bool) -> StatementPlan {
        let parameters = SQLText.parameterCount(statement.query)
        let analyzed = analyze && parameters == 0 && SQLText.isPlainSelect(statement.query)
        do {
            let json = try explainJSON(statement.query, asRole: statement.userID, parameters: parameters, analyze: analyzed)
            return StatementPlan(queryID: statement.queryID, generic: parameters > 0, analyzed: analyzed, json: json, error: nil)
        } catch {
            return StatementPlan(queryID: statement.queryID, generic: parameters > 0, analyzed: analyzed, json: nil,
                                 error: String(describing: error))
        }
    }

    /// Plain `EXPLAIN (VERBOSE, FORMAT JSON)` — never ANALYZE, so it is planned, not run — of a
    /// captured sample of `statement`, a plain SELECT with its literals, as the role that ran the
    /// statement, read-only, under a short statement timeout, rolled back. `normalisedFailure` is
    /// why the normalised text could not be planned; it stays in the plan either way.
    func explain(sample: StatementSample, of statement: StatementActivity, normalisedFailure: String) -> StatementPlan {
        do {
            // One statement only: the query goes through the extended protocol, which refuses two.
            guard SQLText.isPlainSelect(sample.query), SQLText.parameterCount(sample.query) == 0 else {
                throw PostgresError(message: "the captured sample is not a plain SELECT with its literals")
            }
            let json = try sampleExplainJSON(sample.query, asRole: statement.userID)
            return StatementPlan(queryID: statement.queryID, generic: false, analyzed: false, json: json, error: normalisedFailure,
                                 sample: sample.query)
        } catch {
            return StatementPlan(queryID: statement.queryID, generic: true, analyzed: false, json: nil,
                                 error: "\(normalisedFailure); a sample captured during the window could not be explained either: \(error)")
        }
    }

    /// Planning a sample should take milliseconds; a slow one is given up rather than waited for.
    static let sampleExplainTimeout = "2s"

    private func sampleExplainJSON(_ query: String, asRole userID: UInt32) throws -> String {
        let role = try quotedRole(toExplainAs: userID)
        return try inRolledBackTransaction(as: role) {
            try connection.execute("\(Self.marker) SET LOCAL statement_timeout = '\(Self.sampleExplainTimeout)'")
            let result = try connection.execute("\(Self.marker) EXPLAIN (VERBOSE, FORMAT JSON) \(query)")
            guard result.rowCount > 0, let json = result.value(row: 0, column: 0) else {
                throw PostgresError(message: "EXPLAIN returned no plan")
            }
            return json
        }
    }

    private func explainJSON(_ query: String, asRole userID: UInt32, parameters: Int, analyze: Bool) throws -> String {
        func firstValue(_ result: PGResult) throws -> String {
            guard result.rowCount > 0, let json = result.value(row: 0, column: 0) else {
                throw PostgresError(message: "EXPLAIN returned no plan")
            }
            return json
        }
        let role = try quotedRole(toExplainAs: userID)
        if parameters == 0 {
            let options = analyze ? "ANALYZE, BUFFERS, VERBOSE, FORMAT JSON" : "VERBOSE, FORMAT JSON"
            return try inRolledBackTransaction(as: role) {
                try firstValue(connection.execute("\(Self.marker) EXPLAIN (\(options)) \(query)"))
            }
        }
        // A prepared statement planned generically, executed with NULLs for EXPLAIN only. (16's
        // EXPLAIN (GENERIC_PLAN) needs the simple query protocol; this works on every version.)
        // PREPARE outlives the transaction, hence the DEALLOCATE after it.
        defer { _ = try? connection.execute("\(Self.marker) DEALLOCATE strain_explain") }
        return try inRolledBackTransaction(as: role) {
            try connection.execute("\(Self.marker) SET LOCAL plan_cache_mode = force_generic_plan")
            try connection.execute("\(Self.marker) PREPARE strain_explain AS \(query)")
            let nulls = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
            return try firstValue(connection.execute("\(Self.marker) EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE strain_explain(\(nulls))"))
        }
    }

    /// Runs `body` as `role` (quoted), with the application's search path, in a read-only transaction
    /// that is rolled back.
    private func inRolledBackTransaction<Value>(as role: String, _ body: () throws -> Value) throws -> Value {
        try connection.execute("\(Self.marker) BEGIN READ ONLY")
        defer { _ = try? connection.execute("\(Self.marker) ROLLBACK") }
        try connection.execute("\(Self.marker) SET LOCAL ROLE \(role)")
        try connection.setSearchPathForThisTransaction(applicationSearchPath, marker: Self.marker)
        return try body()
    }

    /// The role `userID` (pg_stat_statements.userid), quoted for SET ROLE, when this session may
    /// take it on: it is a member of it, or a superuser. Otherwise an error that says why not.
    private func quotedRole(toExplainAs userID: UInt32) throws -> String {
        if let known = explainRoles[userID] { return try known.get() }
        let result: Result<String, PostgresError>
        let rows = try connection.execute("""
            \(Self.marker) SELECT rolname, pg_has_role(oid, 'MEMBER') AS may_set_role FROM pg_roles WHERE oid = $1
            """, parameters: [String(userID)])
        if rows.rowCount == 1, let name = rows.value(row: 0, column: "rolname") {
            if rows.value(row: 0, column: "may_set_role") == "t" {
                result = .success(try connection.escapeIdentifier(name))
            } else {
                let grant = "GRANT \(try connection.escapeIdentifier(name)) TO \(try connection.escapeIdentifier(role))"
                result = .failure(PostgresError(message: "not explained: it ran as role \(name), which the diagnoser's role "
                    + "\(role) may not SET ROLE to, and planning it with the diagnoser's own privileges could run \(name)'s "
                    + "functions with more privilege than \(name) has; to have it explained, \(grant)"))
            }
        } else {
            result = .failure(PostgresError(message: "not explained: the role that ran it (oid \(userID)) no longer exists"))
        }
        explainRoles[userID] = result
        return try result.get()
    }

    /// Row estimate, size and index columns of each table the plans scan (live rows when the
    /// table was never analyzed: reltuples is then -1).
    func relations(in plans: [StatementPlan]) -> [RelationInfo] {
        let names = Set(plans.compactMap(\.json).compactMap { try? PlanNode.parse(explainJSON: $0) }
            .flatMap(\.allNodes).compactMap { node in node.relationName.map { [node.schema ?? "public", $0] } })
        return names.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }.compactMap { name in
            do {
                let rows = try connection.execute("""
                    \(Self.marker) SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE coalesce(s.n_live_tup, 0) END AS row_estimate,
                           pg_relation_size(c.oid) AS bytes,
                           array_to_json(array(
                               SELECT array_to_json(array(SELECT pg_get_indexdef(i.indexrelid, k, true)
                                                          FROM generate_series(1, i.indnkeyatts) k ORDER BY k))
                               FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid ORDER BY i.indexrelid)) AS index_columns,
                           array_to_json(array(
                               SELECT json_build_object('name', ic.relname, 'columns',
                                                        array(SELECT pg_get_indexdef(i.indexrelid, k, true)
                                                              FROM generate_series(1, i.indnkeyatts) k ORDER BY k))
                               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                               WHERE i.indrelid = c.oid AND NOT i.indisvalid ORDER BY i.indexrelid)) AS invalid_indexes
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
                    WHERE n.nspname = $1 AND c.relname = $2
                    """, parameters: [name[0], name[1]])
                guard rows.rowCount == 1 else { return nil }
                let indexes = try JSONDecoder().decode([[String]].self, from: Data((rows.value(row: 0, column: "index_columns") ?? "[]").utf8))
                let invalid = try JSONDecoder().decode([InvalidIndex].self, from: Data((rows.value(row: 0, column: "invalid_indexes") ?? "[]").utf8))
                return RelationInfo(schema: name[0], name: name[1], rows: Double(rows.value(row: 0, column: "row_estimate") ?? "") ?? 0,
                                    bytes: Int64(rows.value(row: 0, column: "bytes") ?? "") ?? 0, indexes: indexes, invalidIndexes: invalid)
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
            guard let hypopg = hypopgSchema else { throw PostgresError(message: "HypoPG is not installed in this database") }
            // The definition names the table as the plan did: with the application's search path. A
            // transaction of its own, so that the path reverts however it ends.
            try connection.execute("\(Self.marker) BEGIN READ ONLY")
            do {
                try connection.setSearchPathForThisTransaction(applicationSearchPath, marker: Self.marker)
                try connection.execute("\(Self.marker) SELECT indexrelid FROM \(hypopg).hypopg_create_index($1)",
                                       parameters: [suggestion.hypotheticalDefinition])
                try connection.execute("\(Self.marker) COMMIT")
            } catch {
                _ = try? connection.execute("\(Self.marker) ROLLBACK")
                throw error
            }
            defer { _ = try? connection.execute("\(Self.marker) SELECT \(hypopg).hypopg_reset()") }
            // The same text as the plan before: the captured sample when the normalised text could not be planned.
            let json = try before.sample.map { try sampleExplainJSON($0, asRole: statement.userID) }
                ?? explainJSON(statement.query, asRole: statement.userID, parameters: SQLText.parameterCount(statement.query),
                               analyze: false)
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
