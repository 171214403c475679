import StrainPQ
import StrainProfile
import StrainTestSupport
import Testing
@testable import StrainLoad

@Suite("PostgreSQL sessions against the test server")
struct PostgresSessionTests {
    typealias Step = PostgresTestWorkload.Step

    @Test("Every protocol runs parameterised statements and extracts from their results", arguments: QueryProtocol.allCases, PostgresSession.Transport.allCases)
    func protocols(queryProtocol: QueryProtocol, transport: PostgresSession.Transport) throws {
        let session = try PostgresTestWorkload.session([
            Step(sql: "SELECT $1::int + 1 AS answer, $2::text AS echoed", parameterCount: 2,
                 extract: ["answer": "answer", "echo": "echoed"], rows: 1),
        ], protocol: queryProtocol, transport: transport)
        var loop = PostgresTestLoop()
        for iteration in 0..<3 {
            let outcomes = try loop.runIteration(iteration, on: session) { _, _ in [String(40 + iteration), "it's $1 \\ ok"] }
            let outcome = try #require(outcomes.first)
            #expect(outcome.failure == nil, "\(PostgresTestLoop.describe(outcome))")
            #expect(outcome.rows == 1)
            #expect(outcome.extracted == [
                ExtractedValue(variable: "answer", value: String(41 + iteration)),
                ExtractedValue(variable: "echo", value: "it's $1 \\ ok"),
            ])
            #expect(outcome.completedAt >= outcome.sentAt)
        }
    }

    @Test("A connection over a Unix-domain socket is spoken for the same way", arguments: PostgresSession.Transport.allCases)
    func unixSocket(transport: PostgresSession.Transport) throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let location = try admin.execute("SELECT current_setting('unix_socket_directories'), current_setting('port'), current_database()")
        let directory = try #require(location.value(row: 0, column: 0)?.split(separator: ",").first)
        let port = try #require(location.value(row: 0, column: 1)), database = try #require(location.value(row: 0, column: 2))
        let workload = try PostgresTestWorkload.make([
            Step(sql: "SELECT $1::int * 2 AS doubled, inet_server_addr() IS NULL AS local", parameterCount: 1,
                 extract: ["doubled": "doubled", "local": "local"], rows: 1),
        ])
        let session = try PostgresSession(workload: workload, conninfo: "host=\(directory) port=\(port) dbname=\(database) user=postgres",
                                          transport: transport)
        #expect(session.speaksWireProtocol == (transport == .automatic))
        var loop = PostgresTestLoop()
        let outcome = try #require(try loop.runIteration(0, on: session) { _, _ in ["21"] }.first)
        #expect(outcome.failure == nil, "\(PostgresTestLoop.describe(outcome))")
        // The server has no address for a Unix-domain socket's peer: the statement came that way.
        #expect(outcome.extracted == [ExtractedValue(variable: "doubled", value: "42"), ExtractedValue(variable: "local", value: "t")])
    }

    @Test("Pipeline mode completes a batch of 32 in order, batch after batch", arguments: PostgresSession.Transport.allCases)
    func pipelineBatches(transport: PostgresSession.Transport) throws {
        let session = try PostgresTestWorkload.session([
            Step(sql: "SELECT $1::int AS n", parameterCount: 1, extract: ["n": "n"], rows: 1),
        ], pipeline: 32, transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        for batch in 0..<3 {
            for slot in 0..<32 {
                #expect(session.canSend)
                session.send(iteration: batch * 32 + slot, step: 0, parameters: [.integer(batch * 32 + slot)],
                             now: PostgresTestLoop.now(), into: &events)
            }
            #expect(!session.canSend)
            #expect(!session.canStartIteration)
            session.endBatch(now: PostgresTestLoop.now(), into: &events)
            try loop.run([session]) { _ in session.isIdle }
        }
        #expect(events.isEmpty)
        #expect(loop.outcomes.map(\.iteration) == Array(0..<96))
        #expect(loop.outcomes.allSatisfy { $0.failure == nil && $0.extracted.first?.value == String($0.iteration) })
    }

    @Test("In a pipeline batch a failure skips the rest of the batch; the next batch runs", arguments: PostgresSession.Transport.allCases)
    func pipelineFailure(transport: PostgresSession.Transport) throws {
        let session = try PostgresTestWorkload.session([Step(sql: "SELECT 10 / $1::int AS q", parameterCount: 1)],
                                                       protocol: .extended, pipeline: 8, transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        for (iteration, divisor) in [1, 2, 0, 5, 10].enumerated() {
            session.send(iteration: iteration, step: 0, parameters: [.integer(divisor)], now: PostgresTestLoop.now(), into: &events)
        }
        session.endBatch(now: PostgresTestLoop.now(), into: &events)
        try loop.run([session]) { _ in session.isIdle }
        session.send(iteration: 5, step: 0, parameters: ["5"], now: PostgresTestLoop.now(), into: &events)
        session.endBatch(now: PostgresTestLoop.now(), into: &events)
        try loop.run([session]) { _ in session.isIdle }

        #expect(loop.outcomes.map { $0.failure?.label } == [
            nil, nil, "22 data exception", "pipeline aborted", "pipeline aborted", nil,
        ])
        #expect(loop.outcomes[2].failure?.message == "22012: division by zero")
        #expect(loop.outcomes[3].failure?.kind == .pipelineAborted)
    }

    @Test("An error inside a transaction rolls it back; the next iteration commits", arguments: PostgresSession.Transport.allCases)
    func transactionRollback(transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int PRIMARY KEY, balance int NOT NULL")
        defer { try? table.drop() }
        try table.admin.execute("INSERT INTO \(table.name) VALUES (1, 100), (2, 100)")
        let session = try PostgresTestWorkload.session([
            Step(sql: "BEGIN"),
            Step(sql: "UPDATE \(table.name) SET balance = balance - 10 WHERE id = $1", parameterCount: 1, rows: 1),
            Step(sql: "INSERT INTO \(table.name) VALUES ($1, 0)", parameterCount: 1),
            Step(sql: "COMMIT"),
        ], transport: transport)
        var loop = PostgresTestLoop()
        // Id 2 exists already: the INSERT fails after the UPDATE ran.
        let failed = try loop.runIteration(0, on: session) { step, _ in step == 1 ? ["1"] : step == 2 ? ["2"] : [] }
        #expect(failed.map { $0.failure?.label } == [nil, nil, "23 integrity constraint violation"])
        #expect(failed.last?.failure?.message.hasPrefix("23505: duplicate key value violates unique constraint") == true)
        #expect(session.counters.rollbacks == 1)

        let committed = try loop.runIteration(1, on: session) { step, _ in step == 1 ? ["1"] : step == 2 ? ["3"] : [] }
        #expect(committed.count == 4)
        #expect(committed.allSatisfy { $0.failure == nil })
        #expect(session.counters.rollbacks == 1)
        // Only the second iteration's UPDATE stuck.
        let balance = try table.admin.execute("SELECT balance FROM \(table.name) WHERE id = 1").value(row: 0, column: 0)
        #expect(balance == "90")
    }

    @Test("A transaction an iteration leaves open is rolled back at its end", arguments: PostgresSession.Transport.allCases)
    func transactionLeftOpen(transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int")
        defer { try? table.drop() }
        let session = try PostgresTestWorkload.session([
            Step(sql: "BEGIN"),
            Step(sql: "INSERT INTO \(table.name) VALUES (1)", rows: 1),
        ], transport: transport)
        var loop = PostgresTestLoop()
        let outcomes = try loop.runIteration(0, on: session)
        #expect(outcomes.allSatisfy { $0.failure == nil })
        #expect(session.counters.rollbacks == 1)
        #expect(try table.admin.execute("SELECT count(*) FROM \(table.name)").value(row: 0, column: 0) == "0")
    }

    /// COMMIT AND CHAIN is tagged COMMIT but opens the next transaction at once: the server's
    /// transaction status, not the tag, says there is one to roll back.
    @Test("A transaction chained by COMMIT AND CHAIN is rolled back at the iteration's end", arguments: PostgresSession.Transport.allCases)
    func chainedTransactionLeftOpen(transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int")
        defer { try? table.drop() }
        let session = try PostgresTestWorkload.session([
            Step(sql: "BEGIN"),
            Step(sql: "INSERT INTO \(table.name) VALUES (1)", rows: 1),
            Step(sql: "COMMIT AND CHAIN"),
            Step(sql: "INSERT INTO \(table.name) VALUES (2)", rows: 1),
        ], transport: transport)
        var loop = PostgresTestLoop()
        let outcomes = try loop.runIteration(0, on: session)
        #expect(outcomes.count == 4)
        #expect(outcomes.allSatisfy { $0.failure == nil })
        #expect(session.counters.rollbacks == 1)
        #expect(try table.admin.execute("SELECT string_agg(id::text, ',') FROM \(table.name)").value(row: 0, column: 0) == "1")
    }

    @Test("A value extracted by one step feeds a later one, and value checks compare the result", arguments: PostgresSession.Transport.allCases)
    func extractionIntoLaterStep(transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int PRIMARY KEY, owner text NOT NULL")
        defer { try? table.drop() }
        try table.admin.execute("INSERT INTO \(table.name) VALUES (7, 'ada')")
        let steps = [
            Step(sql: "SELECT owner FROM \(table.name) WHERE id = $1", parameterCount: 1, extract: ["who": "owner"], rows: 1),
            Step(sql: "SELECT upper($1) AS shout", parameterCount: 1, values: ["shout": "ADA"]),
        ]
        let session = try PostgresTestWorkload.session(steps, transport: transport)
        var loop = PostgresTestLoop()
        let outcomes = try loop.runIteration(0, on: session, parameters: { step, variables in
            step == 0 ? ["7"] : [variables["who"] ?? "<missing>"]
        }, expected: PostgresTestWorkload.expectedValues(steps))
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { $0.failure == nil }, "\(outcomes.map(PostgresTestLoop.describe))")
    }

    @Test("Failed checks are reported; only a failed extraction ends the iteration", arguments: [
        (Step(sql: "SELECT 1 AS one", rows: 2), "check failed", "expected 2 rows, got 1", false),
        (Step(sql: "SELECT 1 AS one WHERE false", rows: 1), "check failed", "expected 1 row, got 0", false),
        (Step(sql: "SELECT 1 AS one", values: ["one": "2"]), "check failed", "column \"one\" is \"1\", expected \"2\"", false),
        (Step(sql: "SELECT 1 AS one WHERE false", extract: ["x": "one"]), "extraction failed",
         "cannot set x: the result has no rows, so no \"one\"", true),
        (Step(sql: "SELECT 1 AS one", extract: ["x": "two"]), "extraction failed",
         "cannot set x: the result has no column \"two\" (it has one)", true),
        (Step(sql: "SELECT NULL AS one", extract: ["x": "one"]), "extraction failed",
         "cannot set x: column \"one\" of the first row is NULL", true),
    ], PostgresSession.Transport.allCases)
    func checks(expectation: (step: Step, label: String, message: String, endsIteration: Bool), transport: PostgresSession.Transport) throws {
        let (step, label, message, endsIteration) = expectation
        let steps = [step, Step(sql: "SELECT 2")]
        let session = try PostgresTestWorkload.session(steps, transport: transport)
        var loop = PostgresTestLoop()
        let outcomes = try loop.runIteration(0, on: session, expected: PostgresTestWorkload.expectedValues(steps))
        let failure = try #require(outcomes.first?.failure)
        #expect(failure.label == label)
        #expect(failure.message == message)
        #expect(failure.endsIteration == endsIteration)
        #expect(outcomes.count == (endsIteration ? 1 : 2))
    }

    @Test("Server errors are tallied by SQLSTATE class with the server's message", arguments: QueryProtocol.allCases, PostgresSession.Transport.allCases)
    func sqlStateClasses(queryProtocol: QueryProtocol, transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int PRIMARY KEY")
        defer { try? table.drop() }
        try table.admin.execute("INSERT INTO \(table.name) VALUES (1)")
        let cases = [
            ("SELECT 1 / $1::int", "0", "22 data exception", "22012: division by zero"),
            ("INSERT INTO \(table.name) VALUES ($1::int)", "1", "23 integrity constraint violation",
             "23505: duplicate key value violates unique constraint \"\(table.name)_pkey\""),
            // Never prepared (the table is missing), so every execution reports it.
            ("SELECT * FROM strain_no_such_table WHERE $1::int > 0", "1", "42 syntax error or access rule violation",
             "42P01: relation \"strain_no_such_table\" does not exist"),
        ]
        let session = try PostgresTestWorkload.session(cases.map { Step(sql: $0.0, parameterCount: 1) }, protocol: queryProtocol, transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        for (step, (_, parameter, label, message)) in cases.enumerated() {
            for iteration in 0..<2 {
                session.send(iteration: iteration, step: step, parameters: [.text(parameter)], now: PostgresTestLoop.now(), into: &events)
                session.finishIteration(now: PostgresTestLoop.now(), into: &events)
                try loop.run([session]) { _ in session.isIdle }
                let failure = try #require(loop.outcomes.last?.failure)
                #expect(failure.label == label)
                #expect(failure.message == message)
            }
        }
        #expect(events.isEmpty)
        #expect(session.counters.connectionsLost == 0)
    }

    @Test("Notices, several statements in one simple query, and COPY FROM STDIN (refused) read alike",
          arguments: PostgresSession.Transport.allCases)
    func unusualResults(transport: PostgresSession.Transport) throws {
        let table = try ScratchTable("id int")
        defer { try? table.drop() }
        let steps = [
            // A notice arrives in the middle of the statement's messages.
            Step(sql: "DO $$ BEGIN RAISE NOTICE 'careful'; END $$"),
            Step(sql: "INSERT INTO \(table.name) VALUES (1); SELECT 7 AS seven", extract: ["seven": "seven"], rows: 1),
            Step(sql: "COPY (SELECT generate_series(1, 3)) TO STDOUT", rows: 3),
            Step(sql: "COPY \(table.name) FROM STDIN"),
            Step(sql: "SELECT count(*) AS n FROM \(table.name)", values: ["n": "1"]),
        ]
        let session = try PostgresTestWorkload.session(steps, protocol: .simple, transport: transport)
        var loop = PostgresTestLoop()
        let outcomes = try loop.runIteration(0, on: session, expected: PostgresTestWorkload.expectedValues(steps))
        #expect(outcomes.map { $0.failure?.label } == [nil, nil, nil, "57 operator intervention"], "\(outcomes.map(PostgresTestLoop.describe))")
        #expect(outcomes[1].extracted == [ExtractedValue(variable: "seven", value: "7")])
        #expect(outcomes[3].failure?.message.contains(PGWire.copyInRefusal) == true, "\(outcomes.map(PostgresTestLoop.describe))")
        #expect(session.isConnected)
        let next = try loop.runIteration(1, on: session, expected: PostgresTestWorkload.expectedValues(steps))
        #expect(next.count == 4)
    }

    @Test("A NUL byte in a parameter fails the statement before it is sent", arguments: QueryProtocol.allCases, PostgresSession.Transport.allCases)
    func nulParameter(queryProtocol: QueryProtocol, transport: PostgresSession.Transport) throws {
        let session = try PostgresTestWorkload.session([Step(sql: "SELECT $1::text", parameterCount: 1)], protocol: queryProtocol, transport: transport)
        var events: [PostgresOutcome] = []
        session.send(iteration: 0, step: 0, parameters: ["a\u{0}b"], now: PostgresTestLoop.now(), into: &events)
        #expect(events.first?.failure?.label == "statement not sent")
        #expect(events.first?.failure?.message == "parameter $1 contains a NUL byte, which PostgreSQL text values cannot hold")
        #expect(session.isIdle)
        #expect(session.isConnected)
    }

    @Test("Simple protocol writes parameters in as literals that survive quotes, backslashes and placeholders", arguments: [
        "plain", "it's", "back\\slash", "\\'; DROP TABLE x; --", "$1 $2", "$$ dollar $$", "ünïcødé ✓", "",
    ], PostgresSession.Transport.allCases)
    func simpleProtocolLiterals(value: String, transport: PostgresSession.Transport) throws {
        let session = try PostgresTestWorkload.session([
            // The second $1 is inside a string and stays as written.
            Step(sql: "SELECT $1 AS value, '$1' AS literal, length($1) AS length", parameterCount: 1,
                 extract: ["value": "value", "literal": "literal", "length": "length"]),
        ], protocol: .simple, transport: transport)
        var loop = PostgresTestLoop()
        let outcome = try #require(try loop.runIteration(0, on: session) { _, _ in [value] }.first)
        #expect(outcome.failure == nil, "\(PostgresTestLoop.describe(outcome))")
        #expect(outcome.extracted == [
            ExtractedValue(variable: "length", value: String(value.count)),
            ExtractedValue(variable: "literal", value: "$1"),
            ExtractedValue(variable: "value", value: value),
        ])
    }

    @Test("A backend terminated mid-statement fails that statement, is counted and replaced", arguments: PostgresSession.Transport.allCases)
    func terminatedMidStatement(transport: PostgresSession.Transport) throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let session = try PostgresTestWorkload.session([
            Step(sql: "SELECT pg_backend_pid() AS pid", extract: ["pid": "pid"]),
            Step(sql: "SELECT pg_sleep($1::float8)", parameterCount: 1),
        ], transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        session.send(iteration: 0, step: 0, parameters: [], now: PostgresTestLoop.now(), into: &events)
        try loop.run([session]) { $0.count == 1 }
        let pid = try #require(loop.outcomes[0].extracted.first?.value)
        session.send(iteration: 0, step: 1, parameters: ["30"], now: PostgresTestLoop.now(), into: &events)
        try admin.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid])
        try loop.run([session]) { $0.count == 2 }
        session.finishIteration(now: PostgresTestLoop.now(), into: &events)

        let failure = try #require(loop.outcomes[1].failure)
        #expect(failure.endsIteration)
        // The server says why before it closes the connection.
        #expect(failure.label == "57 operator intervention", "\(failure)")
        #expect(failure.message == "57P01: terminating connection due to administrator command")
        #expect(session.counters.connectionsLost == 1)

        try loop.run([session]) { _ in session.isConnected }
        #expect(session.counters.reconnects == 1)
        let next = try loop.runIteration(1, on: session) { step, _ in step == 1 ? ["0"] : [] }
        #expect(next.count == 2)
        #expect(next.allSatisfy { $0.failure == nil })
        #expect(next.first?.extracted.first?.value != pid)
        #expect(events.isEmpty)
    }

    @Test("A connection lost between two steps fails the iteration's next step; the session recovers", arguments: PostgresSession.Transport.allCases)
    func terminatedBetweenSteps(transport: PostgresSession.Transport) throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let session = try PostgresTestWorkload.session([
            Step(sql: "SELECT pg_backend_pid() AS pid", extract: ["pid": "pid"]),
            Step(sql: "SELECT 1", rows: 1),
        ], transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        session.send(iteration: 0, step: 0, parameters: [], now: PostgresTestLoop.now(), into: &events)
        try loop.run([session]) { $0.count == 1 }
        let pid = try #require(loop.outcomes[0].extracted.first?.value)
        try admin.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid])
        // The idle session notices the server closing the connection, and replaces it.
        try loop.run([session]) { _ in session.counters.reconnects == 1 }
        #expect(session.counters.connectionsLost == 1)

        session.send(iteration: 0, step: 1, parameters: [], now: PostgresTestLoop.now(), into: &events)
        #expect(events.map { $0.failure?.label } == ["connection lost"])
        // The server said why before it closed the idle connection.
        #expect(events.first?.failure?.message == "57P01: terminating connection due to administrator command")
        session.finishIteration(now: PostgresTestLoop.now(), into: &events)

        let next = try loop.runIteration(1, on: session)
        #expect(next.count == 2)
        #expect(next.allSatisfy { $0.failure == nil })
    }

    @Test("Pipeline mode: a terminated backend fails every statement in flight, then the pipeline runs again", arguments: PostgresSession.Transport.allCases)
    func terminatedPipeline(transport: PostgresSession.Transport) throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let probe = try PostgresTestWorkload.session([Step(sql: "SELECT pg_backend_pid() AS pid, pg_sleep($1::float8)", parameterCount: 1,
                                                          extract: ["pid": "pid"])], pipeline: 4, transport: transport)
        var loop = PostgresTestLoop()
        var events: [PostgresOutcome] = []
        probe.send(iteration: 0, step: 0, parameters: ["0"], now: PostgresTestLoop.now(), into: &events)
        probe.endBatch(now: PostgresTestLoop.now(), into: &events)
        try loop.run([probe]) { $0.count == 1 }
        let pid = try #require(loop.outcomes[0].extracted.first?.value)
        for iteration in 1...3 {
            probe.send(iteration: iteration, step: 0, parameters: ["30"], now: PostgresTestLoop.now(), into: &events)
        }
        probe.endBatch(now: PostgresTestLoop.now(), into: &events)
        try admin.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid])
        try loop.run([probe]) { $0.count == 4 }
        #expect(loop.outcomes[1].failure?.label == "57 operator intervention")
        #expect(loop.outcomes[2...].allSatisfy { $0.failure?.endsIteration == true })
        #expect(probe.counters.connectionsLost == 1)

        try loop.run([probe]) { _ in probe.canStartIteration }
        probe.send(iteration: 4, step: 0, parameters: ["0"], now: PostgresTestLoop.now(), into: &events)
        probe.endBatch(now: PostgresTestLoop.now(), into: &events)
        try loop.run([probe]) { $0.count == 5 }
        #expect(loop.outcomes[4].failure == nil)
        #expect(loop.outcomes[4].extracted.first?.value != pid)
    }

    @Test("Reconnection waits grow and are counted while the server refuses", arguments: PostgresSession.Transport.allCases)
    func failedReconnects(transport: PostgresSession.Transport) throws {
        let admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        let database = "strain_load_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE DATABASE \(database)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        let session = try PostgresSession(
            workload: PostgresTestWorkload.make([Step(sql: "SELECT pg_backend_pid() AS pid", extract: ["pid": "pid"])]),
            conninfo: TestServers.postgresConninfo + " dbname=\(database)", transport: transport)
        var loop = PostgresTestLoop()
        _ = try loop.runIteration(0, on: session)
        let pid = try #require(loop.outcomes.first?.extracted.first?.value)

        // Connections to the database are refused from now on, then allowed again.
        try admin.execute("ALTER DATABASE \(database) WITH ALLOW_CONNECTIONS false")
        try admin.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid])
        try loop.run([session]) { _ in session.counters.failedReconnects >= 2 }
        #expect(session.lastConnectionError?.contains("is not currently accepting connections") == true)
        try admin.execute("ALTER DATABASE \(database) WITH ALLOW_CONNECTIONS true")
        try loop.run([session]) { _ in session.isConnected }
        #expect(session.counters.reconnects == 1)
        #expect(try loop.runIteration(1, on: session).first?.failure == nil)
    }

    @Test("The first connection's failure is thrown, with libpq's reason")
    func firstConnectionFails() throws {
        let port = try TestServers.closedPort()
        let workload = try PostgresTestWorkload.make([Step(sql: "SELECT 1")])
        let error = try #require(throws: PostgresError.self) {
            try PostgresSession(workload: workload, conninfo: "host=127.0.0.1 port=\(port) user=postgres connect_timeout=5")
        }
        #expect(error.message.contains("Connection refused"))
    }
}
