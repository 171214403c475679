import Foundation
import Testing
@testable import StrainProfile

/// `strain capacity` moves a profile's total rate while each scenario keeps its share.
struct ProfileScalingTests {
    static func profile(_ scenarios: String) throws -> Profile {
        try ProfileLoader.parse("""
        { name: "mix", target: { baseURL: "http://127.0.0.1:18080" }, scenarios: [\(scenarios)] }
        """, path: "mix.json5", baseDirectory: URL(fileURLWithPath: "/"))
    }

    @Test func sharesFollowEachScenariosPeakRate() throws {
        let profile = try Self.profile("""
        { name: "a", load: { rate: "30/s", duration: "10s", arrival: "poisson", maxConnections: 7 }, steps: [{ path: "/a" }] },
        { name: "b", load: { stages: [{ to: "90/s", over: "5s" }, { to: "10/s", over: "5s" }] }, steps: [{ path: "/b" }] },
        """)
        #expect(profile.openRateShares == [0.25, 0.75])
        #expect(profile.peakOpenRate == Rate(perSecond: 120))

        let scaled = profile.atConstantRate(Rate(perSecond: 400), for: TimeSpan(seconds: 4))
        let loads = scaled.scenarios.map(\.load)
        #expect(loads[0] == .open(OpenLoad(start: Rate(perSecond: 100), stages: [Stage(target: Rate(perSecond: 100), duration: TimeSpan(seconds: 4))],
                                           arrival: .poisson, maxConnections: 7)))
        if case .open(let open) = loads[1] {
            #expect(open.start == Rate(perSecond: 300))
            #expect(open.duration == TimeSpan(seconds: 4))
        } else {
            Issue.record("scenario b should stay open-model")
        }
        #expect(scaled.scenarios.map(\.steps) == profile.scenarios.map(\.steps))
    }

    @Test func aClosedModelScenarioHasNoRateToScale() throws {
        let profile = try Self.profile("""
        { name: "a", load: { rate: "30/s", duration: "10s" }, steps: [{ path: "/a" }] },
        { name: "b", load: { model: "closed", connections: 2, duration: "10s" }, steps: [{ path: "/b" }] },
        """)
        #expect(profile.openRateShares == nil)
    }

    @Test(arguments: [
        ("errors: rate < 1%", "errors: rate < 1%"),
        ("a.latency:p(99) < 300ms", "a.latency: p(99) < 300ms"),
        ("  http.service_time :  avg<=50ms ", "http.service_time: avg <= 50ms"),
    ])
    func readsAThresholdWrittenOnOneLine(line: String, canonical: String) throws {
        let profile = try Self.profile(#"{ name: "a", load: { rate: "30/s", duration: "10s" }, steps: [{ path: "/a" }] }"#)
        #expect(try Threshold(line: line, scenarios: profile.scenarios).description == canonical)
    }

    @Test func aLineWithoutItsMetricIsRejected() throws {
        #expect(throws: ValueError.self) { try Threshold(line: "p(99) < 300ms", scenarios: []) }
        #expect(throws: ValueError.self) { try Threshold(line: "latncy: p(99) < 300ms", scenarios: []) }
    }
}
