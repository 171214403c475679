import Foundation
import StrainContract
import StrainProfile
import StrainReport
import Testing

/// A run with known values (all below 2048 µs, where the histogram is exact), so each threshold
/// form can be checked against a number worked out by hand.
enum KnownRun {
    static let profileHeader = """
    {
      name: "known",
      target: { baseURL: "http://127.0.0.1:1" },
      scenarios: [
        { name: "browse", load: { rate: "15/s", duration: "10s" },
          steps: [{ name: "home", path: "/" }, { name: "login", path: "/login" }] },
        { name: "reports", postgres: { conninfo: "host=127.0.0.1" }, load: { model: "closed", connections: 1, duration: "10s" },
          steps: [{ name: "query", sql: "SELECT 1" }] },
      ],
    """

    /// The profile above with `thresholds` (JSON5 object members) appended.
    static func thresholds(_ members: String) throws -> [Threshold] {
        try ProfileLoader.parse(profileHeader + "thresholds: { \(members) } }", path: "known.json5",
                                baseDirectory: URL(fileURLWithPath: "/tmp")).thresholds
    }

    static var artifact: RunArtifact {
        // home: latency 10…1000 µs (100 values), service 5…500 µs; login: 50 × 2000 µs.
        let home = StepResult(
            name: "home", requests: 100, failures: 3,
            latency: Histogram(recording: stride(from: 10, through: 1000, by: 10)),
            service: Histogram(recording: stride(from: 5, through: 500, by: 5)),
            phases: [Phase.dns.name: Histogram(recording: [1, 2, 3]), Phase.connect.name: Histogram(recording: [40, 60]),
                     Phase.ttfb.name: Histogram(recording: [100, 200, 300])],
            counters: [Counter.checks.name: 100, Counter.checkFailures.name: 4])
        let login = StepResult(
            name: "login", requests: 50, failures: 2,
            latency: Histogram(recording: Array(repeating: 2000, count: 50)),
            service: Histogram(recording: Array(repeating: 1500, count: 50)),
            phases: [Phase.ttfb.name: Histogram(recording: [1000])])
        let query = StepResult(
            name: "query", requests: 40, failures: 1,
            latency: Histogram(recording: Array(repeating: 700, count: 40)),
            service: Histogram(recording: Array(repeating: 600, count: 40)),
            phases: [Phase.poolWait.name: Histogram(recording: [0, 50, 100])])
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "test", cores: 2, memoryBytes: 1 << 30, os: "Linux", arch: "x86_64"),
            gitSHA: nil, startedAt: start, endedAt: start.addingTimeInterval(10), status: .completed,
            validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "browse", kind: .http, iterations: 50, steps: [home, login]),
                        ScenarioResult(name: "reports", kind: .postgres, iterations: 40, steps: [query])])
    }
}

