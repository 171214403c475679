import Foundation
import StrainPQ
import StrainTestSupport

/// A database of its own on the test server, with pg_stat_statements and HypoPG, dropped by
/// `drop()`. The diagnoser observes one database, so a test's own database keeps other tests'
/// statements and sessions out of what it sees.
struct ScratchDatabase {
    let name: String
    let conninfo: String

    static func create() throws -> ScratchDatabase {
        let name = "strain_diag_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        try admin.execute("CREATE DATABASE \(name)")
        // Later keywords win in a libpq connection string.
        let conninfo = TestServers.postgresConninfo + " dbname=\(name)"
        let connection = try PGConnection(conninfo: conninfo)
        try connection.execute("CREATE EXTENSION pg_stat_statements")
        try connection.execute("CREATE EXTENSION hypopg")
        return ScratchDatabase(name: name, conninfo: conninfo)
    }

    func connect(application: String = "strain-diagnose-tests") throws -> PGConnection {
        try PGConnection(conninfo: conninfo + " application_name=\(application)")
    }

    /// Runs each statement on a fresh connection.
    func setUp(_ statements: String...) throws {
        let connection = try connect()
        for statement in statements { try connection.execute(statement) }
    }

    func drop() throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
