import Foundation
import Testing
import StrainContract
@testable import StrainProfile

struct ThresholdTests {
    static let scenarios: [Scenario] = {
        let text = """
        {
          name: "thresholds",
          target: { baseURL: "http://127.0.0.1:18080" },
          scenarios: [
            { name: "browse", load: { rate: "1/s", duration: "1s" },
              steps: [{ name: "login", path: "/login" }, { path: "/1k.bin" }] },
            { name: "reports", postgres: { conninfo: "${env.PG}" }, load: { model: "closed", connections: 1, iterations: 1 },
              steps: [{ sql: "SELECT 1" }] },
          ],
        }
        """
        // A fixture that must parse; a failure here shows up in every test below.
        return (try? ProfileLoader.parse(text, path: "thresholds.json5", baseDirectory: URL(fileURLWithPath: "/")))?.scenarios ?? []
    }()

    @Test(arguments: [
        ("latency", ThresholdScope.all, Metric.latency),
        ("http.errors", .http, .errors),
        ("postgres.pool_wait", .postgres, .poolWait),
        ("browse.service_time", .scenario("browse"), .serviceTime),
        ("browse.login.ttfb", .step(scenario: "browse", step: "login"), .ttfb),
        ("browse.GET /1k.bin.latency", .step(scenario: "browse", step: "GET /1k.bin"), .latency),
        ("reports.pool_wait", .scenario("reports"), .poolWait),
    ])
    func readsScopeAndMetricFromTheKey(key: String, scope: ThresholdScope, metric: Metric) throws {
        #expect(Self.scenarios.count == 2)
        let target = try Threshold.target(ofKey: key, scenarios: Self.scenarios)
        #expect(target.0 == scope)
        #expect(target.1 == metric)
    }