struct ThresholdEvaluatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let key: String
        let condition: String
        let observed: Double
        let passed: Bool
        var testDescription: String { "\(key): \(condition)" }
    }

    @Test(arguments: [
        // Trend metrics: every aggregation, every scope.
        Case(key: "browse.home.latency", condition: "p(99) < 1ms", observed: 990e-6, passed: true),
        Case(key: "browse.home.latency", condition: "p(99.9) <= 1ms", observed: 1000e-6, passed: true),
        Case(key: "browse.home.latency", condition: "p99 < 900us", observed: 990e-6, passed: false),
        Case(key: "browse.home.latency", condition: "avg < 500us", observed: 505e-6, passed: false),
        Case(key: "browse.home.latency", condition: "med == 500us", observed: 500e-6, passed: true),
        Case(key: "browse.home.latency", condition: "min >= 10us", observed: 10e-6, passed: true),
        Case(key: "browse.home.latency", condition: "max < 1ms", observed: 1000e-6, passed: false),
        // A scenario merges its steps: rank 149 of 150 is one of login's 2000 µs.
        Case(key: "browse.latency", condition: "p(99) < 1ms", observed: 2000e-6, passed: false),
        Case(key: "browse.latency", condition: "p(50) < 1ms", observed: 750e-6, passed: true),
        Case(key: "http.latency", condition: "max < 3ms", observed: 2000e-6, passed: true),
        Case(key: "postgres.latency", condition: "max < 1ms", observed: 700e-6, passed: true),
        Case(key: "reports.query.latency", condition: "avg < 1ms", observed: 700e-6, passed: true),
        Case(key: "latency", condition: "max < 2ms", observed: 2000e-6, passed: false),
        Case(key: "browse.home.service_time", condition: "max < 1ms", observed: 500e-6, passed: true),
        Case(key: "service_time", condition: "max < 1ms", observed: 1500e-6, passed: false),
        Case(key: "http.dns", condition: "max < 5us", observed: 3e-6, passed: true),
        Case(key: "browse.connect", condition: "avg < 60us", observed: 50e-6, passed: true),
        Case(key: "http.ttfb", condition: "p(75) < 500us", observed: 300e-6, passed: true),
        Case(key: "browse.login.ttfb", condition: "p(50) < 500us", observed: 1000e-6, passed: false),
        Case(key: "reports.pool_wait", condition: "max < 100us", observed: 100e-6, passed: false),
        // Errors: a fraction of the requests, or a count.
        Case(key: "http.errors", condition: "rate < 1%", observed: 5.0 / 150, passed: false),
        Case(key: "browse.home.errors", condition: "rate <= 0.03", observed: 0.03, passed: true),
        Case(key: "errors", condition: "count == 6", observed: 6, passed: true),
        Case(key: "postgres.errors", condition: "count == 0", observed: 1, passed: false),
        // Requests: a count, or a rate over the run's 10 s.
        Case(key: "requests", condition: "count >= 190", observed: 190, passed: true),
        Case(key: "requests", condition: "rate > 20/s", observed: 19, passed: false),
        Case(key: "browse.requests", condition: "rate >= 15/s", observed: 15, passed: true),
        // Checks: failed checks as a fraction of all checks, or a count.
        // The pass fraction, as in k6: 96 of 100 checks passed.
        Case(key: "checks", condition: "rate > 0.95", observed: 0.96, passed: true),
        Case(key: "checks", condition: "rate > 0.99", observed: 0.96, passed: false),
        Case(key: "browse.home.checks", condition: "count < 4", observed: 4, passed: false),
        // Dropped arrivals: a count (none in this run).
        Case(key: "dropped", condition: "count == 0", observed: 0, passed: true),
    ])
    func observesEachForm(_ example: Case) throws {
        let threshold = try #require(try KnownRun.thresholds("\"\(example.key)\": [\"\(example.condition)\"]").first)
        let result = ThresholdEvaluator.evaluate(threshold, on: KnownRun.artifact)
        let observed = try #require(result.observed)
        #expect(abs(observed - example.observed) < 1e-9, "observed \(observed), expected \(example.observed)")
        #expect(result.passed == example.passed)
        #expect(result.missing == nil)
        #expect(result.threshold == threshold.description)
    }

    /// k6's `dropped_iterations: ["count == 0"]`: a gate that fails when arrivals were never sent.
    @Test func droppedArrivalsAreCountedPerScope() throws {
        var artifact = KnownRun.artifact
        artifact.scenarios[0].steps[0].counters[Counter.dropped.name] = 7
        for (key, observed) in [("dropped", 7.0), ("browse.dropped", 7), ("browse.home.dropped", 7), ("reports.dropped", 0)] {
            let threshold = try #require(try KnownRun.thresholds("\"\(key)\": [\"count == 0\"]").first)
            let result = ThresholdEvaluator.evaluate(threshold, on: artifact)
            #expect(result.observed == observed, "\(key)")
            #expect(result.passed == (observed == 0), "\(key)")
        }
    }

    @Test func resultsKeepTheProfileOrderAndTheirTexts() throws {
        let thresholds = try KnownRun.thresholds(#""browse.latency": ["p(99) < 300ms", { threshold: "avg < 1ms", abortOnFail: true }], "http.errors": ["rate < 0.1%"]"#)
        let results = ThresholdEvaluator.evaluate(thresholds, on: KnownRun.artifact)
        #expect(results.map(\.threshold) == ["browse.latency: p(99) < 300ms", "browse.latency: avg < 1ms", "http.errors: rate < 0.1%"])
        #expect(results.map(\.scope) == ["browse", "browse", "http"])
        #expect(results.map(\.condition) == ["p(99) < 300ms", "avg < 1ms", "rate < 0.1%"])
        #expect(results.map(\.abortOnFail) == [false, true, false])
        #expect(results.map(\.observedText) == ["2.00ms", "1.00ms", "3.33%"])
        // abortOnFail and failing on data: stop the run.
        #expect(results[1].shouldAbort)
        #expect(!results[2].shouldAbort)
    }

    /// A threshold on something the run never measured fails (a gate must not pass on nothing),
    /// but does not abort a run that may simply not have measured it yet.
    @Test(arguments: [
        ("browse.tls", "p(99) < 1ms", "no tls was measured"),
        ("reports.query.pool_wait", "max < 1s", nil),
        ("reports.checks", "rate > 99%", "no checks were evaluated"),
    ] as [(String, String, String?)])
    func nothingMeasuredFails(key: String, condition: String, missing: String?) throws {
        var artifact = KnownRun.artifact
        artifact.scenarios[1].steps[0].phases = [:]
        let threshold = try #require(try KnownRun.thresholds("\"\(key)\": [{ threshold: \"\(condition)\", abortOnFail: true }]").first)
        let result = ThresholdEvaluator.evaluate(threshold, on: artifact)
        #expect(result.observed == nil)
        #expect(!result.passed)
        #expect(!result.shouldAbort)
        #expect(result.missing == (missing ?? "no pool_wait was measured"))
        #expect(result.observedText == result.missing)
    }

    /// Every request failed without a response (the target was down): latency has nothing to judge,
    /// so a latency threshold fails rather than passing on the failures' durations.
    @Test func aLatencyThresholdWithoutAnyResponseFails() throws {
        var artifact = KnownRun.artifact
        artifact.scenarios[0].steps = [StepResult(name: "home", requests: 2_000, failures: 2_000,
                                                  errors: [ErrorTally(label: "connect refused", count: 2_000, example: "refused")])]
        let results = ThresholdEvaluator.evaluate(try KnownRun.thresholds(#""browse.latency": ["p(99) < 300ms"]"#), on: artifact)
        #expect(results.map(\.passed) == [false])
        #expect(results.map(\.observedText) == ["no response was measured"])
    }

    /// k6's usual `checks: ["rate > 0.99"]` holds on a run whose checks all passed.
    @Test func checksRateIsThePassFractionAsInK6() throws {
        var artifact = KnownRun.artifact
        artifact.scenarios[0].steps[0].counters[Counter.checkFailures.name] = nil
        let results = ThresholdEvaluator.evaluate(try KnownRun.thresholds(#""checks": ["rate > 0.99", "count == 0"]"#), on: artifact)
        #expect(results.map(\.observed) == [1, 0])
        #expect(results.map(\.passed) == [true, true])
    }

    /// A partial artifact (the driver checks abortOnFail every interval) with no requests yet.
    @Test func partialArtifactWithoutRequestsYet() throws {
        var artifact = KnownRun.artifact
        artifact.endedAt = artifact.startedAt
        for scenario in artifact.scenarios.indices {
            artifact.scenarios[scenario].steps = artifact.scenarios[scenario].steps.map { StepResult(name: $0.name) }
        }
        let thresholds = try KnownRun.thresholds(#""http.errors": ["rate < 1%"], "requests": ["rate > 1/s", "count == 0"], "latency": ["p(99) < 1s"]"#)
        let results = ThresholdEvaluator.evaluate(thresholds, on: artifact)
        #expect(results.map(\.missing) == ["no requests were made", "the run has no duration yet", nil, "no response was measured"])
        #expect(results.map(\.passed) == [false, false, true, false])
    }

    /// Thresholds from a profile that names scenarios this run does not have (the profile changed).
    @Test func scopesAbsentFromTheRun() throws {
        var artifact = KnownRun.artifact
        artifact.scenarios.removeLast()
        artifact.scenarios[0].steps.removeLast()
        let thresholds = try KnownRun.thresholds(#""reports.latency": ["p(99) < 1s"], "browse.login.errors": ["count == 0"], "postgres.requests": ["count > 0"]"#)
        let results = ThresholdEvaluator.evaluate(thresholds, on: artifact)
        #expect(results.map(\.missing) == ["the run has no scenario \"reports\"", "scenario \"browse\" has no step \"login\" in this run",
                                           "the run has no postgres scenario"])
    }
}
