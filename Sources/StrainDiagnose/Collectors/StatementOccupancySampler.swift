import Foundation
import StrainContract
import StrainPQ

/// Counts, about fifty times a second and on a connection of its own, which statement each
/// session of the database is on: running it, or idle in a transaction after it (the client
/// working before its next statement). Summed over the window this is what a statement's calls
/// cost the clients — round trips and client time included — where pg_stat_statements sees only
/// the execution. A session idle outside a transaction counts apart, by how long it has been idle
/// (up to the last of `StatementOccupancy.idleAgeBounds`): between two calls of an autocommit
/// client that is a few hundred microseconds, in a pool between requests usually far longer.
/// One small read of `pg_stat_activity` per sample.
///
/// Not Sendable: it owns a libpq connection and lives on its sampling thread.
final class StatementOccupancySampler {
    /// The time between samples, drawn at random from this range.
    static let gaps = 0.01...0.03

    /// The longest idle time a sample keeps, as SQL takes it.
    static let idleWindowMicroseconds = Int(StatementOccupancy.idleAgeBounds.last! * 1e6)

    private let connection: PGConnection
    private let queryIDColumn: String
    private var previous = Date()
    private(set) var tally = StatementOccupancyTally()

    init(conninfo: String) throws {
        connection = try PostgresCollector.connect(conninfo).connection
        queryIDColumn = connection.serverVersion >= 140000 ? "query_id" : "NULL::bigint AS query_id"
    }

    /// Adds the sessions on a statement now. Throws when the query fails.
    func sample() throws {
        let rows = try connection.execute("""
            \(PostgresCollector.marker) SELECT \(queryIDColumn), query,
              CASE WHEN state = 'idle' THEN extract(epoch FROM clock_timestamp() - state_change) END AS idle_seconds
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND (state IN ('active', 'idle in transaction')
                   OR state = 'idle' AND state_change > clock_timestamp() - interval '\(Self.idleWindowMicroseconds) microseconds')
              AND query NOT LIKE '/* strain-diagnose */%'
            """)
        tally.add((0..<rows.rowCount).map { row in
            (queryID: rows.value(row: row, column: "query_id").flatMap { Int64($0) }.flatMap { $0 == 0 ? nil : $0 },
             query: rows.value(row: row, column: "query") ?? "",
             idleSeconds: rows.value(row: row, column: "idle_seconds").flatMap { Double($0) })
        }, at: Date())
    }
}

/// Sessions × seconds per statement, by `query_id` or, without one, by normalised text: each
/// sample counts for the average time between samples, not for the gap before it, since a sampler
/// delayed by a busy host would otherwise weigh its late samples — taken while the host is busy —
/// more than the rest. Bounded: past `maximumStatements` distinct statements, new ones are not
/// counted (the costly ones are seen early and often). A SELECT seen with its literals keeps up to
/// `literalTextsKept` distinct texts: enough to tell one parameter set from several.
struct StatementOccupancyTally {
    static let maximumStatements = 1000
    static let literalTextsKept = 2

    private struct Seen {
        var queryID: Int64?
        var fingerprint: String?
        var samples = 0
        var literalSamples = 0
        var literalTexts: [String] = []
        /// Per bound of `StatementOccupancy.idleAgeBounds`, sessions found idle after it at most that long.
        var idleSamplesWithin = [Int](repeating: 0, count: StatementOccupancy.idleAgeBounds.count)
    }

    private var sessionsSeen: [String: Seen] = [:]
    private var samples = 0
    private var first: Date?
    private var last: Date?

    /// One sample: each session's statement, and for one idle outside a transaction how long it has been idle.
    mutating func add(_ sessions: [(queryID: Int64?, query: String, idleSeconds: Double?)], at time: Date) {
        samples += 1
        first = first ?? time
        last = time
        for session in sessions {
            let fingerprint = session.queryID == nil ? StatementFingerprint.normalised(session.query) : nil
            let key = session.queryID.map { "id \($0)" } ?? "text \(fingerprint ?? "")"
            if sessionsSeen[key] == nil {
                guard sessionsSeen.count < Self.maximumStatements else { continue }
                sessionsSeen[key] = Seen(queryID: session.queryID, fingerprint: fingerprint)
            }
            if let idle = session.idleSeconds {
                for (index, bound) in StatementOccupancy.idleAgeBounds.enumerated() where idle <= bound {
                    sessionsSeen[key]?.idleSamplesWithin[index] += 1
                }
            } else {
                sessionsSeen[key]?.samples += 1
            }
            if SQLText.leadingKeyword(session.query) == "SELECT", SQLText.parameterCount(session.query) == 0 {
                sessionsSeen[key]?.literalSamples += 1
                if let texts = sessionsSeen[key]?.literalTexts, texts.count < Self.literalTextsKept, !texts.contains(session.query) {
                    sessionsSeen[key]?.literalTexts.append(session.query)
                }
            }
        }
    }

    /// The average time between samples; nil before two.
    var secondsPerSample: Double? {
        guard let first, let last, samples >= 2 else { return nil }
        return last.timeIntervalSince(first) / Double(samples - 1)
    }

    /// The statements seen, the longest first.
    var occupancy: [StatementOccupancy] {
        guard let secondsPerSample else { return [] }
        return sessionsSeen.values.map { entry in
            StatementOccupancy(queryID: entry.queryID, fingerprint: entry.fingerprint,
                               seconds: Double(entry.samples) * secondsPerSample, samples: entry.samples,
                               literalSamples: entry.literalSamples, literalTexts: entry.literalTexts,
                               idleSecondsWithin: entry.idleSamplesWithin.map { Double($0) * secondsPerSample })
        }.sorted { $0.seconds != $1.seconds ? $0.seconds > $1.seconds : ($0.queryID ?? 0) < ($1.queryID ?? 0) }
    }
}

extension StatementOccupancy {
    /// The entry of a pg_stat_statements statement: by `query_id`, else by normalised text.
    static func of(_ statement: StatementActivity, in occupancy: [StatementOccupancy]) -> StatementOccupancy? {
        occupancy.first { $0.queryID == statement.queryID }
            ?? occupancy.first { $0.queryID == nil && $0.fingerprint == StatementFingerprint.normalised(statement.query) }
    }
}
