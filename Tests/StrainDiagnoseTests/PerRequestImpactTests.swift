import Foundation
import Testing
@testable import StrainDiagnose

/// Per-request figures divide by the requests of the endpoints a finding concerns: an HTTP request
/// and a SQL statement sent by the driver are not units of one average.
struct PerRequestImpactTests {
    typealias B = EvidenceBuilder

    /// 1000 HTTP requests of 200 ms and 4000 SQL statements of 1 ms.
    static let mixed = LoadContext(endpoints: [
        .init(scenario: "shop", step: "orders", kind: .http, requests: 1000, totalSeconds: 200),
        .init(scenario: "reporting", step: "revenue", kind: .postgres, requests: 4000, totalSeconds: 4),
    ])

    static func input(_ load: LoadContext, dependencies: [DependencyEvidence] = []) -> CheckInput {
        CheckInput(evidence: B.evidence(postgres: nil, dependencies: dependencies), load: load, options: CheckOptions())
    }

    @Test(arguments: [
        // Named endpoints: their requests only.
        (["shop/orders"] as [String]?, 0.01 as Double?), (["reporting/revenue"], 0.0025), (["shop/orders", "reporting/revenue"], 0.002),
        // Unnamed in a mixed load: not stated rather than averaged over HTTP and SQL together.
        (nil, nil),
    ])
    func dividesByTheEndpointsConcerned(endpoints: [String]?, perRequest: Double?) {
        let impact = Self.input(Self.mixed).impact(seconds: 10, endpoints: endpoints)
        #expect(impact.perRequestSeconds.map { abs($0 - perRequest!) < 1e-12 } ?? (perRequest == nil))
        // The share stays over all measured request time: it ranks findings against each other.
        #expect(abs(impact.share! - 10 / 204) < 1e-12)
    }

    @Test func aLoadOfOneKindIsAveragedOverAllItsRequests() {
        let impact = Self.input(B.load(requests: 500, seconds: 50)).impact(seconds: 10)
        #expect(impact.perRequestSeconds == 0.02)
    }

    /// A slow dependency charged to the HTTP endpoint: per request of that endpoint, not of every
    /// request the run made (the SQL statements never call it).
    @Test func aSlowDependencyIsPerRequestOfTheEndpointsItSlows() throws {
        let payments = DependenciesCheckTests.dependency("payments", totals: [0.15, 0.15, 0.15])
        let found = DependenciesCheck.run(Self.input(Self.mixed, dependencies: [payments])).findings
        let slow = try #require(found.first { $0.check == .slowDependency })
        #expect(abs(slow.impact.totalSeconds - 150) < 1e-6)
        #expect(abs(slow.impact.perRequestSeconds! - 0.15) < 1e-9)
    }
}
