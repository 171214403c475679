import Foundation

/// What the diagnoser's read-only session saw in one PostgreSQL database.
public struct PostgresEvidence: Codable, Sendable, Equatable {
    /// The database observed (`current_database()`): statements, sessions and tables are its own;
    /// connections are counted over the whole server, against `max_connections`.
    public var database: String
    /// The cluster's `system_identifier` (nil where not granted, or in evidence saved before it was
    /// recorded): with `database`, what `strain verify` checks to act on the database it diagnosed.
    public var systemIdentifier: String?
    /// e.g. 150020 for 15.20.
    public var serverVersion: Int
    public var maxConnections: Int
    /// `pg_stat_statements` at the start, at each phase mark and at the end; empty when the
    /// extension is missing (see the evidence gaps).
    public var statementSnapshots: [StatementSnapshot]
    /// `pg_stat_activity`, every second.
    public var activity: [ActivitySample]
    /// Sessions waiting for a lock and the sessions blocking them, ten times a second (nil in
    /// evidence saved before they were sampled).
    public var lockSamples: [LockSample]?
    /// Plain SELECTs as sessions ran them, with their literals, one per statement (nil in evidence
    /// saved before they were captured): what is planned when the normalised text cannot be.
    public var statementSamples: [StatementSample]?
    /// Per statement, the time sessions were seen on it, sampled fifty times a second (nil in evidence saved
    /// before it was sampled): what its calls cost the clients, beyond what the server measures.
    public var statementOccupancy: [StatementOccupancy]?
    /// Top-level calls per statement, second by second (nil in evidence saved before they were
    /// read): which endpoint's requests a statement's calls follow (see EndpointAttribution).
    public var statementCalls: [StatementCalls]?
    public var tablesAtStart: [TableCounters]
    public var tablesAtEnd: [TableCounters]
    public var databaseAtStart: DatabaseCounters?
    public var databaseAtEnd: DatabaseCounters?
    /// `EXPLAIN (FORMAT JSON)` of the statements that took the most time.
    public var plans: [StatementPlan]
    /// Size and indexes of the tables those plans read.
    public var relations: [RelationInfo]
    /// Indexes suggested for those plans, tried as HypoPG hypothetical indexes.
    public var indexTrials: [IndexTrial]
    public var hypopgAvailable: Bool
    /// The role the diagnoser connected as, and whether it is a superuser (nil in evidence saved
    /// before they were recorded).
    public var diagnoserRole: String?
    public var diagnoserIsSuperuser: Bool?
    /// A round trip to the server as the diagnoser's session sees it (the median time of a
    /// trivial statement), in seconds: what each call costs beyond its execution time. Nil when
    /// not measured.
    public var roundTripSeconds: Double?

    public init(database: String, systemIdentifier: String? = nil, serverVersion: Int, maxConnections: Int,
                statementSnapshots: [StatementSnapshot] = [], activity: [ActivitySample] = [], lockSamples: [LockSample]? = nil,
                statementSamples: [StatementSample]? = nil, statementOccupancy: [StatementOccupancy]? = nil,
                statementCalls: [StatementCalls]? = nil, tablesAtStart: [TableCounters] = [], tablesAtEnd: [TableCounters] = [],
                databaseAtStart: DatabaseCounters? = nil, databaseAtEnd: DatabaseCounters? = nil,
                plans: [StatementPlan] = [], relations: [RelationInfo] = [], indexTrials: [IndexTrial] = [],
                hypopgAvailable: Bool = false, diagnoserRole: String? = nil, diagnoserIsSuperuser: Bool? = nil,
                roundTripSeconds: Double? = nil) {
        self.database = database
        self.systemIdentifier = systemIdentifier
        self.serverVersion = serverVersion
        self.maxConnections = maxConnections
        self.statementSnapshots = statementSnapshots
        self.activity = activity
        self.lockSamples = lockSamples
        self.statementSamples = statementSamples
        self.statementOccupancy = statementOccupancy
        self.statementCalls = statementCalls
        self.tablesAtStart = tablesAtStart
        self.tablesAtEnd = tablesAtEnd
        self.databaseAtStart = databaseAtStart
        self.databaseAtEnd = databaseAtEnd
        self.plans = plans
        self.relations = relations
        self.indexTrials = indexTrials
        self.hypopgAvailable = hypopgAvailable
        self.diagnoserRole = diagnoserRole
        self.diagnoserIsSuperuser = diagnoserIsSuperuser
        self.roundTripSeconds = roundTripSeconds
    }
}

