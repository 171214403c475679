import Foundation
import StrainPQ

/// Reads PgBouncer's admin console. The console speaks only the simple query protocol, so
/// its commands go through `sendSimpleQuery`.
/// Not Sendable: it owns a libpq connection and lives on the session's sampling thread.
final class PgBouncerCollector {
    private let connection: PGConnection
    private(set) var lastError: String?

    /// `conninfo` names the admin console: dbname=pgbouncer, a user in admin_users or stats_users.
    init(conninfo: String) throws {
        connection = try PGConnection(conninfo: conninfo)
    }

    func sample() -> PgBouncerSample? {
        do {
            return PgBouncerSample(at: Date(), pools: try rows("SHOW POOLS"), stats: try rows("SHOW STATS"))
        } catch {
            lastError = "\(error)"
            return nil
        }
    }

    /// A command's rows keyed by column name.
    private func rows(_ command: String) throws -> [[String: String]] {
        try connection.sendSimpleQuery(command)
        var rows: [[String: String]] = []
        var failure: PostgresError?
        while let result = connection.nextResult() {
            if let error = result.error { failure = error }
            let columns = (0..<result.columnCount).map(result.columnName)
            for row in 0..<result.rowCount {
                var values: [String: String] = [:]
                for (column, name) in columns.enumerated() { values[name] = result.value(row: row, column: column) }
                rows.append(values)
            }
        }
        if let failure { throw failure }
        return rows
    }
}
