import Foundation
import StrainContract
import StrainPQ

/// Reads, once a second and on a connection of its own, how many times each statement has been
/// called: `pg_stat_statements` without its texts, so the read stays cheap however many statements
/// the server keeps. The differences between reads are what a statement did second by second,
/// which the load's per-second request counts are set against (see EndpointAttribution).
///
/// Not Sendable: it owns a libpq connection and lives on its sampling thread.
final class StatementCallsSampler {
    /// Reads fall on the load's whole seconds, where its timeline's intervals begin and end.
    static let period = 1.0

    private let connection: PGConnection
    private let query: String
    private(set) var series = StatementCallSeries()

    /// Nil when pg_stat_statements is not installed in the database (the collector reports that gap).
    init?(conninfo: String) throws {
        connection = try PostgresCollector.connect(conninfo).connection
        guard let schema = try PostgresCollector.statementsSchema(on: connection) else { return nil }
        // Only statements the client sent count against its requests; `toplevel` exists from 14 on.
        let toplevel = connection.serverVersion >= 140000 ? "AND toplevel" : ""
        query = """
            \(PostgresCollector.marker) SELECT queryid, sum(calls)::bigint AS calls
            FROM \(schema).pg_stat_statements(false)
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL \(toplevel)
            GROUP BY queryid
            """
    }

    /// Adds the counts now. Throws when the query fails.
    func read() throws {
        let sent = Date()
        let rows = try connection.execute(query)
        // The server reads its counters somewhere between sending and answering: take the middle.
        let at = sent.addingTimeInterval(Date().timeIntervalSince(sent) / 2)
        var calls: [Int64: Int64] = [:]
        for row in 0..<rows.rowCount {
            guard let id = rows.value(row: row, column: "queryid").flatMap({ Int64($0) }),
                  let count = rows.value(row: row, column: "calls").flatMap({ Int64($0) }) else { continue }
            calls[id, default: 0] += count
        }
        series.add(calls, at: at)
    }

    /// The next whole period after `now`, counted from `origin` (the load's start).
    static func nextRead(after now: Date, origin: Date) -> Date {
        let periods = (now.timeIntervalSince(origin) / period).rounded(.down) + 1
        return origin.addingTimeInterval(periods * period)
    }
}

/// Cumulative call counts turned into the calls of each stretch between reads. Bounded: past
/// `maximumStretches`, neighbouring stretches are merged in pairs, so a long window is kept whole
/// at a coarser grain.
struct StatementCallSeries {
    static let maximumStretches = 1800

    private var last: (at: Date, calls: [Int64: Int64])?
    private(set) var stretches: [StatementCalls] = []

    mutating func add(_ cumulative: [Int64: Int64], at time: Date) {
        defer { last = (time, cumulative) }
        guard let last else { return }
        let calls = cumulative.compactMap { id, count -> StatementCalls.Call? in
            let before = last.calls[id] ?? 0
            // Fewer calls than at the last read: the entry was evicted or reset and counts from zero again.
            let made = count >= before ? count - before : count
            return made > 0 ? StatementCalls.Call(queryID: id, calls: made) : nil
        }
        stretches.append(StatementCalls(from: last.at, to: time, calls: calls.sorted { $0.queryID < $1.queryID }))
        if stretches.count > Self.maximumStretches { mergePairs() }
    }

    private mutating func mergePairs() {
        stretches = stride(from: 0, to: stretches.count, by: 2).map { index in
            guard index + 1 < stretches.count else { return stretches[index] }
            let first = stretches[index], second = stretches[index + 1]
            let calls = Dictionary((first.calls + second.calls).map { ($0.queryID, $0.calls) }, uniquingKeysWith: +)
            return StatementCalls(from: first.from, to: second.to,
                                  calls: calls.map { StatementCalls.Call(queryID: $0.key, calls: $0.value) }.sorted { $0.queryID < $1.queryID })
        }
    }
}