/// `pg_stat_statements` (and `pg_stat_statements_info`) at one moment.
public struct StatementSnapshot: Codable, Sendable, Equatable {
    /// "start", a phase name, or "end".
    public var label: String
    public var at: Date
    public var statements: [StatementCounters]
    /// Entries evicted since the statistics were reset (`pg_stat_statements_info.dealloc`, 14+).
    public var deallocations: Int64?
    /// When the statistics were last reset, as the server printed it.
    public var statsReset: String?

    public init(label: String, at: Date, statements: [StatementCounters], deallocations: Int64?, statsReset: String?) {
        self.label = label
        self.at = at
        self.statements = statements
        self.deallocations = deallocations
        self.statsReset = statsReset
    }
}

/// One `pg_stat_statements` entry: cumulative since the entry was created.
public struct StatementCounters: Codable, Sendable, Equatable {
    public var queryID: Int64
    public var userID: UInt32
    /// False for statements run inside functions (`pg_stat_statements.track = all`).
    public var toplevel: Bool
    /// The normalised text: constants appear as $1, $2, … (password literals masked).
    public var query: String
    public var calls: Int64
    public var totalExecMilliseconds: Double
    public var rows: Int64
    public var sharedBlocksHit: Int64
    public var sharedBlocksRead: Int64
    public var tempBlocksWritten: Int64
    /// The population standard deviation of the calls' execution times (`stddev_exec_time`): with
    /// `calls` and the total it gives their sum of squares, so a window's spread can be taken from
    /// two snapshots. Nil in evidence saved before it was collected.
    public var execStddevMilliseconds: Double?
    /// The slowest call since the entry was created (`max_exec_time`).
    public var maxExecMilliseconds: Double?

    public init(queryID: Int64, userID: UInt32, toplevel: Bool, query: String, calls: Int64,
                totalExecMilliseconds: Double, rows: Int64, sharedBlocksHit: Int64 = 0, sharedBlocksRead: Int64 = 0,
                tempBlocksWritten: Int64 = 0, execStddevMilliseconds: Double? = nil, maxExecMilliseconds: Double? = nil) {
        self.queryID = queryID
        self.userID = userID
        self.toplevel = toplevel
        // Text enters the evidence here, so this is where passwords are masked.
        self.query = SQLLiterals.scrubbingPasswords(query)
        self.calls = calls
        self.totalExecMilliseconds = totalExecMilliseconds
        self.rows = rows
        self.sharedBlocksHit = sharedBlocksHit
        self.sharedBlocksRead = sharedBlocksRead
        self.tempBlocksWritten = tempBlocksWritten
        self.execStddevMilliseconds = execStddevMilliseconds
        self.maxExecMilliseconds = maxExecMilliseconds
    }
}

/// Sessions of the observed database at one moment (the diagnoser's own left out).
public struct ActivitySample: Codable, Sendable, Equatable {
    public var at: Date
    /// Client connections to the whole server, all databases.
    public var clientConnections: Int
    /// Sessions of the observed database that were not plain `idle`.
    public var sessions: [SessionState]
    /// Plain `idle` sessions of the observed database by application name: an application with
    /// none had no free connection in its pool (nil in evidence saved before they were counted).
    public var idleByApplication: [String: Int]?

    public init(at: Date, clientConnections: Int, sessions: [SessionState], idleByApplication: [String: Int]? = nil) {
        self.at = at
        self.clientConnections = clientConnections
        self.sessions = sessions
        self.idleByApplication = idleByApplication
    }
}

