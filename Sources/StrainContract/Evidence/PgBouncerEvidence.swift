import Foundation

/// PgBouncer's admin console (`SHOW POOLS`, `SHOW STATS`), sampled every second.
public struct PgBouncerEvidence: Codable, Sendable, Equatable {
    public var samples: [PgBouncerSample]

    public init(samples: [PgBouncerSample]) {
        self.samples = samples
    }
}

public struct PgBouncerSample: Codable, Sendable, Equatable {
    /// One `SHOW POOLS` row: a database/user pair's clients and server connections.
    public struct Pool: Codable, Sendable, Equatable {
        public var database: String
        public var user: String
        public var clientsActive: Int
        /// Clients that sent a query and wait for a server connection.
        public var clientsWaiting: Int
        public var serversActive: Int
        public var serversIdle: Int
        /// How long the oldest waiting client has waited, in seconds.
        public var maxWaitSeconds: Double
        public var mode: String

        public init(database: String, user: String, clientsActive: Int, clientsWaiting: Int, serversActive: Int,
                    serversIdle: Int, maxWaitSeconds: Double, mode: String) {
            self.database = database
            self.user = user
            self.clientsActive = clientsActive
            self.clientsWaiting = clientsWaiting
            self.serversActive = serversActive
            self.serversIdle = serversIdle
            self.maxWaitSeconds = maxWaitSeconds
            self.mode = mode
        }

        /// "database/user", the pool's name in findings.
        public var name: String { "\(database)/\(user)" }
    }

    public var at: Date
    public var pools: [Pool]
    /// `SHOW STATS` total_wait_time per database, cumulative, in seconds.
    public var waitSecondsByDatabase: [String: Double]

    public init(at: Date, pools: [Pool], waitSecondsByDatabase: [String: Double]) {
        self.at = at
        self.pools = pools
        self.waitSecondsByDatabase = waitSecondsByDatabase
    }

    /// A sample from the rows of `SHOW POOLS` and `SHOW STATS`, keyed by column name (as the
    /// admin console names them; columns differ between PgBouncer versions, so none is assumed
    /// beyond those read here). The console's own "pgbouncer" pseudo-database is left out.
    public init(at: Date, pools: [[String: String]], stats: [[String: String]]) {
        func number(_ row: [String: String], _ column: String) -> Double { Double(row[column] ?? "") ?? 0 }
        self.at = at
        self.pools = pools.filter { $0["database"] != "pgbouncer" }.map { row in
            Pool(database: row["database"] ?? "", user: row["user"] ?? "",
                 clientsActive: Int(number(row, "cl_active")), clientsWaiting: Int(number(row, "cl_waiting")),
                 serversActive: Int(number(row, "sv_active")), serversIdle: Int(number(row, "sv_idle")),
                 // maxwait holds whole seconds, maxwait_us the microseconds beyond them.
                 maxWaitSeconds: number(row, "maxwait") + number(row, "maxwait_us") / 1_000_000,
                 mode: row["pool_mode"] ?? "")
        }
        var waits: [String: Double] = [:]
        for row in stats where row["database"] != "pgbouncer" {
            if let database = row["database"], let wait = row["total_wait_time"].flatMap(Double.init) {
                waits[database] = wait / 1_000_000
            }
        }
        waitSecondsByDatabase = waits
    }
}
