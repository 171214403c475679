import Foundation
import Testing
@testable import StrainProfile

struct PlanTests {
    static func plan(_ text: String) throws -> Plan {
        Plan(try ProfileLoader.parse(text, path: "plan.json5", baseDirectory: URL(fileURLWithPath: "/")))
    }

    static let ramp = """
    {
      name: "ramp",
      target: { baseURL: "http://127.0.0.1:18080" },
      scenarios: [
        { name: "browse", load: { stages: [{ to: "50/s", over: "30s" }, { to: "200/s", over: "2m" }] },
          steps: [{ path: "/a" }, { path: "/b" }] },
        { name: "reports", postgres: { conninfo: "${env.PG}", pool: 4 },
          load: { model: "closed", connections: 8, duration: "1m", thinkTime: "100ms" }, steps: [{ sql: "SELECT 1" }] },
      ],
    }
    """

    @Test func turnsStagesIntoRateSegments() throws {
        let browse = try #require(try Self.plan(Self.ramp).scenarios.first)
        #expect(browse.segments == [
            RateSegment(start: .zero, end: TimeSpan(seconds: 30), fromRate: .zero, toRate: Rate(perSecond: 50)),
            RateSegment(start: TimeSpan(seconds: 30), end: TimeSpan(seconds: 150), fromRate: Rate(perSecond: 50), toRate: Rate(perSecond: 200)),
        ])
        #expect(browse.duration == TimeSpan(seconds: 150))
        // 30s × 25/s on average, then 120s × 125/s.
        #expect(browse.expectedIterations == 15_750)
        #expect(browse.expectedRequests == 31_500)
        #expect(browse.connections == 256)
        #expect(browse.model == .open)
    }

    @Test(arguments: [(0.0, 0.0), (15, 25), (30, 50), (90, 125), (149.999_999, 200), (150, 0), (-1, 0)])
    func interpolatesTheRate(second: Double, perSecond: Double) throws {
        let browse = try #require(try Self.plan(Self.ramp).scenarios.first)
        #expect(abs(browse.rate(at: TimeSpan(seconds: second)).perSecond - perSecond) < 1e-4)
    }

    @Test func closedScenariosBoundedByDurationDependOnLatency() throws {
        let reports = try #require(try Self.plan(Self.ramp).scenarios.last)
        #expect(reports.kind == .postgres)
        #expect(reports.segments.isEmpty)
        #expect(reports.duration == TimeSpan(seconds: 60))
        #expect(reports.expectedIterations == nil)
        #expect(reports.expectedRequests == nil)
        #expect(reports.connections == 4)
        #expect(reports.thinkTime == TimeSpan(seconds: 0.1))
        #expect(reports.rate(at: TimeSpan(seconds: 1)) == .zero)
    }

    @Test func scenariosBoundedByIterationsMakeTheDurationUnknown() throws {
        let plan = try Self.plan("""
            { name: "batch", target: { baseURL: "http://127.0.0.1:18080" }, scenarios: [
              { name: "once", load: { model: "closed", connections: 2, iterations: 500 }, steps: [{ path: "/a" }, { path: "/b" }] },
              { name: "steady", load: { rate: "10/s", duration: "20s" }, steps: [{ path: "/c" }] },
            ] }
            """)
        let once = try #require(plan.scenarios.first)
        #expect(once.duration == nil)
        #expect(once.expectedIterations == 500)
        #expect(once.expectedRequests == 1000)
        #expect(once.connections == 2)
        #expect(plan.duration == nil)
        #expect(plan.longestKnownDuration == TimeSpan(seconds: 20))
        #expect(plan.describe().hasSuffix("Total: at least 20s (scenarios bounded by iterations run until they are done); ~1,200 HTTP requests\n"))
    }

    @Test func theRunLastsAsLongAsItsLongestScenario() throws {
        #expect(try Self.plan(Self.ramp).duration == TimeSpan(seconds: 150))
    }

    @Test func describesEachScenarioAndTheTotal() throws {
        let expected = """
        Plan for "ramp": 2 scenarios

        browse: HTTP, open model, constant arrivals
          0s – 30s     0/s → 50/s
          30s – 2m30s  50/s → 200/s
          shape        ▁▁▂▂▂▃▃▃▃▃▄▄▄▄▄▅▅▅▅▅▆▆▆▆▆▇▇▇▇▇██  peak 200/s
          expected     ~15,750 iterations × 2 requests = ~31,500 requests
          connections  up to 256

        reports: PostgreSQL, closed model, 8 connections
          runs         for 1m
          expected     iterations depend on latency (1 query each)
          connections  4 (pool)
          think time   100ms after each step

        Total: 2m30s; ~31,500 HTTP requests; PostgreSQL queries depend on latency

        """
        let described = try Self.plan(Self.ramp).describe()
        #expect(described == expected)
        #expect(!described.contains("\u{1B}"), "no ANSI escapes")
    }

    @Test func describesSharesOfTheProfileLoadAndIterationBounds() throws {
        let described = try Self.plan("""
            { name: "mix", load: { model: "closed", connections: 4, iterations: 100 }, scenarios: [
              { name: "a", weight: 3, postgres: { conninfo: "x" }, steps: [{ sql: "SELECT 1" }, { sql: "SELECT 2" }] },
              { name: "b", postgres: { conninfo: "x" }, steps: [{ sql: "SELECT 3" }] },
            ] }
            """).describe()
        #expect(described.contains("""
            a: PostgreSQL, closed model, 3 connections, weight 3 of 4 of the shared load
              runs         75 iterations in total; how long depends on latency
              expected     75 iterations × 2 queries = 150 queries
            """))
        #expect(described.hasSuffix("Total: duration depends on latency; 175 PostgreSQL queries\n"))
    }
}
