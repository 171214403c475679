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
        // Both cores saturated (pyshop's receipts with two busy loops beside the test): some heads are
        // read with their bodies (0 µs), the timer fires on two clock ticks (~42 and ~47 ms) and late
        // reads trail to 74 ms. The most common millisecond may fall on either tick.
        Case(name: "a saturated host: two clock ticks and a tail", downloads: saturatedReceipts,
             firstByteMedian: 0.0005, stalledSeconds: saturatedReceipts.filter { $0 >= 30_000 }.reduce(0) { $0 + Double($1) / 1e6 }),
        Case(name: "a timer on two clock ticks, the later one the most common",
             downloads: Array(repeating: 40_500, count: 6) + Array(repeating: 44_500, count: 4) + Array(repeating: 48_500, count: 7)
                + [53_000, 55_000] + [40],
             firstByteMedian: 0.0001, stalledSeconds: 6 * 0.0405 + 4 * 0.0445 + 7 * 0.0485 + 0.053 + 0.055),
        // A server that works between its head and its body: spread out, not a timer's.
        Case(name: "a slow server, not a delayed ACK", downloads: (0..<20).map { 30_000 + UInt64($0) * 9_000 }, firstByteMedian: 0.05,
             stalledSeconds: nil),
        Case(name: "long downloads of big bodies", downloads: Array(repeating: 900_000, count: 20), firstByteMedian: 0.0001,
             stalledSeconds: nil),
    ]

    /// Download times (µs × responses) of 135 receipts measured with both cores saturated.
    static let saturatedReceipts: [UInt64] = "0x64 61x1 62x1 90x1 2525x1 28840x1 32848x1 40016x1 40400x1 40720x2 40816x1 41424x1 41552x1 41776x1 41840x1 42000x2 42128x1 42256x1 42320x1 42480x1 42544x2 42576x1 42704x1 42736x2 42800x1 42960x1 42992x1 43184x1 43216x1 43248x1 43312x1 43344x1 43376x1 43472x1 43632x1 44080x1 44240x1 44368x1 44656x1 45968x1 46416x1 46448x1 46480x1 46608x1 46640x1 46992x1 47056x2 47248x1 47280x1 47344x1 47600x1 47728x1 48016x1 48144x1 48272x2 48304x1 48528x2 51568x1 51728x1 55184x1 55408x1 55792x1 59312x1 69728x1 74208x1"
        .split(separator: " ").flatMap { bucket -> [UInt64] in
            let parts = bucket.split(separator: "x").map { UInt64($0)! }
            return Array(repeating: parts[0], count: Int(parts[1]))
        }

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
        #expect(finding.title.hasPrefix("Small-write stalls: responses wait ~4"), "\(finding.title)")
        #expect(finding.title.hasSuffix(" ms for a delayed ACK (Nagle)"))
        #expect(finding.evidence.first?.contains(" took 30 ms–250 ms from their first byte to their last, median 4") == true,
                "\(finding.evidence)")
        #expect(finding.evidence.contains { $0.hasSuffix(" ms: a timer's signature") }, "\(finding.evidence)")
        // Histogram buckets are 32 µs wide here: the impact is within 0.1%.
        #expect(abs(finding.impact.totalSeconds - seconds) < seconds * 0.001)
        #expect(finding.fix.contains("TCP_NODELAY"))
    }

    @Test func theFindingSaysHowManyStalledAndWhere() throws {
        let downloads: [UInt64] = Array(repeating: 41_000, count: 15) + [44_000, 52_000, 70_000] + [40, 40]
        let endpoint = LoadContext.Endpoint(scenario: "shop", step: "orders", kind: .http, requests: 20, totalSeconds: 1,
                                            download: Histogram(recording: downloads), firstByteMedianSeconds: 0.0001)
        let findings = DependenciesCheck.run(CheckInput(evidence: EvidenceBuilder.evidence(), load: LoadContext(endpoints: [endpoint]),
                                                        options: CheckOptions())).findings
        let finding = try #require(findings.first { $0.check == .smallWriteStall })
        #expect(finding.title == "Small-write stalls: responses wait ~41 ms for a delayed ACK (Nagle)")
        #expect(finding.evidence.prefix(2) == [
            "18 of 20 responses (90%) took 30 ms–250 ms from their first byte to their last, median 41 ms (Linux delays an ACK by 40 ms)",
            "94.4% of them within 41–56 ms: a timer's signature",
        ])
    }
}
