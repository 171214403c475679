import StrainPQ
import StrainTestSupport
import Testing

// These talk to the PostgreSQL cluster that scripts/test starts (scripts/lib/servers.sh).

private func connect() throws -> PGConnection {
    try PGConnection(conninfo: TestServers.postgresConninfo)
}

@Suite("PGConnection blocking calls against the test database")
struct PGConnectionTests {
    @Test("Connects and answers a simple query")
    func simpleQuery() throws {
        let connection = try connect()
        #expect(connection.status == .ok)
        #expect(connection.serverVersion >= 150000)
        #expect(connection.backendPID > 0)
        #expect(connection.parameterStatus("server_encoding") == "UTF8")
        #expect(connection.parameterStatus("no_such_parameter") == nil)
        #expect(connection.socket >= 0)

        let result = try connection.execute("SELECT 1 AS one, 'two' AS two")
        #expect(result.status == .tuplesOK)
        #expect(result.rowCount == 1)
        #expect(result.columnCount == 2)
        #expect(result.columnName(0) == "one")
        #expect(result.columnName(1) == "two")
        #expect(result.value(row: 0, column: 0) == "1")
        #expect(result.value(row: 0, column: 1) == "two")
        #expect(result.commandTag == "SELECT 1")
        #expect(result.error == nil)
    }

    @Test("Parameters are bound as text; nil is NULL", arguments: [
        ("SELECT $1::int + $2::int", ["2", "3"], "5"),
        ("SELECT $1 || '!'", ["grüße 👋"], "grüße 👋!"),
        ("SELECT $1::text IS NULL", [nil], "t"),
        ("SELECT length($1)", ["it's \"quoted\"; DROP TABLE x"], "27"),
    ] as [(String, [String?], String)])
    func parameters(sql: String, parameters: [String?], expected: String) throws {
        let result = try connect().execute(sql, parameters: parameters)
        #expect(result.value(row: 0, column: 0) == expected)
    }

    @Test("NULL values come back as nil, empty strings as empty")
    func nulls() throws {
        let result = try connect().execute("SELECT NULL::text, '', 'x'")
        #expect(result.value(row: 0, column: 0) == nil)
        #expect(result.value(row: 0, column: 1) == "")
        #expect(result.value(row: 0, column: 2) == "x")
    }

    @Test("A prepared statement runs repeatedly with new parameters")
    func preparedStatements() throws {
        let connection = try connect()
        try connection.prepare(name: "multiply", sql: "SELECT $1::int * $2::int")
        for (left, right) in [(2, 3), (7, 6), (-1, 9)] {
            let result = try connection.executePrepared(name: "multiply", parameters: [String(left), String(right)])
            #expect(result.value(row: 0, column: 0) == String(left * right))
        }
    }

    @Test("affectedRows counts the rows a command changed")
    func affectedRows() throws {
        let connection = try connect()
        try connection.execute("CREATE TEMP TABLE items (id int PRIMARY KEY, name text)")
        let insert = try connection.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, NULL)")
        #expect(insert.affectedRows == 3)
        #expect(insert.status == .commandOK)
        let update = try connection.execute("UPDATE items SET name = $1 WHERE name IS NULL", parameters: ["c"])
        #expect(update.affectedRows == 1)
        #expect(try connection.execute("SET application_name = 'strain-test'").affectedRows == nil)
    }

    @Test("Statement errors carry SQLSTATE, severity and position", arguments: [
        ("SELECT * FROM no_such_table", "42P01", "relation \"no_such_table\" does not exist", 15),
        ("SELECT 1/0", "22012", "division by zero", nil),
        ("SELEC 1", "42601", "syntax error at or near \"SELEC\"", 1),
    ] as [(String, String, String, Int?)])
    func statementErrors(sql: String, sqlState: String, primary: String, position: Int?) throws {
        let error = try #require(throws: PostgresError.self) { try connect().execute(sql) }
        #expect(error.sqlState == sqlState)
        #expect(error.severity == "ERROR")
        #expect(error.primaryMessage == primary)
        #expect(error.position == position)
        #expect(error.message.contains(primary))
        #expect(error.description.contains(sqlState))
    }

    @Test("Detail and hint from the server are kept")
    func detailAndHint() throws {
        let connection = try connect()
        let raised = try #require(throws: PostgresError.self) {
            try connection.execute("""
                DO $$ BEGIN RAISE EXCEPTION 'order 7 is locked'
                    USING DETAIL = 'locked by checkout', HINT = 'retry later', ERRCODE = '55P03'; END $$
                """)
        }
        #expect(raised.sqlState == "55P03")
        #expect(raised.detail == "locked by checkout")
        #expect(raised.hint == "retry later")

        try connection.execute("CREATE TEMP TABLE accounts (id int PRIMARY KEY)")
        try connection.execute("INSERT INTO accounts VALUES (1)")
        let duplicate = try #require(throws: PostgresError.self) {
            try connection.execute("INSERT INTO accounts VALUES (1)")
        }
        #expect(duplicate.sqlState == "23505")
        #expect(duplicate.detail == "Key (id)=(1) already exists.")
    }

    @Test("A parameter with a NUL byte is refused before it reaches libpq")
    func nulByteParameter() throws {
        let error = try #require(throws: PostgresError.self) {
            try connect().execute("SELECT $1, $2", parameters: ["fine", "bad\u{0}value"])
        }
        #expect(error.message.contains("parameter $2"))
    }

    @Test("escapeIdentifier quotes names safely")
    func escapeIdentifier() throws {
        let connection = try connect()
        let name = try connection.escapeIdentifier("odd \"table\" name")
        #expect(name == "\"odd \"\"table\"\" name\"")
        try connection.execute("CREATE TEMP TABLE \(name) (id int)")
        let result = try connection.execute("SELECT count(*) FROM \(name)")
        #expect(result.value(row: 0, column: 0) == "0")
    }

    @Test("reset() reconnects to a new server process")
    func resetReconnects() throws {
        let connection = try connect()
        let firstPID = connection.backendPID
        let admin = try connect()
        try admin.execute("SELECT pg_terminate_backend($1)", parameters: [String(firstPID)])
        #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }

        try connection.reset()
        #expect(connection.status == .ok)
        #expect(connection.backendPID != firstPID)
        #expect(try connection.execute("SELECT 1").value(row: 0, column: 0) == "1")
    }
}
