import Foundation
import Testing
import StrainContract

/// Every file of a run folder goes through `JSONFormat`; its dates must survive a round trip to the
/// millisecond (the former run.json and diagnosis codecs wrote about half of them back 1 ms early).
struct JSONDateTests {
    /// 20,000 millisecond timestamps from 2001 on, over about 60 years, every remainder mod 1000 hit.
    static let millis: [Int64] = (0..<20_000).map { 1_000_000_000_000 + Int64($0) * 98_765_431 }

    struct Stamped: Codable, Equatable {
        var at: Date
    }

    @Test func everyMillisecondTimestampRoundTrips() throws {
        let encoder = JSONFormat.encoder(pretty: false)
        let decoder = JSONFormat.decoder()
        var shifted: [Int64] = []
        for millis in Self.millis {
            let stamped = Stamped(at: Date(timeIntervalSince1970: Double(millis) / 1000))
            let data = try encoder.encode(stamped)
            let decoded = try decoder.decode(Stamped.self, from: data)
            let text = String(decoding: data, as: UTF8.self)
            let again = try encoder.encode(decoded)
            if decoded != stamped || !text.hasSuffix(String(format: ".%03dZ\"}", Int(millis % 1000))) || again != data {
                shifted.append(millis)
            }
        }
        #expect(shifted.isEmpty, "\(shifted.count) of \(Self.millis.count) timestamps changed, first \(shifted.prefix(3))")
    }

    @Test func runArtifactAndDiagnosisFilesKeepEveryMillisecond() throws {
        var artifact = RunArtifactTests.sampleArtifact()
        var notes: [Int64] = []
        // Every 7th: an artifact with histograms is slow to encode, the 29 taken still cover the calendar.
        for (index, millis) in Self.millis.enumerated() where index % 7 == 0 {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let evidence = Evidence(startedAt: date, endedAt: date)
            if try DiagnosisJSON.decode(Evidence.self, from: DiagnosisJSON.encode(evidence)) != evidence { notes.append(millis) }
            guard index % 700 == 0 else { continue }
            // A run cannot end before it starts (the reader refuses such a file).
            artifact.startedAt = date
            artifact.endedAt = date.addingTimeInterval(0.5)
            let decoded = try RunArtifact.decode(artifact.encoded(), path: "memory")
            if decoded.startedAt != date || decoded.endedAt != artifact.endedAt { notes.append(millis) }
        }
        #expect(notes.isEmpty, "shifted: \(notes.prefix(3))")
    }

    @Test(arguments: [
        ("2024-05-01T12:00:03Z", "2024-05-01T12:00:03.000Z"),
        ("2024-05-01T12:00:03.5Z", "2024-05-01T12:00:03.500Z"),
        ("2024-05-01T12:00:03.123Z", "2024-05-01T12:00:03.123Z"),
        ("2024-05-01T12:00:03.999600Z", "2024-05-01T12:00:04.000Z"),
        ("2024-05-01T14:00:03.123+02:00", "2024-05-01T12:00:03.123Z"),
    ])
    func handWrittenDatesAreRead(text: String, written: String) throws {
        let date = try #require(JSONFormat.date(from: text))
        #expect(JSONFormat.text(of: date) == written)
    }

    @Test(arguments: ["yesterday", "2024-05-01", "2024-05-01T12:00:03.Z", ""])
    func whatIsNotADateIsRejected(text: String) {
        #expect(JSONFormat.date(from: text) == nil)
    }
}
