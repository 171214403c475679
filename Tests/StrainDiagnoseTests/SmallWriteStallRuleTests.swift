import Foundation
import StrainContract
import Testing
@testable import StrainDiagnose

/// Responses whose download (first byte to last) waits for a delayed ACK, told from slow
/// servers, big bodies and a few stray stalls.
struct SmallWriteStallRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Download times in µs, one per response.
        var downloads: [UInt64]
        var firstByteMedian: Double
        /// The finding's impact in seconds, nil when there must be none.
        var stalledSeconds: Double?
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "most responses wait 41 ms after a fast first byte", downloads: Array(repeating: 41_000, count: 18) + [40, 40],
             firstByteMedian: 0.0001, stalledSeconds: 18 * 0.041),
        Case(name: "fast downloads", downloads: Array(repeating: 40, count: 20), firstByteMedian: 0.0001, stalledSeconds: nil),
        Case(name: "a few stray stalls", downloads: Array(repeating: 41_000, count: 5) + Array(repeating: 40, count: 95),
             firstByteMedian: 0.0001, stalledSeconds: nil),
        // A server that works 20 ms, writes its head, then its body: the body waits for the ACK all the same
        // (scripts/lib/delay_server.py on a kept-alive connection).
        Case(name: "a server that computes first, then stalls", downloads: Array(repeating: 41_000, count: 18) + [40, 40],
             firstByteMedian: 0.02, stalledSeconds: 18 * 0.041),
        // On a busy host the client reads some bodies late (pyshop's receipts with a core hogged):
        // the stalls trail the timer by up to ~10 ms, never precede it.
        Case(name: "a busy client reads some stalled bodies late",
             downloads: Array(repeating: 41_000, count: 8) + Array(repeating: 44_000, count: 4) + Array(repeating: 48_000, count: 3)
                + [51_000, 51_000, 37_000] + [40, 40],
             firstByteMedian: 0.0001, stalledSeconds: 8 * 0.041 + 4 * 0.044 + 3 * 0.048 + 2 * 0.051 + 0.037),
        // A server that works between its head and its body: spread out, not a timer's.
        Case(name: "a slow server, not a delayed ACK", downloads: (0..<20).map { 30_000 + UInt64($0) * 9_000 }, firstByteMedian: 0.05,
             stalledSeconds: nil),
        Case(name: "long downloads of big bodies", downloads: Array(repeating: 900_000, count: 20), firstByteMedian: 0.0001,
             stalledSeconds: nil),
    ]

    @Test(arguments: cases)
    func delayedACKStallsAreNamedInStepFour(_ example: Case) throws {
        let endpoint = LoadContext.Endpoint(scenario: "shop", step: "orders", kind: .http, requests: UInt64(example.downloads.count),
                                            totalSeconds: 1, download: Histogram(recording: example.downloads),
                                            firstByteMedianSeconds: example.firstByteMedian)
        let findings = DependenciesCheck.run(CheckInput(evidence: EvidenceBuilder.evidence(), load: LoadContext(endpoints: [endpoint]),
                                                        options: CheckOptions())).findings
        let stalls = findings.filter { $0.check == .smallWriteStall }
        guard let seconds = example.stalledSeconds else {
            #expect(stalls.isEmpty)
            return
        }
        let finding = try #require(stalls.first)
        #expect(stalls.count == 1)
        #expect(finding.step == .dependencies)
        #expect(finding.object == "shop/orders")
        #expect(finding.title == "Small-write stalls: responses wait ~41 ms for a delayed ACK (Nagle)")
        #expect(finding.evidence.first == "18 of 20 responses (90%) took 30 ms–250 ms from their first byte to their last, "
                + "most often 41 ms (Linux delays an ACK by 40 ms)")
        // Histogram buckets are 32 µs wide here: the impact is within 0.1%.
        #expect(abs(finding.impact.totalSeconds - seconds) < seconds * 0.001)
        #expect(finding.fix.contains("TCP_NODELAY"))
    }
}
