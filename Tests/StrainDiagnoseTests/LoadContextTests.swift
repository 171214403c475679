import Foundation
import StrainMetrics
import Testing
@testable import StrainDiagnose

struct LoadContextTests {
    @Test func runArtifactStepsBecomeEndpointsWithTheirTotals() throws {
        var step = StepResult(name: "orders", requests: 4)
        // Values below 2048 µs, which the histogram records exactly.
        step.service = Histogram(recording: [100, 200, 300, 400])
        step.phases = ["dns": Histogram(recording: [100, 100, 100, 100]), "connect": Histogram(recording: [200, 200, 200, 200]),
                       "download": Histogram(recording: [50, 50, 50, 50]), "ttfb": Histogram(recording: [10, 20, 30, 40]),
                       "poolWait": Histogram(recording: [500, 500, 500, 500])]
        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil,
            host: HostInfo(hostname: "h", cores: 2, memoryBytes: 0, os: "Linux", arch: "x86_64"), gitSHA: nil,
            startedAt: Date(), endedAt: Date(), status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: 4, steps: [step])])

        let load = LoadContext(artifact: artifact)
        let endpoint = try #require(load.endpoints.first)
        #expect(endpoint.name == "shop/orders")
        #expect(endpoint.requests == 4)
        #expect(abs(endpoint.totalSeconds - 0.001) < 1e-9)
        // DNS, connect and the download (first byte to last) are time on the network.
        #expect(abs(try #require(endpoint.networkSeconds) - 0.0014) < 1e-9)
        #expect(endpoint.download?.count == 4)
        #expect(endpoint.firstByteMedianSeconds == 0.00002)
        #expect(abs(try #require(endpoint.poolWaitSeconds) - 0.002) < 1e-9)
        #expect(load.requests == 4)
    }

    @Test func aLoadWithoutRequestsCountsAsNoLoad() {
        let empty = LoadContext(endpoints: [.init(scenario: "s", step: "t", kind: .http, requests: 0, totalSeconds: 0)])
        let diagnosis = Diagnoser.diagnose(EvidenceBuilder.evidence(), load: empty)
        #expect(diagnosis.requests == nil)
    }

    @Test func withALoadTheDiagnosisCarriesTheRequestCount() {
        let diagnosis = Diagnoser.diagnose(EvidenceBuilder.evidence(), load: EvidenceBuilder.load(requests: 250, seconds: 5))
        #expect(diagnosis.requests == 250)
        #expect(diagnosis.findings.map(\.check) == ["profile-the-code"])
    }
}