/// One `pg_stat_activity` row; ages are computed by the server, in seconds.
public struct SessionState: Codable, Sendable, Equatable {
    public var pid: Int32
    public var user: String?
    public var application: String
    public var client: String?
    /// "active", "idle in transaction", "idle in transaction (aborted)", …
    public var state: String
    public var waitEventType: String?
    public var waitEvent: String?
    public var transactionSeconds: Double?
    /// Time since the state last changed (how long it has been idle in its transaction).
    public var stateSeconds: Double?
    public var querySeconds: Double?
    /// The current statement, or the last one when not active (password literals masked).
    public var query: String
    /// `pg_stat_activity.query_id` of that statement (PostgreSQL 14+ with `compute_query_id`): the
    /// same id as in `pg_stat_statements`, whatever literals the text carries. Nil when not computed.
    public var queryID: Int64?
    /// `pg_blocking_pids(pid)`: sessions holding the lock this one waits for.
    public var blockedBy: [Int32]

    public init(pid: Int32, user: String?, application: String, client: String?, state: String,
                waitEventType: String?, waitEvent: String?, transactionSeconds: Double?, stateSeconds: Double?,
                querySeconds: Double?, query: String, queryID: Int64? = nil, blockedBy: [Int32]) {
        self.pid = pid
        self.user = user
        self.application = application
        self.client = client
        self.state = state
        self.waitEventType = waitEventType
        self.waitEvent = waitEvent
        self.transactionSeconds = transactionSeconds
        self.stateSeconds = stateSeconds
        self.querySeconds = querySeconds
        // Text enters the evidence here, so this is where passwords are masked.
        self.query = SQLLiterals.scrubbingPasswords(query)
        self.queryID = queryID
        self.blockedBy = blockedBy
    }
}

/// The sessions waiting for a heavyweight lock at one moment, with the sessions blocking them.
/// Only samples in which someone waited are kept.
public struct LockSample: Codable, Sendable, Equatable {
    public var at: Date
    /// The time the sample stands for: since the previous sample, taken or not (the sampling
    /// interval when the sampler keeps time). A wait seen in it is counted for that long.
    public var seconds: Double
    /// Waiting sessions and their blockers.
    public var sessions: [LockSession]

    public init(at: Date, seconds: Double, sessions: [LockSession]) {
        self.at = at
        self.seconds = seconds
        self.sessions = sessions
    }
}

/// A session in a lock sample: waiting (`lockType` set) or blocking another.
public struct LockSession: Codable, Sendable, Equatable {
    public var pid: Int32
    /// The current statement, or the last one of an idle blocker (password literals masked).
    public var query: String
    public var queryID: Int64?
    /// "active", "idle in transaction", …
    public var state: String
    /// The kind of lock it waits for (`relation`, `tuple`, `transactionid`, …); nil when it only blocks.
    public var lockType: String?
    /// The table contended for: of the lock it waits for, or of the row lock it holds while it
    /// waits for the row's transaction (a waiter first takes the row's tuple lock).
    public var relation: String?
    /// The row's ctid, "(page,tuple)", when the wait is for a row.
    public var row: String?
    /// `pg_blocking_pids(pid)`.
    public var blockedBy: [Int32]

    public init(pid: Int32, query: String, queryID: Int64? = nil, state: String, lockType: String? = nil,
                relation: String? = nil, row: String? = nil, blockedBy: [Int32] = []) {
        self.pid = pid
        // Text enters the evidence here, so this is where passwords are masked.
        self.query = SQLLiterals.scrubbingPasswords(query)
        self.queryID = queryID
        self.state = state
        self.lockType = lockType
        self.relation = relation
        self.row = row
        self.blockedBy = blockedBy
    }
}

/// `pg_stat_user_tables` counters of one table.
public struct TableCounters: Codable, Sendable, Equatable {
    public var schema: String
    public var name: String
    public var sequentialScans: Int64
    public var sequentialRowsRead: Int64
    public var indexScans: Int64
    public var liveRows: Int64

