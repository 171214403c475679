import Dispatch
import StrainPQ
import StrainProfile
import StrainTestSupport
import Testing
@testable import StrainLoad

/// Just enough of a worker to drive `PostgresSession`s in tests: one poll loop over their
/// sockets, reconnecting when due, collecting outcomes.
struct PostgresTestLoop {
    /// Guards against a hung test, not a performance bound: nothing here takes more than a
    /// fraction of it unless something is broken.
    static let giveUpAfter: UInt64 = 60_000_000

    private var poller = SocketPoller()
    private(set) var outcomes: [PostgresOutcome] = []

    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds / 1000
    }

    /// Polls until `done` holds, handing every socket event to its session.
    mutating func run(_ sessions: [PostgresSession], until done: (_ outcomes: [PostgresOutcome]) -> Bool) throws {
        let start = Self.now()
        while !done(outcomes) {
            guard Self.now() - start < Self.giveUpAfter else {
                throw LoopError(description: "gave up waiting; outcomes so far: \(outcomes.map(Self.describe))")
            }
            poller.removeAll()
            var polled: [PostgresSession] = []
            var wakeUp: UInt64 = 100_000
            for session in sessions {
                if let due = session.reconnectAt {
                    if !session.reconnectIfDue(now: Self.now()) {
                        wakeUp = min(wakeUp, due > Self.now() ? due - Self.now() : 1000)
                    }
                }
                guard session.needsPolling else { continue }
                poller.add(session.socket, interest: session.interest)
                polled.append(session)
            }
            _ = try poller.wait(timeout: wakeUp)
            for (index, session) in polled.enumerated() {
                let ready = poller.ready(at: index)
                if ready.contains(.write) { session.onWritable(now: Self.now(), into: &outcomes) }
                if ready.contains(.read) { session.onReadable(now: Self.now(), into: &outcomes) }
            }
        }
    }

    /// Runs one iteration start to finish without pipeline mode: each step's parameters come
    /// from `parameters(step, variables extracted so far)`, the values its checks expect from
    /// `expected(step)`; stops at a failure that ends it.
    mutating func runIteration(
        _ iteration: Int, on session: PostgresSession,
        parameters: (Int, [String: String]) -> [String] = { _, _ in [] },
        expected: (Int) -> [String] = { _ in [] }
    ) throws -> [PostgresOutcome] {
        var variables: [String: String] = [:]
        var results: [PostgresOutcome] = []
        for step in session.workload.statements.indices {
            let before = outcomes.count
            session.send(iteration: iteration, step: step, parameters: parameters(step, variables).map(PGParameter.text), expectedValues: expected(step),
                         now: Self.now(), into: &outcomes)
            try run([session]) { $0.count > before }
            let outcome = outcomes[before]
            results.append(outcome)
            for value in outcome.extracted { variables[value.variable] = value.value }
            if outcome.failure?.endsIteration == true { break }
        }
        session.finishIteration(now: Self.now(), into: &outcomes)
        try run([session]) { _ in session.isIdle }
        return results
    }

    static func describe(_ outcome: PostgresOutcome) -> String {
        "#\(outcome.iteration).\(outcome.step): \(outcome.failure.map { "\($0.label): \($0.message)" } ?? "ok, \(outcome.rows) rows")"
    }

    struct LoopError: Error, CustomStringConvertible {
        let description: String
    }
}

/// Builds workloads the way a profile would, without writing one.
enum PostgresTestWorkload {
    struct Step {
        var sql: String
        var parameterCount = 0
        var extract: [String: String] = [:]
        var rows: Int?
        /// Column → the value its first row must hold.
        var values: [String: String] = [:]

        var sortedValues: [(column: String, value: String)] {
            values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// What the value checks of `steps` expect, step by step, for `runIteration`.
    static func expectedValues(_ steps: [Step]) -> (Int) -> [String] {
        { step in steps[step].sortedValues.map(\.value) }
    }

    static func make(_ steps: [Step], protocol queryProtocol: QueryProtocol = .prepared, pipeline: Int? = nil) throws -> PostgresWorkload {
        let statements = steps.enumerated().map { index, step in
            PostgresStatement(
                index: index, name: "step\(index)", sql: step.sql, parameterCount: step.parameterCount,
                extractions: step.extract.sorted { $0.key < $1.key }.map { .init(variable: $0.key, column: $0.value) },
                expectedRows: step.rows,
                checkedColumns: step.sortedValues.map(\.column))
        }
        return try PostgresWorkload(scenario: "test", statements: statements, queryProtocol: queryProtocol, pipelineDepth: pipeline)
    }

    /// A session on the test server, whose plain connections `PGWire` speaks for unless `transport` is `.libpq`.
    static func session(_ steps: [Step], protocol queryProtocol: QueryProtocol = .prepared, pipeline: Int? = nil,
                        transport: PostgresSession.Transport = .automatic) throws -> PostgresSession {
        let session = try PostgresSession(workload: make(steps, protocol: queryProtocol, pipeline: pipeline),
                                          conninfo: TestServers.postgresConninfo, transport: transport)
        try #require(session.speaksWireProtocol == (transport == .automatic))
        return session
    }
}

/// A table of its own for one test (tests run in parallel), dropped by `drop()`.
struct ScratchTable {
    let name: String
    let admin: PGConnection

    init(_ columns: String) throws {
        admin = try PGConnection(conninfo: TestServers.postgresConninfo)
        name = "strain_load_\(UInt32.random(in: 0...UInt32.max))"
        try admin.execute("CREATE TABLE \(name) (\(columns))")
    }

    func drop() throws {
        try admin.execute("DROP TABLE IF EXISTS \(name)")
    }
}
