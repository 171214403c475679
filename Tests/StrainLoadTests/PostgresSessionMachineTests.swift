import StrainPQ
import StrainProfile
import Testing
@testable import StrainLoad

/// The PostgreSQL session's protocol logic without a server: each case feeds the machine a script of
/// events (what its driver would report of libpq) and checks the action each returns, the outcomes it
/// reports and where it ends up.
@Suite("PostgreSQL session state machine")
struct PostgresSessionMachineTests {
    typealias Step = PostgresTestWorkload.Step
    typealias Action = PostgresSessionMachine.Action

    /// A libpq result as the machine reads it.
    struct Result: PostgresResultView {
        var status: PGResult.Status
        var columns: [String] = []
        var rows: [[String?]] = []
        var affectedRows: Int?
        var commandTag = ""
        var serverError: PostgresServerError?
        var connectionOK = true

        var rowCount: Int { rows.count }
        var columnCount: Int { columns.count }
        func columnName(_ column: Int) -> String { columns[column] }
        func value(row: Int, column: Int) -> String? { rows[row][column] }

        static func rows(_ columns: [String], _ rows: [[String?]]) -> Result {
            Result(status: .tuplesOK, columns: columns, rows: rows)
        }

        static func command(_ tag: String, affected: Int? = nil) -> Result {
            Result(status: .commandOK, affectedRows: affected, commandTag: tag)
        }

        static func error(_ sqlState: String?, _ message: String, severity: String = "ERROR") -> Result {
            Result(status: .fatalError, serverError: PostgresServerError(sqlState: sqlState, severity: severity,
                                                                         primaryMessage: message, message: message))
        }

        static let sync = Result(status: .pipelineSync)
        static let aborted = Result(status: .pipelineAborted)
    }

    /// What the driver reports, at `time` µs.
    enum Event {
        /// Expects the form it is to be sent in, or nil when it fails at once.
        case send(iteration: Int, step: Int, expected: [String] = [])
        case sent
        case sendFailed(String, connectionOK: Bool)
        case flushed(pending: Bool)
        case connectionFailed(String)
        case batchEnded
        case iterationFinished
        case stop
        case writable
        case readable
        /// A result of the head of what is in flight; nil is libpq's terminating nil, outside a transaction.
        case result(Result?)
        /// libpq's terminating nil where the server's ReadyForQuery says a transaction block is open.
        case doneInTransaction
        case readEnded(failure: String? = nil, connectionOK: Bool = true, notice: String? = nil)
        case timer
        case connectStarted
        case progressed(PGConnection.ConnectProgress)
        case connectFailed(String)
        case opened
    }

    /// Feeds `events` to `machine` (each at its time) and returns what each answered: an action's name,
    /// or for `send` the form ("prepared", "unnamed", "simple") or "failed".
    static func run(_ machine: inout PostgresSessionMachine, _ events: [(UInt64, Event)],
                    outcomes: inout [PostgresOutcome]) -> [String] {
        events.map { now, event in
            switch event {
            case .send(let iteration, let step, let expected):
                machine.send(iteration: iteration, step: step, expectedValues: expected, now: now, into: &outcomes)
                    .map { "\($0)" } ?? "failed"
            case .sent: "\(machine.sent())"
            case .sendFailed(let reason, let ok): "\(machine.sendFailed(reason: reason, connectionOK: ok, now: now, into: &outcomes))"
            case .flushed(let pending):
                { machine.flushed(pending: pending); return "-" }()
            case .connectionFailed(let reason): "\(machine.connectionFailed(reason: reason, now: now, into: &outcomes))"
            case .batchEnded: "\(machine.batchEnded(now: now))"
            case .iterationFinished: "\(machine.iterationFinished(now: now))"
            case .stop: "\(machine.stopRequested())"
            case .writable: "\(machine.writable())"
            case .readable: "\(machine.readable())"
            case .result(let result):
                { machine.received(result, transactionOpen: false, now: now, into: &outcomes); return "-" }()
            case .doneInTransaction:
                { machine.received(Result?.none, transactionOpen: true, now: now, into: &outcomes); return "-" }()
            case .readEnded(let failure, let ok, let notice):
                "\(machine.readEnded(failure: failure, connectionOK: ok, closingNotice: notice, now: now, into: &outcomes))"
            case .timer: "\(machine.timerFired(now: now))"
            case .connectStarted:
                { machine.connectStarted(now: now); return "-" }()
            case .progressed(let progress): "\(machine.connectProgressed(progress))"
            case .connectFailed(let reason): "\(machine.connectFailed(reason: reason, now: now))"
            case .opened:
                { machine.opened(isPrepared: machine.workload.statements.map { _ in true }); return "-" }()
            }
        }
    }