    public init(schema: String, name: String, sequentialScans: Int64, sequentialRowsRead: Int64, indexScans: Int64,
                liveRows: Int64) {
        self.schema = schema
        self.name = name
        self.sequentialScans = sequentialScans
        self.sequentialRowsRead = sequentialRowsRead
        self.indexScans = indexScans
        self.liveRows = liveRows
    }
}

/// `pg_stat_database` counters of the observed database.
public struct DatabaseCounters: Codable, Sendable, Equatable {
    public var blocksRead: Int64
    public var blocksHit: Int64
    public var tempFiles: Int64
    public var tempBytes: Int64
    public var deadlocks: Int64

    public init(blocksRead: Int64, blocksHit: Int64, tempFiles: Int64, tempBytes: Int64, deadlocks: Int64) {
        self.blocksRead = blocksRead
        self.blocksHit = blocksHit
        self.tempFiles = tempFiles
        self.tempBytes = tempBytes
        self.deadlocks = deadlocks
    }
}

/// The plan PostgreSQL chose for one statement.
public struct StatementPlan: Codable, Sendable, Equatable {
    public var queryID: Int64
    /// Planned without parameter values (`force_generic_plan` or `GENERIC_PLAN`): the text had $n.
    public var generic: Bool
    /// Executed with `EXPLAIN ANALYZE` (SELECT only, rolled back), so actual rows are known.
    public var analyzed: Bool
    /// The `EXPLAIN (FORMAT JSON)` output.
    public var json: String?
    /// Why the statement could not be explained — or, with `sample`, why its normalised text could not.
    public var error: String?
    /// The captured text (with literals) that was planned instead of the normalised one, which could not be.
    public var sample: String?

    public init(queryID: Int64, generic: Bool, analyzed: Bool, json: String?, error: String?, sample: String? = nil) {
        self.queryID = queryID
        self.generic = generic
        self.analyzed = analyzed
        self.json = json
        self.error = error
        self.sample = sample
    }
}

/// A statement's text as a session ran it, captured from `pg_stat_activity` during the window.
/// Clients that interpolate parameters (psycopg2, PDO's emulated prepares, many ORMs) send literals,
/// and a text with literals can be planned where pg_stat_statements' normalised one (`interval $1`,
/// an untyped `ARRAY[$1, $2]`) cannot: pganalyze explains such samples too.
public struct StatementSample: Codable, Sendable, Equatable {
    /// `query_id` when the server computes it, else nil (then matched by normalised text).
    public var queryID: Int64?
    public var query: String

    public init(queryID: Int64?, query: String) {
        self.queryID = queryID
        self.query = query
    }
}

/// The time sessions spent on one statement over the window, estimated from samples of
/// `pg_stat_activity`: a session counts while it runs the statement, and — inside a transaction,
/// where the server still holds its session for it — while the client works between that
/// statement and its next one. So it includes the round trips and the client's own time per call,
/// which pg_stat_statements' execution time leaves out. Outside a transaction (autocommit) the
/// session is merely idle between two calls, as it is in a pool between requests: those samples
/// are kept apart by how long the session had been idle (`idleSecondsWithin`).
public struct StatementOccupancy: Codable, Sendable, Equatable {
    /// The idle times `idleSecondsWithin` counts up to, in seconds.
    public static let idleAgeBounds = [0.000_25, 0.000_5, 0.001, 0.001_5, 0.002, 0.003, 0.004]

    /// `query_id` when the server computes it, else nil (then matched by `fingerprint`).
    public var queryID: Int64?
    /// The normalised text (literals replaced), set when there is no `query_id`.
    public var fingerprint: String?
    /// Sessions × seconds: samples × the average time between samples.
    public var seconds: Double
    /// Sessions seen on it, summed over the samples.
    public var samples: Int
    /// Of those, the sessions whose text showed the statement's literals (a client that
    /// interpolates its parameters), and the first two distinct such texts: one text every time is
    /// a lookup of the same thing. Nil in evidence saved before they were kept.
    public var literalSamples: Int?
    public var literalTexts: [String]?
    /// Per bound of `idleAgeBounds`, sessions × seconds found idle outside a transaction, with this as
    /// their last statement, for at most that long: the client between two calls, or after its last.
    /// Not in `seconds`. Nil in evidence saved before they were kept.
    public var idleSecondsWithin: [Double]?

