#if canImport(Glibc)
import Glibc
#endif
import StrainPQ
import StrainTestSupport
import Testing

/// Drives a non-blocking connection the way an event loop does, one `poll(2)` at a time.
private struct EventLoop {
    let connection: PGConnection

    struct Stalled: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends everything queued. While libpq cannot write, the server may be waiting for us
    /// to read, so input is consumed too.
    func flushAll() throws {
        while try connection.flush() == .pending {
            try waitForSocket(events: Int16(POLLIN | POLLOUT))
            try connection.consumeInput()
        }
    }

    /// The next result, reading from the socket until libpq has one (nil ends a statement).
    func nextResult() throws -> PGResult? {
        while connection.isBusy {
            try waitForSocket(events: Int16(POLLIN))
            try connection.consumeInput()
        }
        return connection.nextResult()
    }

    /// The statuses of the next results up to and including the end of one statement.
    func statementStatuses() throws -> [PGResult.Status] {
        var statuses: [PGResult.Status] = []
        while let result = try nextResult() { statuses.append(result.status) }
        return statuses
    }

    private func waitForSocket(events: Int16) throws {
        var descriptor = pollfd(fd: connection.socket, events: events, revents: 0)
        // A generous bound so a broken server fails the test instead of hanging it.
        guard poll(&descriptor, 1, 30_000) > 0 else {
            throw Stalled(description: "socket \(connection.socket) not ready after 30 s (poll events \(events))")
        }
    }
}

private func nonBlockingConnection() throws -> (PGConnection, EventLoop) {
    let connection = try PGConnection(conninfo: TestServers.postgresConninfo)
    try connection.setNonBlocking(true)
    return (connection, EventLoop(connection: connection))
}

@Suite("PGConnection non-blocking and pipeline mode")
struct NonBlockingTests {
    @Test("send, flush, consume and collect a parameterised query")
    func sendQuery() throws {
        let (connection, loop) = try nonBlockingConnection()
        try connection.sendQuery("SELECT $1::int * 2, $2::text", parameters: ["21", nil])
        try loop.flushAll()

        let result = try #require(try loop.nextResult())
        #expect(result.status == .tuplesOK)
        #expect(result.value(row: 0, column: 0) == "42")
        #expect(result.value(row: 0, column: 1) == nil)
        #expect(try loop.nextResult() == nil)
        #expect(!connection.isBusy)
    }

    /// The connection reuses the object of a result only once nobody holds it: a result kept
    /// reads its own rows after later ones arrive.
    @Test("a result kept is never reused; one let go of is")
    func resultObjectsAreReusedOnlyWhenFree() throws {
        let (connection, loop) = try nonBlockingConnection()
        func answer(_ value: Int) throws -> PGResult {
            try connection.sendQuery("SELECT $1::int", parameters: [String(value)])
            try loop.flushAll()
            let result = try #require(try loop.nextResult())
            #expect(try loop.nextResult() == nil)
            return result
        }
        let kept = try answer(1)
        let second = try answer(2)
        #expect(kept !== second)
        #expect(kept.value(row: 0, column: 0) == "1")
        #expect(second.value(row: 0, column: 0) == "2")
        let secondObject = ObjectIdentifier(second)
        _ = consume second
        let third = try answer(3)
        #expect(ObjectIdentifier(third) == secondObject)
        #expect(third.value(row: 0, column: 0) == "3")
        #expect(kept.value(row: 0, column: 0) == "1")
    }

    @Test("send a prepared statement")
    func sendPrepared() throws {
        let (connection, loop) = try nonBlockingConnection()
        try connection.prepare(name: "greet", sql: "SELECT 'hello ' || $1")
        try connection.sendPrepared(name: "greet", parameters: ["ada"])
        try loop.flushAll()
        let result = try #require(try loop.nextResult())
        #expect(result.value(row: 0, column: 0) == "hello ada")
        #expect(try loop.nextResult() == nil)
    }

    @Test("A failed statement arrives as an error result, not a thrown error")
    func failedStatementResult() throws {
        let (connection, loop) = try nonBlockingConnection()
        try connection.sendQuery("SELECT * FROM no_such_table")
        try loop.flushAll()
        let result = try #require(try loop.nextResult())
        #expect(result.status == .fatalError)
        #expect(result.error?.sqlState == "42P01")
        #expect(result.errorField(.primaryMessage) == "relation \"no_such_table\" does not exist")
        #expect(try loop.nextResult() == nil)
    }

    @Test("Pipeline: several queries, one sync, results in order")
    func pipeline() throws {
        let (connection, loop) = try nonBlockingConnection()
        #expect(connection.pipelineStatus == .off)
        try connection.enterPipelineMode()
        #expect(connection.pipelineStatus == .on)

        for number in 1...3 {
            try connection.sendQuery("SELECT $1::int * 10", parameters: [String(number)])
        }
        try connection.pipelineSync()
        try loop.flushAll()

        for number in 1...3 {
            let result = try #require(try loop.nextResult())
            #expect(result.status == .tuplesOK)
            #expect(result.value(row: 0, column: 0) == String(number * 10))
            #expect(try loop.nextResult() == nil, "each statement's results end with nil")
        }
        #expect(try loop.nextResult()?.status == .pipelineSync)

        try connection.exitPipelineMode()
        #expect(connection.pipelineStatus == .off)
    }

    @Test("Pipeline: after a failure the rest is skipped until the sync point")
    func pipelineAbort() throws {
        let (connection, loop) = try nonBlockingConnection()
        try connection.enterPipelineMode()
        try connection.sendQuery("SELECT 1")
        try connection.sendQuery("SELECT 1/0")
        try connection.sendQuery("SELECT 3")
        try connection.pipelineSync()
        try connection.sendQuery("SELECT 4")
        try connection.pipelineSync()
        try loop.flushAll()

        #expect(try loop.statementStatuses() == [.tuplesOK])
        let failed = try #require(try loop.nextResult())
        #expect(failed.error?.sqlState == "22012")
        #expect(try loop.nextResult() == nil)
        let skipped = try #require(try loop.nextResult())
        #expect(skipped.status == .pipelineAborted)
        #expect(skipped.error != nil)
        #expect(connection.pipelineStatus == .aborted)
        #expect(try loop.nextResult() == nil)
        #expect(try loop.nextResult()?.status == .pipelineSync)
        #expect(connection.pipelineStatus == .on, "the sync point ends the abort")

        let fourth = try #require(try loop.nextResult())
        #expect(fourth.value(row: 0, column: 0) == "4")
        #expect(try loop.nextResult() == nil)
        #expect(try loop.nextResult()?.status == .pipelineSync)
        try connection.exitPipelineMode()
    }

    @Test("Leaving pipeline mode with unread results fails with libpq's reason")
    func exitWithPendingResults() throws {
        let (connection, loop) = try nonBlockingConnection()
        try connection.enterPipelineMode()
        try connection.sendQuery("SELECT 1")
        try connection.pipelineSync()
        try loop.flushAll()
        let error = try #require(throws: PostgresError.self) { try connection.exitPipelineMode() }
        #expect(!error.message.isEmpty)
    }
}
