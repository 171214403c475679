import StrainPQ
import StrainTestSupport
import Testing

@Suite("Connection failures and password redaction")
struct ConnectionErrorTests {
    static let secret = "S3cretPw"

    @Test("Connecting fails with libpq's own explanation", arguments: [
        ("nosuchoption=1", "invalid connection option \"nosuchoption\""),
        ("postgresql://127.0.0.1:notaport/strain_test", "invalid integer value \"notaport\" for connection option \"port\""),
        ("host=127.0.0.1 port=15432 user=postgres dbname='unterminated", "unterminated quoted string"),
    ])
    func badConninfo(conninfo: String, expectedMessage: String) {
        let error = #expect(throws: PostgresError.self) { try PGConnection(conninfo: conninfo) }
        #expect(error?.message.contains(expectedMessage) == true, "\(String(describing: error))")
    }

    @Test("A port nothing listens on is reported with host, port and the system's reason")
    func closedPort() throws {
        let port = try TestServers.closedPort()
        let error = try #require(throws: PostgresError.self) {
            try PGConnection(conninfo: "host=127.0.0.1 port=\(port) user=postgres connect_timeout=5")
        }
        #expect(error.message.contains("\"127.0.0.1\", port \(port) failed"))
        #expect(error.message.contains("Connection refused"))
        #expect(error.sqlState == nil)
    }

    /// A server that accepts the connection and never answers: libpq without connect_timeout waits
    /// forever; the bounded connect gives up at its limit, or at once when asked to stop.
    @Test("A silent server is given up on at the limit, or when a stop is asked for")
    func silentServer() throws {
        let silent = try LoopbackHTTPServer(.silent)
        defer { silent.stop() }
        let conninfo = "host=127.0.0.1 port=\(silent.port) user=postgres sslmode=disable"
        let timedOut = try #require(throws: PostgresError.self) {
            try PGConnection(conninfo: conninfo, within: .milliseconds(300), unless: { false })
        }
        #expect(timedOut.message == "no answer from the server within 0.3 seconds of connecting")
        var asked = 0
        let stopped = try #require(throws: PostgresError.self) {
            try PGConnection(conninfo: conninfo, within: .seconds(3600), unless: { asked += 1; return asked > 3 })
        }
        #expect(stopped.message == "stopped while connecting")
        #expect(silent.connectionsAccepted >= 2)
    }

    @Test("The server's refusal comes through (unknown database)")
    func unknownDatabase() throws {
        // In key=value form a later keyword overrides an earlier one.
        let error = try #require(throws: PostgresError.self) {
            try PGConnection(conninfo: TestServers.postgresConninfo + " dbname=no_such_db")
        }
        #expect(error.message.contains("database \"no_such_db\" does not exist"))
    }

    @Test("Connection errors never show the password", arguments: [
        // libpq quotes a malformed URI whole in its message.
        "postgresql://ada:\(secret)@[::1/strain_test",
        "postgresql://ada:\(secret)@127.0.0.1:notaport/strain_test",
        // An unquoted space leaves part of the password as a stray word libpq complains about.
        "host=127.0.0.1 password=\(secret) Tail port=1",
        "host=127.0.0.1 port=CLOSED user=postgres password=\(secret) connect_timeout=5",
    ])
    func connectionErrorsHidePassword(conninfo: String) throws {
        let conninfo = conninfo.replacing("CLOSED", with: String(try TestServers.closedPort()))
        let error = try #require(throws: PostgresError.self) { try PGConnection(conninfo: conninfo) }
        #expect(!error.description.contains(Self.secret))
        #expect(!error.description.contains("Tail"))
        #expect(!error.message.isEmpty)
    }

    @Test("redacted(conninfo:) keeps everything but the password", arguments: [
        ("host=db.internal port=5433 user=ada password=\(secret) dbname=shop",
         ["host=db.internal", "port=5433", "user=ada", "dbname=shop", "password=***"]),
        ("password = '\(secret) with spaces' host=db.internal", ["host=db.internal", "password=***"]),
        ("postgresql://ada:\(secret)@db.internal:5433/shop?sslmode=require",
         ["user=ada", "host=db.internal", "port=5433", "dbname=shop", "sslmode=require", "password=***"]),
        ("postgresql://ada@db.internal/shop?password=\(secret)", ["user=ada", "password=***"]),
        ("postgres://ada:S3cret%40Pw@db.internal/shop", ["user=ada", "password=***"]),
        ("application_name='load test' host=db.internal", ["application_name='load test'", "host=db.internal"]),
        // Unparseable: shown as given, password masked.
        ("postgresql://ada:\(secret)@[::1/shop", ["postgresql://ada:***@[::1/shop"]),
        // Schemes libpq does not know are quoted whole in its error: their user info is masked too.
        ("POSTGRESQL://ada:\(secret)@127.0.0.1:15499/h", ["POSTGRESQL://ada:***@127.0.0.1:15499/h"]),
        (" Postgres://ada:\(secret)@127.0.0.1/h", ["Postgres://ada:***@127.0.0.1/h"]),
        ("postgresql:/ada:\(secret)@127.0.0.1/h", ["postgresql:/ada:***@127.0.0.1/h"]),
        ("host=::1 password=\(secret)", ["host=::1", "password=***"]),
    ])
    func redacted(conninfo: String, expectedParts: [String]) {
        let redacted = PGConnection.redacted(conninfo: conninfo)
        for part in expectedParts {
            #expect(redacted.contains(part), "\(redacted)")
        }
        for secretSpelling in [Self.secret, "S3cret@Pw", "S3cret%40Pw"] {
            #expect(!redacted.contains(secretSpelling), "\(redacted)")
        }
    }
}
