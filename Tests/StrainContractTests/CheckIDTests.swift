import Foundation
import Testing
import StrainContract

/// The check ids are written in every `diagnosis.json` and read by CI: typed in code, the same
/// strings on disk as before they were typed.
struct CheckIDTests {
    /// Every id as it was written when checks were strings: a renamed case must keep its raw value.
    static let written = [
        "cpu-saturation", "memory-pressure", "disk-saturation", "tcp-retransmits", "listen-overflows", "interface-errors",
        "n-plus-one", "repeated-lookup", "missing-index", "seq-scan", "disk-spill", "row-misestimate",
        "lock-bound-statement", "top-statement", "connections-near-limit", "idle-in-transaction", "deadlocks",
        "lock-contention", "pgbouncer-wait", "pool-wait", "dependency-errors", "slow-dependency", "small-write-stall",
        "hot-frames", "waiting-inside-service", "profile-the-code",
    ]

    static func diagnosis(_ check: CheckID) -> Diagnosis {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let finding = Finding(step: .slowQueries, check: check, title: "Sequential scan on orders", object: "orders(email)",
                              evidence: [], impact: Finding.Impact(totalSeconds: 1), severity: .warning, fix: "")
        return Diagnosis(startedAt: start, endedAt: start.addingTimeInterval(10), requests: nil, findings: [finding], notes: [])
    }

    @Test func theIdsAreTheStringsWrittenBefore() {
        #expect(CheckID.allCases.map(\.rawValue) == Self.written)
        #expect(Set(Self.written).count == Self.written.count)
    }

    @Test func aFindingIsWrittenWithItsIdAndReadBack() throws {
        let data = try DiagnosisJSON.encode(Self.diagnosis(.seqScan))
        #expect(String(decoding: data, as: UTF8.self).contains(#""check" : "seq-scan""#))
        #expect(try DiagnosisJSON.decode(Diagnosis.self, from: data) == Self.diagnosis(.seqScan))
        // Shown as written wherever a report interpolates it.
        #expect("check \(CheckID.nPlusOne)" == "check n-plus-one")
    }

    /// A diagnosis from another Strain (or edited by hand) naming a check this build does not know
    /// is refused with the file, the key, the id and the ids known; a hostile id is escaped and cut short.
    @Test(arguments: [("seq-scan-v2", #"unknown check "seq-scan-v2""#),
                      ("\u{1B}[31m" + String(repeating: "x", count: 100), #"unknown check "\u{1B}[31mxxx"#)])
    func anUnknownIdIsAClearError(id: String, shown: String) throws {
        let json = String(decoding: try DiagnosisJSON.encode(Self.diagnosis(.seqScan)), as: UTF8.self)
        let foreign = json.replacingOccurrences(of: #""seq-scan""#, with: String(decoding: try JSONEncoder().encode(id), as: UTF8.self))
        let error = try #require(throws: DiagnosisFileError.self) {
            try DiagnosisJSON.decode(Diagnosis.self, from: Data(foreign.utf8), path: "run/diagnosis.json")
        }
        #expect(error.description.hasPrefix("run/diagnosis.json: invalid value at 'findings[0].check': \(shown)"), "\(error)")
        #expect(error.description.contains("this build knows cpu-saturation, memory-pressure,"))
        #expect(!error.description.contains("\u{1B}"))
        #expect(!error.description.contains(String(repeating: "x", count: 81)))
    }
}
