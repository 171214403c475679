import Foundation
import StrainPQ

/// Samples lock waits ten times a second, on a connection of its own (the main collector's runs
/// slower queries): waits of 10–200 ms, common under row contention, are mostly missed by
/// one-second samples. One query per sample; it reads only `pg_stat_activity` while nobody waits.
///
/// Not Sendable: it owns a libpq connection and lives on its sampling thread.
final class LockSampler {
    static let interval = 0.1
    /// A sample stands for the time since the previous one, at most this long (a sampler that
    /// stalled longer says nothing about the gap).
    static let longestGap = 1.0

    private let connection: PGConnection
    private let queryIDColumn: String
    private var previous = Date()

    init(conninfo: String) throws {
        connection = try PostgresCollector.connect(conninfo).connection
        queryIDColumn = connection.serverVersion >= 140000 ? "a.query_id" : "NULL::bigint AS query_id"
    }

    /// The waiting sessions and their blockers now; nil when nobody waits. Throws when the query fails.
    func sample() throws -> LockSample? {
        // A waiter on a row first takes the row's tuple lock, then waits for the holder's
        // transaction: the table and the row come from its tuple lock when it has one.
        let rows = try connection.execute("""
            \(PostgresCollector.marker) WITH waiting AS (
                SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND datname = current_database()),
            locks AS MATERIALIZED (
                SELECT l.pid, l.locktype, l.granted, '(' || l.page || ',' || l.tuple || ')' AS row,
                       (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = l.relation) AS relation
                FROM pg_locks l
                WHERE l.pid IN (SELECT pid FROM waiting) AND (NOT l.granted OR l.locktype = 'tuple'))
            SELECT a.pid, a.state, a.query, \(queryIDColumn), w.blockers::text AS blocked_by,
                   (SELECT locktype FROM locks WHERE locks.pid = a.pid AND NOT granted LIMIT 1) AS lock_type,
                   (SELECT relation FROM locks WHERE locks.pid = a.pid AND relation IS NOT NULL
                    ORDER BY locktype = 'tuple' DESC LIMIT 1) AS relation,
                   (SELECT row FROM locks WHERE locks.pid = a.pid AND locktype = 'tuple' LIMIT 1) AS row
            FROM pg_stat_activity a LEFT JOIN waiting w ON w.pid = a.pid
            WHERE a.pid IN (SELECT pid FROM waiting UNION SELECT unnest(blockers) FROM waiting)
            """)
        let now = Date()
        defer { previous = now }
        guard rows.rowCount > 0 else { return nil }
        let sessions = (0..<rows.rowCount).map { row in
            func text(_ column: String) -> String? { rows.value(row: row, column: column) }
            return LockSession(pid: Int32(text("pid") ?? "") ?? 0, query: text("query") ?? "",
                               queryID: text("query_id").flatMap { Int64($0) }.flatMap { $0 == 0 ? nil : $0 },
                               state: text("state") ?? "unknown", lockType: text("lock_type"), relation: text("relation"),
                               row: text("row"), blockedBy: PostgresCollector.integers(inArray: text("blocked_by")))
        }
        return LockSample(at: now, seconds: min(now.timeIntervalSince(previous), Self.longestGap), sessions: sessions)
    }
}