    public init(queryID: Int64?, fingerprint: String?, seconds: Double, samples: Int, literalSamples: Int? = nil,
                literalTexts: [String]? = nil, idleSecondsWithin: [Double]? = nil) {
        self.queryID = queryID
        self.fingerprint = fingerprint
        self.seconds = seconds
        self.samples = samples
        self.literalSamples = literalSamples
        self.literalTexts = literalTexts
        self.idleSecondsWithin = idleSecondsWithin
    }

    /// Sessions × seconds found idle after the statement for at most `limit` (rounded down to a bound
    /// of `idleAgeBounds`, the first at least); 0 without the samples.
    public func idleSeconds(within limit: Double) -> Double {
        guard let idleSecondsWithin, !idleSecondsWithin.isEmpty else { return 0 }
        let index = Self.idleAgeBounds.lastIndex { $0 <= limit } ?? 0
        return idleSecondsWithin[min(index, idleSecondsWithin.count - 1)]
    }
}

/// A table a plan reads: its size and the column lists of its existing indexes.
public struct RelationInfo: Codable, Sendable, Equatable {
    public var schema: String
    public var name: String
    /// The planner's row estimate (`pg_class.reltuples`).
    public var rows: Double
    public var bytes: Int64
    /// Key columns of each valid index, in order ("(expression)" for an expression).
    public var indexes: [[String]]
    /// Indexes the planner cannot use (`pg_index.indisvalid` false): left by a CREATE INDEX
    /// CONCURRENTLY that failed, or one still being built. Nil in evidence from before they were read.
    public var invalidIndexes: [InvalidIndex]?

    public init(schema: String, name: String, rows: Double, bytes: Int64, indexes: [[String]], invalidIndexes: [InvalidIndex]? = nil) {
        self.schema = schema
        self.name = name
        self.rows = rows
        self.bytes = bytes
        self.indexes = indexes
        self.invalidIndexes = invalidIndexes
    }
}

/// An index of a table that the planner cannot use: its name (in the table's schema) and key columns.
public struct InvalidIndex: Codable, Sendable, Equatable {
    public var name: String
    public var columns: [String]

    public init(name: String, columns: [String]) {
        self.name = name
        self.columns = columns
    }
}

/// A suggested index tried as a HypoPG hypothetical index: would the planner use it, at what cost?
public struct IndexTrial: Codable, Sendable, Equatable {
    public var queryID: Int64
    /// The `CREATE INDEX` handed to `hypopg_create_index`.
    public var definition: String
    public var costBefore: Double?
    public var costAfter: Double?
    /// The plan with the hypothetical index in place scans it.
    public var used: Bool
    public var error: String?

    public init(queryID: Int64, definition: String, costBefore: Double?, costAfter: Double?, used: Bool, error: String?) {
        self.queryID = queryID
        self.definition = definition
        self.costBefore = costBefore
        self.costAfter = costAfter
        self.used = used
        self.error = error
    }
}

/// The top-level calls each statement made between two reads of `pg_stat_statements`' counters.
public struct StatementCalls: Codable, Sendable, Equatable {
    public var from: Date
    public var to: Date
    /// Statements that ran in the stretch, by query id (summed over roles); the others are left out.
    public var calls: [Call]

    public struct Call: Codable, Sendable, Equatable {
        public var queryID: Int64
        public var calls: Int64

        public init(queryID: Int64, calls: Int64) {
            self.queryID = queryID
            self.calls = calls
        }
    }

    public init(from: Date, to: Date, calls: [Call]) {
        self.from = from
        self.to = to
        self.calls = calls
    }
}
