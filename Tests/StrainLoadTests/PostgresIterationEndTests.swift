import StrainContract
import StrainProfile
import StrainTestSupport
import Testing
@testable import StrainLoad

/// The PostgreSQL engine driven step by step as a worker's driver would, against the test server.
@Suite("PostgreSQL engine: iterations that end between steps")
struct PostgresIterationEndTests {
    /// One worker's engine for the profile's first scenario, with the whole of its pool.
    static func engine(_ profile: Profile, pool: Int) throws -> PostgresEngine {
        let inputs = try RunInputs(profile: profile, environment: PostgresEngineTests.environment)
        let share = ScenarioShare(scenario: 0, slot: 0, sharers: 1, concurrency: 2, connections: pool, budget: nil, shard: .whole)
        return try PostgresEngine(WorkerSetup(worker: 0, workers: 1, profile: profile, inputs: inputs, shares: [share], seed: 1))
    }

    /// Waits for the engine's next finished step.
    static func nextCompletion(_ engine: PostgresEngine, clock: RunClock) throws -> Completion {
        var completions: [Completion] = []
        let giveUpAt = clock.now() + PostgresTestLoop.giveUpAfter
        while completions.isEmpty {
            try #require(clock.now() < giveUpAt, "no step finished")
            try engine.waitForCompletions(until: clock.now() + 100_000, clock: clock, into: &completions)
        }
        try #require(completions.count == 1)
        return completions[0]
    }

    @Test("An iteration that ends during its think time releases its session and rolls back its transaction")
    func endedBetweenSteps() throws {
        let table = try ScratchTable("id int PRIMARY KEY")
        defer { try? table.drop() }
        let profile = try TestProfile.parse("""
            { name: "pg", scenarios: [
              { name: "insert", postgres: { conninfo: "${env.STRAIN_PG}", pool: 1 },
                load: { model: "closed", connections: 2, iterations: 2, thinkTime: "1s" },
                steps: [
                  { name: "begin", sql: "BEGIN" },
                  { name: "insert", sql: "INSERT INTO \(table.name) VALUES ($1)", params: ["${random(1, 1000000)}"] },
                  { name: "commit", sql: "COMMIT" },
                ] } ] }
            """)
        let engine = try Self.engine(profile, pool: 1)
        let clock = RunClock()
        let first = try makeIteration(profile, environment: PostgresEngineTests.environment, seed: 1)
        let second = try makeIteration(profile, environment: PostgresEngineTests.environment, seed: 2)

        // The first iteration inserts inside its transaction, then is stopped before COMMIT.
        for step in 0..<2 {
            first.step = step
            try engine.start(first, now: clock.now())
            let done = try Self.nextCompletion(engine, clock: clock)
            #expect(done.iteration === first && done.outcome.failure == nil)
        }
        // The second waits for the one connection, which the first holds.
        try engine.start(second, now: clock.now())
        engine.iterationEnded(first)

        // It gets the connection and commits its own transaction, without the first one's row.
        for step in 0..<3 {
            let done = try Self.nextCompletion(engine, clock: clock)
            #expect(done.iteration === second && done.outcome.failure == nil, "\(done.outcome.failure?.message ?? "")")
            #expect(done.outcome.status == .sqlState(SQLState.success))
            if step < 2 {
                second.step = step + 1
                try engine.start(second, now: clock.now())
            }
        }
        engine.iterationEnded(second)
        let rows = try table.admin.execute("SELECT count(*) FROM \(table.name)").value(row: 0, column: 0)
        #expect(rows == "1")
    }
}