    @Test(arguments: [
        ("browse.logn.ttfb", #"scenario "browse" has no step "logn" (its steps: login, GET /1k.bin)"#, "browse.login.ttfb"),
        ("brwose.latency", #"unknown scope "brwose"; use http, postgres, a scenario name or scenario.step"#, "browse.latency"),
        ("reports.dns", #"dns is only measured for HTTP scenarios, but "reports" is PostgreSQL"#, nil),
        ("http.pool_wait", #"pool_wait is only measured for PostgreSQL scenarios, but "http" is HTTP"#, nil),
        ("latancy", "unknown metric \"latancy\"; use one of latency, service_time, dns, connect, tls, ttfb, pool_wait, errors, requests, checks, dropped", "latency"),
    ] as [(String, String, String?)])
    func rejectsUnknownKeys(key: String, message: String, suggestion: String?) {
        #expect(throws: ValueError(message, suggestion: suggestion)) {
            try Threshold.target(ofKey: key, scenarios: Self.scenarios)
        }
    }

    /// Names may hold dots. "s.t.g" is scenario "s.t"'s step "g" when that is all it can be (scenario "s"
    /// comes first and has no step "t.g"), and refused when it can be two things.
    @Test(arguments: [(false, nil), (true, #""s.t.g" could mean step "t.g" of scenario "s" or step "g" of scenario "s.t"; rename one so that a threshold names one of them"#)] as [(Bool, String?)])
    func dottedNamesAreReadAsTheOneThingTheyName(ambiguous: Bool, message: String?) throws {
        let text = """
        { name: "dots", target: { baseURL: "http://127.0.0.1:1" }, scenarios: [
          { name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ name: "\(ambiguous ? "t.g" : "other")", path: "/a" }] },
          { name: "s.t", load: { rate: "1/s", duration: "1s" }, steps: [{ name: "g", path: "/b" }] } ] }
        """
        let scenarios = try ProfileLoader.parse(text, path: "dots.json5", baseDirectory: URL(fileURLWithPath: "/")).scenarios
        if let message {
            #expect(throws: ValueError(message)) { try Threshold.target(ofKey: "s.t.g.latency", scenarios: scenarios) }
        } else {
            #expect(try Threshold.target(ofKey: "s.t.g.latency", scenarios: scenarios).0 == .step(scenario: "s.t", step: "g"))
        }
    }

    @Test(arguments: [
        ("p(99) < 300ms", Metric.latency, Aggregation.percentile(99), ComparisonOperator.less, ThresholdValue.duration(TimeSpan(seconds: 0.3))),
        ("p99.9<=1s", .latency, .percentile(99.9), .lessOrEqual, .duration(TimeSpan(seconds: 1))),
        ("avg < 100ms", .serviceTime, .average, .less, .duration(TimeSpan(seconds: 0.1))),
        ("med > 1ms", .ttfb, .median, .greater, .duration(TimeSpan(seconds: 0.001))),
        ("rate < 0.1%", .errors, .rate, .less, .fraction(0.001)),
        ("rate < 0.001", .errors, .rate, .less, .fraction(0.001)),
        ("count == 0", .errors, .count, .equal, .count(0)),
        ("rate >= 100/s", .requests, .rate, .greaterOrEqual, .rate(Rate(perSecond: 100))),
        ("count != 1000", .requests, .count, .notEqual, .count(1000)),
        ("rate < 1%", .checks, .rate, .less, .fraction(0.01)),
    ])
    func parsesConditions(expression: String, metric: Metric, aggregation: Aggregation, op: ComparisonOperator, limit: ThresholdValue) throws {
        let threshold = try Threshold(scope: .all, metric: metric, expression: expression, abortOnFail: false)
        #expect(threshold.aggregation == aggregation)
        #expect(threshold.comparison == Comparison(op: op, limit: limit))
    }

    @Test(arguments: [
        ("p(95) < 5%", Metric.latency, #"latency is compared with a duration like "300ms", found "5%""#),
        ("rate < 300ms", .errors, #"errors rate is compared with a percentage like "0.1%" or a fraction like 0.001, found "300ms""#),
        ("rate < 5", .errors, #"errors rate is compared with a percentage like "0.1%" or a fraction like 0.001, found "5""#),
        ("rate > 100", .requests, #"requests rate is compared with a rate like "100/s", found "100""#),
        ("count < 1.5", .requests, #"requests count is compared with a whole number like 10, found "1.5""#),
        ("count < 99999999999999999999999", .errors,
         #"errors count is compared with a whole number up to 9007199254740992, found "99999999999999999999999""#),
        ("count < 9007199254740993", .errors,
         #"errors count is compared with a whole number up to 9007199254740992, found "9007199254740993""#),
        ("avg < 1%", .errors, "errors takes rate, count, not avg"),
        ("count < 3", .latency, "latency takes p(N), avg, min, max, med, not count"),
        ("rate < 1%", .dropped, "dropped takes count, not rate"),
        ("p(101) < 1s", .latency, #"expected a percentile like p(99) or p(99.9) (above 0, at most 100), found "p(101)""#),
        ("p(99) = 1s", .latency, #"unknown comparison "=" in "p(99) = 1s"; use <, <=, >, >=, == or !="#),
        ("p(99) 300ms", .latency, #"expected a threshold like "p(99) < 300ms", "avg < 100ms" or "rate < 0.1%", found "p(99) 300ms""#),
    ])
    func rejectsConditionsThatDoNotFitTheMetric(expression: String, metric: Metric, message: String) {
        #expect(throws: ValueError(message)) {
            try Threshold(scope: .all, metric: metric, expression: expression, abortOnFail: false)
        }
    }

    @Test(arguments: [
        (ComparisonOperator.less, 0.3, 0.299, true), (.less, 0.3, 0.3, false),
        (.lessOrEqual, 0.3, 0.3, true), (.greater, 100, 100, false),
        (.greaterOrEqual, 100, 100, true), (.equal, 0, 0, true), (.notEqual, 0, 0, false),
    ])
    func comparesObservedValuesInBaseUnits(op: ComparisonOperator, limit: Double, observed: Double, holds: Bool) {
        #expect(Comparison(op: op, limit: .count(limit)).holds(observed: observed) == holds)
    }

    @Test func holdsUsesSecondsFractionsAndPerSecond() {
        #expect(Comparison(op: .less, limit: .duration(TimeSpan(seconds: 0.3))).holds(observed: 0.25))
        #expect(!Comparison(op: .less, limit: .fraction(0.001)).holds(observed: 0.002))
        #expect(Comparison(op: .greaterOrEqual, limit: .rate(Rate(perSecond: 100))).holds(observed: 120))
    }

    @Test func describesThresholdsCanonically() throws {
        let latency = try Threshold(scope: .scenario("browse"), metric: .latency, expression: " p99   <  0.3s ", abortOnFail: true)
        #expect(latency.description == "browse.latency: p(99) < 300ms")
        #expect(latency.abortOnFail)
        let errors = try Threshold(scope: .all, metric: .errors, expression: "rate<0.001", abortOnFail: false)
        #expect(errors.description == "errors: rate < 0.1%")
    }
}

/// What a run artifact records of each threshold reads back as the same threshold.
struct RecordedThresholdTests {
    @Test func everyExampleProfilesThresholdsRoundTrip() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("profiles")
        var seen = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".json5") {
            let profile = try ProfileLoader.load(path: folder.appendingPathComponent(file).path)
            for threshold in profile.thresholds {
                #expect(try Threshold(recorded: threshold.recorded) == threshold, "\(file): \(threshold)")
                seen += 1
            }
        }
        #expect(seen > 0)
    }

    @Test func aRecordedStepScopeNeedsItsScenarioAndStep() {
        let broken = RecordedThreshold(scope: .step, scenario: "shop", metric: "latency", condition: "p(99) < 1s", abortOnFail: false)
        #expect(throws: ValueError.self) { try Threshold(recorded: broken) }
    }
}