    static func machine(_ steps: [Step], protocol queryProtocol: QueryProtocol = .prepared, pipeline: Int? = nil,
                        prepared: [Bool]? = nil) throws -> PostgresSessionMachine {
        let workload = try PostgresTestWorkload.make(steps, protocol: queryProtocol, pipeline: pipeline)
        return PostgresSessionMachine(workload: workload, isPrepared: prepared ?? steps.map { _ in queryProtocol == .prepared })
    }

    static func describe(_ outcome: PostgresOutcome) -> String {
        "#\(outcome.iteration).\(outcome.step) \(outcome.sentAt)→\(outcome.completedAt): "
            + (outcome.failure.map { "\($0.label): \($0.message)" } ?? "ok, \(outcome.rows) rows")
            + (outcome.extracted.isEmpty ? "" : " " + outcome.extracted.map { "\($0.variable)=\($0.value)" }.joined(separator: ","))
    }

    static let lookup = Step(sql: "SELECT $1::int AS n", parameterCount: 1, extract: ["n": "n"], rows: 1)
    static let oneRow = Result.rows(["n"], [["7"]])

    /// One statement's round trip: sent, flushed, its results read.
    static func roundTrip(_ iteration: Int, at time: UInt64, results: [Result], form: String = "prepared") -> [(UInt64, Event, String)] {
        [(time, .send(iteration: iteration, step: 0), form), (time, .sent, "flush"), (time, .flushed(pending: false), "-"),
         (time + 5, .readable, "read")]
            + results.map { (time + 5, .result($0), "-") }
            + [(time + 5, .result(nil), "-"), (time + 5, .readEnded(), "none")]
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var steps: [Step] = [PostgresSessionMachineTests.lookup]
        var queryProtocol: QueryProtocol = .prepared
        var pipeline: Int?
        var prepared: [Bool]?
        let script: [(UInt64, Event, String)]
        let outcomes: [String]
        /// Where the machine ends up: link, iteration room, idle, counters.
        var end = "connected, free, idle"
        var testDescription: String { name }
    }

