import Foundation
import StrainPQ

/// Captures, with the lock sampler's rhythm and on a connection of its own, the text of plain
/// SELECTs running now — with the literals a client interpolated — once per statement, so a
/// statement whose normalised text cannot be planned can be explained from a real sample.
/// Statements already captured are left out by the query itself (by `query_id`), so a sample
/// costs one small read of `pg_stat_activity`.
///
/// Not Sendable: it owns a libpq connection and lives on its sampling thread.
final class StatementSampler {
    /// Statements kept at most: enough for the few top statements that are explained.
    static let maximumSamples = 200

    private let connection: PGConnection
    private let hasQueryID: Bool
    private(set) var samples: [StatementSample] = []
    private var seenIDs: Set<Int64> = []
    private var seenTexts: Set<String> = []

    init(conninfo: String) throws {
        connection = try PostgresCollector.connect(conninfo).connection
        hasQueryID = connection.serverVersion >= 140000
    }

    /// Adds the statements running now that were not captured yet. Throws when the query fails.
    func capture() throws {
        guard samples.count < Self.maximumSamples else { return }
        let queryID = hasQueryID ? "query_id" : "NULL::bigint AS query_id"
        let unseen = hasQueryID ? "AND (query_id IS NULL OR query_id <> ALL($1::bigint[]))" : ""
        // pg_stat_activity keeps track_activity_query_size − 1 bytes of a statement (cut at a character,
        // so up to three fewer): a text that long may have lost its end, and planning what is left
        // (a WHERE clause without its last condition) would explain another statement.
        let rows = try connection.execute("""
            \(PostgresCollector.marker) SELECT \(queryID), query,
                   octet_length(query) >= (SELECT setting::int FROM pg_settings WHERE name = 'track_activity_query_size') - 4 AS cut
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
              AND backend_type = 'client backend' AND query NOT LIKE '/* strain-diagnose */%' \(unseen)
            """, parameters: hasQueryID ? ["{" + seenIDs.map(String.init).joined(separator: ",") + "}"] : [])
        for row in 0..<rows.rowCount where rows.value(row: row, column: "cut") != "t" {
            let query = rows.value(row: row, column: "query") ?? ""
            let id = rows.value(row: row, column: "query_id").flatMap { Int64($0) }.flatMap { $0 == 0 ? nil : $0 }
            if let id {
                guard seenIDs.insert(id).inserted else { continue }
            } else {
                guard seenTexts.insert(StatementFingerprint.normalised(query)).inserted else { continue }
            }
            // Only literal text helps (a $n text is what pg_stat_statements has already), and only
            // a plain SELECT is ever explained: other statements' literals are not kept.
            guard SQLText.parameterCount(query) == 0, SQLText.isPlainSelect(query), samples.count < Self.maximumSamples else { continue }
            samples.append(StatementSample(queryID: id, query: query))
        }
    }
}
