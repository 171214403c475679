#if canImport(Glibc)
import Glibc
#endif
import StrainPQ
import StrainTestSupport
import Testing

/// The simple query protocol, transaction status, server notices and connecting without blocking.
@Suite("PGConnection state, notices and non-blocking connect")
struct ConnectionStateTests {
    /// Waits until `connection`'s socket is ready for `events`; a generous bound turns a hang into a failure.
    static func waitForSocket(of connection: PGConnection, events: Int32) throws {
        var descriptor = pollfd(fd: connection.socket, events: Int16(events), revents: 0)
        try #require(poll(&descriptor, 1, 30_000) > 0, "socket \(connection.socket) not ready after 30 s")
    }

    /// Drives a non-blocking connect to its end, the way an event loop does.
    static func connectWithoutBlocking(_ conninfo: String) throws -> PGConnection {
        let connection = try PGConnection(startingToConnect: conninfo)
        var progress = PGConnection.ConnectProgress.waitingToWrite
        while progress != .connected {
            try waitForSocket(of: connection, events: progress == .waitingToRead ? POLLIN : POLLOUT)
            progress = try connection.continueConnecting()
        }
        return connection
    }

    @Test("The simple protocol sends several statements in one string, one result each")
    func simpleQuery() throws {
        let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
        try connection.sendSimpleQuery("SELECT 1 AS a; SELECT 'two' AS b, 3 AS c")
        var results: [[String?]] = []
        while let result = connection.nextResult() {
            #expect(result.status == .tuplesOK)
            results.append((0..<result.columnCount).map { result.value(row: 0, column: $0) })
        }
        #expect(results == [["1"], ["two", "3"]])
    }

    @Test("The transaction status follows BEGIN, a failed statement and ROLLBACK")
    func transactionStatus() throws {
        let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
        #expect(connection.transactionStatus == .idle)
        try connection.execute("BEGIN")
        #expect(connection.transactionStatus == .inTransaction)
        #expect(throws: PostgresError.self) { try connection.execute("SELECT 1 / 0") }
        #expect(connection.transactionStatus == .failedTransaction)
        try connection.execute("ROLLBACK")
        #expect(connection.transactionStatus == .idle)
    }

    @Test("Notices are kept instead of printed, including the FATAL of a terminated idle connection")
    func notices() throws {
        let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
        #expect(connection.lastNotice == nil)
        try connection.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$")
        #expect(connection.lastNotice?.severity == "NOTICE")
        #expect(connection.lastNotice?.primaryMessage == "hello from the server")

        let pid = try #require(try connection.execute("SELECT pg_backend_pid()").value(row: 0, column: 0))
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        try admin.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid])
        try connection.setNonBlocking(true)
        try Self.waitForSocket(of: connection, events: POLLIN)
        // Reading the closed connection may fail; the server's last word is kept once parsed.
        try? connection.consumeInput()
        _ = connection.isBusy
        #expect(connection.lastNotice?.severity == "FATAL")
        #expect(connection.lastNotice?.sqlState == "57P01")
    }

    @Test("A cancel request stops the statement running on the server")
    func cancel() throws {
        let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        try connection.sendSimpleQuery("SELECT pg_sleep(30)")
        // Cancel only once the server runs it: a cancel that arrives earlier is ignored.
        var running = false
        for _ in 0..<300 where !running {
            running = try admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND state = 'active'",
                                        parameters: [String(connection.backendPID)]).rowCount == 1
            if !running { usleep(100_000) }
        }
        try #require(running)
        try connection.cancelRequest().send()
        let result = try #require(connection.nextResult())
        #expect(result.error?.sqlState == "57014", "query_canceled, not a 30 s sleep to its end")
    }

    @Test("A connection opened without blocking answers queries")
    func nonBlockingConnect() throws {
        let connection = try Self.connectWithoutBlocking(TestServers.postgresConninfo)
        #expect(connection.status == .ok)
        #expect(try connection.execute("SELECT 40 + 2").value(row: 0, column: 0) == "42")
    }

    @Test("A non-blocking connect to a closed port fails with libpq's reason and without the password")
    func nonBlockingConnectFails() throws {
        let conninfo = "host=127.0.0.1 port=\(try TestServers.closedPort()) user=postgres password=hunter2-secret"
        let error = try #require(throws: PostgresError.self) { _ = try Self.connectWithoutBlocking(conninfo) }
        #expect(error.message.contains("Connection refused"))
        #expect(!error.message.contains("hunter2-secret"))
    }
}
