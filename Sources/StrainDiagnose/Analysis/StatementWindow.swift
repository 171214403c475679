import Foundation

/// What one statement did between two `pg_stat_statements` snapshots.
public struct StatementActivity: Sendable, Equatable {
    public var queryID: Int64
    public var userID: UInt32
    public var toplevel: Bool
    public var query: String
    public var calls: Int64
    /// Execution time summed over the calls, in seconds.
    public var seconds: Double
    public var rows: Int64
    public var sharedBlocksRead: Int64
    public var tempBlocksWritten: Int64
    /// The standard deviation of the window's calls' execution times; nil when a snapshot lacks it.
    public var stddevSeconds: Double? = nil
    /// The slowest call since the entry was created, and whether it was one of the window's (the
    /// maximum rose during it); nil when the snapshot lacks it.
    public var slowestSeconds: Double? = nil
    public var slowestWasInWindow = false

    public var meanSeconds: Double { calls > 0 ? seconds / Double(calls) : 0 }
    public var rowsPerCall: Double { calls > 0 ? Double(rows) / Double(calls) : 0 }
}

/// The difference between two `pg_stat_statements` snapshots, without ever resetting the
/// statistics (other tools and people rely on them).
public struct StatementWindow: Sendable, Equatable {
    /// Statements that ran in the window, most total time first (query id breaks ties, so the
    /// order is the same every time for the same numbers).
    public var statements: [StatementActivity]
    /// Entries pg_stat_statements evicted during the window (its `max` was reached): statements
    /// may be missing or undercounted. Nil when the server does not say (before PostgreSQL 14).
    public var evictions: Int64?
    /// The statistics were reset during the window: counts restart from zero.
    public var wasReset: Bool

    public init(from start: StatementSnapshot, to end: StatementSnapshot) {
        struct Key: Hashable {
            var queryID: Int64
            var userID: UInt32
            var toplevel: Bool
        }
        func key(_ counters: StatementCounters) -> Key {
            Key(queryID: counters.queryID, userID: counters.userID, toplevel: counters.toplevel)
        }
        let before = Dictionary(start.statements.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        statements = end.statements.compactMap { after in
            // An entry with fewer calls than before was evicted and created again (or reset):
            // everything it counts happened since, so it is taken whole.
            let base = before[key(after)].flatMap { $0.calls <= after.calls ? $0 : nil }
            var activity = StatementActivity(
                queryID: after.queryID, userID: after.userID, toplevel: after.toplevel, query: after.query,
                calls: after.calls.rise(since: base?.calls ?? 0),
                seconds: max(0, after.totalExecMilliseconds - (base?.totalExecMilliseconds ?? 0)) / 1000,
                rows: after.rows.rise(since: base?.rows ?? 0),
                sharedBlocksRead: after.sharedBlocksRead.rise(since: base?.sharedBlocksRead ?? 0),
                tempBlocksWritten: after.tempBlocksWritten.rise(since: base?.tempBlocksWritten ?? 0))
            guard activity.calls > 0 else { return nil }
            activity.stddevSeconds = Self.windowStddevMilliseconds(after, since: base, calls: activity.calls).map { $0 / 1000 }
            if let slowest = after.maxExecMilliseconds, slowest.isFinite, slowest >= 0 {
                activity.slowestSeconds = slowest / 1000
                activity.slowestWasInWindow = slowest > (base?.maxExecMilliseconds ?? 0)
            }
            return activity
        }
        .sorted { ($0.seconds, $1.queryID, $1.userID) > ($1.seconds, $0.queryID, $0.userID) }
        if let startCount = start.deallocations, let endCount = end.deallocations {
            evictions = endCount.rise(since: startCount)
        } else {
            evictions = nil
        }
        wasReset = start.statsReset != end.statsReset
    }

    /// The spread of the `calls` made between two counters of one statement (`base` nil: all of
    /// `after`'s). pg_stat_statements keeps each entry's mean and population standard deviation, which
    /// give its sum of squares, calls × (σ² + mean²); the window's is the difference, its variance
    /// that over the calls less the square of its mean.
    static func windowStddevMilliseconds(_ after: StatementCounters, since base: StatementCounters?, calls: Int64) -> Double? {
        func sumOfSquares(_ counters: StatementCounters?) -> Double? {
            guard let counters else { return 0 }
            guard let stddev = counters.execStddevMilliseconds, counters.calls > 0 else { return counters.calls == 0 ? 0 : nil }
            let mean = counters.totalExecMilliseconds / Double(counters.calls)
            return Double(counters.calls) * (stddev * stddev + mean * mean)
        }
        guard calls > 0, let end = sumOfSquares(after), let start = sumOfSquares(base) else { return nil }
        let mean = (after.totalExecMilliseconds - (base?.totalExecMilliseconds ?? 0)) / Double(calls)
        // Rounding can leave a spread of none slightly below zero.
        let variance = max(0, (end - start) / Double(calls) - mean * mean)
        return variance.isFinite ? variance.squareRoot() : nil
    }

    /// Execution time of top-level statements (nested ones are inside their callers' time already).
    public var toplevelSeconds: Double {
        statements.filter(\.toplevel).reduce(0) { $0 + $1.seconds }
    }

    /// A statement this slow per call is explained and reported whatever its share of the time.
    public static let slowCallSeconds = 0.5

    /// The statements worth an `EXPLAIN`: the top-level data statements with the most time, and
    /// every one slow per call.
    public func explainCandidates(limit: Int = 5) -> [StatementActivity] {
        let explainable = statements.filter { $0.toplevel && SQLText.isExplainable($0.query) }
        return Array(explainable.prefix(limit)) + explainable.dropFirst(limit).filter { $0.meanSeconds >= Self.slowCallSeconds }
    }
}

/// Small facts about SQL text that the checks and collectors need, without a parser.
public enum SQLText {
    /// The first keyword, uppercased, after leading comments and whitespace.
    public static func leadingKeyword(_ sql: String) -> String {
        var rest = Substring(sql)
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "(" }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*"), let end = rest.range(of: "*/") {
                rest = rest[end.upperBound...]
            } else {
                break
            }
        }
        return rest.prefix { $0.isLetter }.uppercased()
    }

    /// Statements `EXPLAIN` accepts and that read or change table data.
    public static func isExplainable(_ sql: String) -> Bool {
        ["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "TABLE", "VALUES"].contains(leadingKeyword(sql))
    }

    /// Statements `EXPLAIN ANALYZE` may run (as the role that ran them, rolled back): a plain
    /// SELECT, without locking clauses; a WITH could hide a data-modifying statement.
    public static func isPlainSelect(_ sql: String) -> Bool {
        guard leadingKeyword(sql) == "SELECT" else { return false }
        let upper = sql.uppercased()
        return !["INSERT", "UPDATE", "DELETE", "MERGE", "FOR SHARE", "FOR NO KEY", "FOR KEY SHARE", " INTO "]
            .contains { upper.contains($0) }
    }

    /// The highest `$n` in the text: how many parameters a prepared form of it takes.
    public static func parameterCount(_ sql: String) -> Int {
        sql.matches(of: /\$(\d+)/).compactMap { Int($0.1) }.max() ?? 0
    }

    /// One line, at most `limit` characters, for evidence lines and finding objects.
    public static func brief(_ sql: String, limit: Int = 160) -> String {
        let line = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }
}