    nonisolated(unsafe) static let cases: [Case] = [
        Case(name: "a prepared lookup is sent, flushed, read and reported",
             script: roundTrip(0, at: 100, results: [oneRow]) + [(106, .iterationFinished, "none")],
             outcomes: ["#0.0 100→105: ok, 1 rows n=7"]),
        Case(name: "a statement the server refused to prepare runs unnamed", prepared: [false],
             script: roundTrip(0, at: 100, results: [oneRow], form: "unnamed") + [(106, .iterationFinished, "none")],
             outcomes: ["#0.0 100→105: ok, 1 rows n=7"]),
        Case(name: "protocol simple sends text", queryProtocol: .simple,
             script: roundTrip(0, at: 100, results: [oneRow], form: "simple") + [(106, .iterationFinished, "none")],
             outcomes: ["#0.0 100→105: ok, 1 rows n=7"]),
        Case(name: "the iteration holds the session until it finishes",
             script: roundTrip(0, at: 100, results: [oneRow]),
             outcomes: ["#0.0 100→105: ok, 1 rows n=7"], end: "connected, held, idle"),
        Case(name: "a parameter libpq refuses fails alone; the connection stays",
             script: [(100, .send(iteration: 3, step: 0), "prepared"), (100, .sendFailed("NUL byte", connectionOK: true), "none"),
                      (101, .iterationFinished, "none")],
             outcomes: ["#3.0 100→100: statement not sent: NUL byte"]),
        Case(name: "a send on a broken connection fails what is in flight and schedules a reconnection",
             script: [(100, .send(iteration: 3, step: 0), "prepared"), (100, .sendFailed("no connection", connectionOK: false), "close"),
                      (101, .iterationFinished, "none")],
             outcomes: ["#3.0 100→100: connection lost: no connection"], end: "broken until 10100, free, idle, lost 1"),
        Case(name: "a flush that cannot finish polls for writing until it does",
             script: [(100, .send(iteration: 0, step: 0), "prepared"), (100, .sent, "flush"), (100, .flushed(pending: true), "-"),
                      (102, .writable, "flush"), (102, .flushed(pending: false), "-")],
             outcomes: [], end: "connected, held, busy"),
        Case(name: "rows, values and extractions are checked against the first row",
             steps: [Step(sql: "SELECT", extract: ["id": "id"], rows: 1, values: ["name": "ann"])],
             script: [(0, .send(iteration: 0, step: 0, expected: ["ann"]), "prepared"), (0, .sent, "flush"),
                      (1, .readable, "read"), (1, .result(.rows(["id", "name"], [["1", "bob"]])), "-"), (1, .result(nil), "-"),
                      (2, .send(iteration: 1, step: 0, expected: ["ann"]), "prepared"), (2, .sent, "flush"),
                      (3, .readable, "read"), (3, .result(.rows(["name"], [["ann"]])), "-"), (3, .result(nil), "-"),
                      (4, .send(iteration: 2, step: 0, expected: ["ann"]), "prepared"), (4, .sent, "flush"),
                      (5, .readable, "read"), (5, .result(.rows(["id", "name"], [["1", "ann"], ["2", "ann"]])), "-"), (5, .result(nil), "-"),
                      (6, .send(iteration: 3, step: 0, expected: ["ann"]), "prepared"), (6, .sent, "flush"),
                      (7, .readable, "read"), (7, .result(.rows(["id", "name"], [["1", nil]])), "-"), (7, .result(nil), "-"),
                      (8, .iterationFinished, "none")],
             outcomes: ["#0.0 0→1: check failed: column \"name\" is \"bob\", expected \"ann\" id=1",
                        "#1.0 2→3: extraction failed: cannot set id: the result has no column \"id\" (it has name)",
                        "#2.0 4→5: check failed: expected 1 row, got 2 id=1",
                        "#3.0 6→7: check failed: column \"name\" of the first row is NULL id=1"]),
        Case(name: "a transaction left open is rolled back; its results report nothing",
             steps: [Step(sql: "BEGIN"), Step(sql: "UPDATE t SET x = 1")],
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (1, .readable, "read"), (1, .result(.command("BEGIN")), "-"), (1, .doneInTransaction, "-"), (1, .readEnded(), "none"),
                      (2, .send(iteration: 0, step: 1), "prepared"), (2, .sent, "flush"),
                      (3, .readable, "read"), (3, .result(.error("40001", "could not serialize access")), "-"), (3, .doneInTransaction, "-"),
                      (4, .iterationFinished, "rollback"), (4, .flushed(pending: false), "-"),
                      (5, .readable, "read"), (5, .result(.command("ROLLBACK")), "-"), (5, .result(nil), "-"), (5, .readEnded(), "none")],
             outcomes: ["#0.0 0→1: ok, 0 rows", "#0.1 2→3: 40 transaction rollback: 40001: could not serialize access"],
             end: "connected, free, idle, rollbacks 1"),
        Case(name: "a committed transaction leaves nothing to roll back",
             steps: [Step(sql: "BEGIN"), Step(sql: "COMMIT")],
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (1, .readable, "read"), (1, .result(.command("BEGIN")), "-"), (1, .doneInTransaction, "-"),
                      (2, .send(iteration: 0, step: 1), "prepared"), (2, .sent, "flush"),
                      (3, .readable, "read"), (3, .result(.command("COMMIT")), "-"), (3, .result(nil), "-"),
                      (4, .iterationFinished, "none")],
             outcomes: ["#0.0 0→1: ok, 0 rows", "#0.1 2→3: ok, 0 rows"]),
        // The command tag says COMMIT, but a new transaction began: the server's status decides.
        Case(name: "COMMIT AND CHAIN leaves a transaction open, rolled back when the iteration ends",
             steps: [Step(sql: "BEGIN"), Step(sql: "COMMIT AND CHAIN")],
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (1, .readable, "read"), (1, .result(.command("BEGIN")), "-"), (1, .doneInTransaction, "-"),
                      (2, .send(iteration: 0, step: 1), "prepared"), (2, .sent, "flush"),
                      (3, .readable, "read"), (3, .result(.command("COMMIT")), "-"), (3, .doneInTransaction, "-"),
                      (4, .iterationFinished, "rollback")],
             outcomes: ["#0.0 0→1: ok, 0 rows", "#0.1 2→3: ok, 0 rows"],
             end: "connected, free, busy, rollbacks 1"),
        Case(name: "a FATAL error closes the connection with the server's reason and stops reading",
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (9, .readable, "read"),
                      (9, .result(.error("57P01", "terminating connection due to administrator command", severity: "FATAL")), "-"),
                      (9, .readEnded(), "close")],
             outcomes: ["#0.0 0→9: 57 operator intervention: 57P01: terminating connection due to administrator command"],
             end: "broken until 10009, held, idle, lost 1"),
        Case(name: "a read that fails blames the server's FATAL notice when there was one",
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (9, .readable, "read"), (9, .readEnded(failure: "server closed the connection unexpectedly\nThis probably means",
                                                             connectionOK: false, notice: "57P01: terminating"), "close")],
             outcomes: ["#0.0 0→9: connection lost: 57P01: terminating"],
             end: "broken until 10009, held, idle, lost 1"),
        Case(name: "an error without SQLSTATE on a connection that broke is the connection's loss",
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"), (9, .readable, "read"),
                      (9, .result(Result(status: .fatalError, serverError: PostgresServerError(message: "server closed the connection unexpectedly"),
                                         connectionOK: false)), "-"),
                      (9, .result(nil), "-"), (9, .readEnded(connectionOK: false), "close")],
             outcomes: ["#0.0 0→9: connection lost: server closed the connection unexpectedly"],
             end: "broken until 10009, held, idle, lost 1"),
        Case(name: "an idle connection the server closed is noticed on reading",
             script: [(9, .readable, "read"), (9, .readEnded(connectionOK: false), "close")],
             outcomes: [], end: "broken until 10009, free, idle, lost 1"),
        Case(name: "after losing its connection between steps, an iteration's next step fails at once",
             steps: [lookup, lookup],
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"),
                      (1, .readable, "read"), (1, .result(oneRow), "-"), (1, .result(nil), "-"),
                      (2, .readable, "read"), (2, .readEnded(connectionOK: false), "close"),
                      (10_002, .timer, "startConnecting"), (10_002, .connectStarted, "-"),
                      (10_003, .writable, "continueConnecting"), (10_003, .progressed(.connected), "prepare"), (10_003, .opened, "-"),
                      (10_004, .send(iteration: 0, step: 1), "failed"), (10_004, .iterationFinished, "none"),
                      (10_005, .send(iteration: 1, step: 0), "prepared")],
             outcomes: ["#0.0 0→1: ok, 1 rows n=7", "#0.1 10004→10004: connection lost: the server closed the connection"],
             end: "connected, held, busy, lost 1, reconnects 1"),
        Case(name: "a replacement connection is polled as libpq asks and counted once open",
             script: [(0, .connectionFailed("gone"), "close"), (0, .stop, "none"),
                      (9_999, .timer, "none"), (10_000, .timer, "startConnecting"), (10_000, .connectStarted, "-"),
                      (10_001, .writable, "continueConnecting"), (10_001, .progressed(.waitingToRead), "none"),
                      (10_002, .readable, "continueConnecting"), (10_002, .progressed(.connected), "prepare"), (10_002, .opened, "-")],
             outcomes: [], end: "connected, free, idle, lost 1, reconnects 1"),
        Case(name: "failed attempts wait longer each time; one that hangs is given up",
             script: [(0, .connectionFailed("gone"), "close"),
                      (10_000, .timer, "startConnecting"), (10_000, .connectFailed("refused"), "close"),
                      (30_000, .timer, "startConnecting"), (30_000, .connectFailed("refused"), "close"),
                      (70_000, .timer, "startConnecting"), (70_000, .connectStarted, "-"),
                      (10_069_999, .timer, "none"), (10_070_000, .timer, "close")],
             outcomes: [], end: "broken until 10150000, down, free, idle, lost 1, failed 3 (no connection after 10 s)"),
        // The engine fails waiting iterations at once while every session of a pool is down.
        Case(name: "a failed attempt marks the session down until a replacement opens",
             script: [(0, .connectionFailed("gone"), "close"),
                      (10_000, .timer, "startConnecting"), (10_000, .connectFailed("refused"), "close"),
                      (30_000, .timer, "startConnecting"), (30_000, .connectStarted, "-"),
                      (30_001, .writable, "continueConnecting"), (30_001, .progressed(.connected), "prepare"), (30_001, .opened, "-")],
             outcomes: [], end: "connected, free, idle, lost 1, reconnects 1, failed 1 (refused)"),
        Case(name: "pipeline mode sends a batch with one sync and reads it in order", pipeline: 3,
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "none"),
                      (1, .send(iteration: 1, step: 0), "prepared"), (1, .sent, "none"),
                      (2, .batchEnded, "sync"), (2, .flushed(pending: false), "-"), (2, .batchEnded, "none"),
                      (3, .send(iteration: 2, step: 0), "prepared"), (3, .sent, "none"), (3, .batchEnded, "none"),
                      (5, .readable, "read"), (5, .result(oneRow), "-"), (5, .result(nil), "-"),
                      (5, .result(.error("22012", "division by zero")), "-"), (5, .result(nil), "-"), (5, .result(.sync), "-"),
                      (6, .batchEnded, "sync"),
                      (7, .readable, "read"), (7, .result(.aborted), "-"), (7, .result(nil), "-"), (7, .result(.sync), "-")],
             outcomes: ["#0.0 2→5: ok, 1 rows n=7", "#1.0 2→5: 22 data exception: 22012: division by zero",
                        "#2.0 6→7: pipeline aborted: not executed: an earlier statement of the same pipeline batch failed"]),
        Case(name: "pipeline mode: a statement libpq refuses leaves the batch to the others", pipeline: 2,
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "none"),
                      (0, .send(iteration: 1, step: 0), "prepared"), (0, .sendFailed("NUL byte", connectionOK: true), "none"),
                      (1, .batchEnded, "sync"), (1, .flushed(pending: false), "-"),
                      (2, .readable, "read"), (2, .result(oneRow), "-"), (2, .result(nil), "-"), (2, .result(.sync), "-"),
                      (2, .readEnded(), "none")],
             outcomes: ["#1.0 0→0: statement not sent: NUL byte", "#0.0 1→2: ok, 1 rows n=7"]),
        Case(name: "pipeline mode: a lost connection fails the whole batch", pipeline: 4,
             script: [(0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "none"),
                      (0, .send(iteration: 1, step: 0), "prepared"), (0, .sent, "none"),
                      (1, .batchEnded, "sync"), (1, .connectionFailed("broken pipe"), "close"),
                      (2, .send(iteration: 2, step: 0), "failed")],
             outcomes: ["#0.0 1→1: connection lost: broken pipe", "#1.0 1→1: connection lost: broken pipe",
                        "#2.0 2→2: connection lost: broken pipe"],
             end: "broken until 10001, free, idle, lost 1"),
        Case(name: "a stop cancels what is in flight",
             script: [(0, .stop, "none"), (0, .send(iteration: 0, step: 0), "prepared"), (0, .sent, "flush"), (1, .stop, "cancel")],
             outcomes: [], end: "connected, held, busy"),
    ]

    @Test("Each event returns the action its driver carries out", arguments: cases)
    func script(_ test: Case) throws {
        var machine = try Self.machine(test.steps, protocol: test.queryProtocol, pipeline: test.pipeline, prepared: test.prepared)
        var outcomes: [PostgresOutcome] = []
        let answers = Self.run(&machine, test.script.map { ($0.0, $0.1) }, outcomes: &outcomes)
        #expect(answers == test.script.map(\.2))
        #expect(outcomes.map(Self.describe) == test.outcomes)
        #expect(Self.describe(machine) == test.end)
    }

    /// Where a machine stands, as `Case.end` spells it.
    static func describe(_ machine: PostgresSessionMachine) -> String {
        var parts: [String] = switch machine.link {
        case .connected: ["connected"]
        case .broken(let retryAt): ["broken until \(retryAt)"]
        case .connecting: ["connecting"]
        }
        if machine.isDown { parts.append("down") }
        parts.append(machine.iterationOpen ? "held" : "free")
        parts.append(machine.isIdle ? "idle" : "busy")
        let counters = machine.counters
        if counters.connectionsLost > 0 { parts.append("lost \(counters.connectionsLost)") }
        if counters.reconnects > 0 { parts.append("reconnects \(counters.reconnects)") }
        if counters.failedReconnects > 0 { parts.append("failed \(counters.failedReconnects) (\(machine.lastConnectionError ?? ""))") }
        if counters.rollbacks > 0 { parts.append("rollbacks \(counters.rollbacks)") }
        return parts.joined(separator: ", ")
    }
}
