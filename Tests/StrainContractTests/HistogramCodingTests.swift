import Foundation
import Testing
@testable import StrainContract

@Suite struct HistogramCodingTests {
    @Test("encoding round-trips exactly", arguments: Distribution.allCases)
    func roundTrip(_ distribution: Distribution) throws {
        let histogram = Histogram(recording: distribution.values)
        let data = try JSONEncoder().encode(histogram)
        #expect(try JSONDecoder().decode(Histogram.self, from: data) == histogram)
    }

    @Test("an empty histogram round-trips")
    func emptyRoundTrip() throws {
        let data = try JSONEncoder().encode(Histogram())
        #expect(try JSONDecoder().decode(Histogram.self, from: data) == Histogram())
    }

    @Test("the encoding lists only non-empty buckets as gap[:count] entries")
    func sparseLayout() throws {
        var histogram = Histogram()
        histogram.record(5, count: 2)
        histogram.record(7)
        histogram.record(3_000)  // above 2048: bucket 1024 + (3000 >> 1) = 2524, i.e. 2516 after bucket 7
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(histogram), as: UTF8.self)
        #expect(json == #"{"b":"5:2,1,2516","max":3000,"min":5,"n":4,"v":1}"#)
    }

    @Test("bucket lists format and parse back", arguments: [
        [], [BucketList.Entry(gap: 0, count: 1)], [.init(gap: 7, count: 3), .init(gap: 0, count: 1), .init(gap: 12, count: .max)],
    ] as [[BucketList.Entry]])
    func bucketListRoundTrip(entries: [BucketList.Entry]) throws {
        #expect(try BucketList.parse(BucketList.format(entries)) == entries)
    }

    @Test("decoding rejects inconsistent data with a message saying what and where", arguments: [
        (#"{"v":1,"n":1,"min":5,"max":5,"b":"99999"}"#, "entry 1 puts a bucket at index 99999, beyond the last (23220)"),
        (#"{"v":1,"n":1,"min":5,"max":5,"b":"18446744073709551615"}"#, "beyond the last"),
        (#"{"v":1,"n":1,"min":5,"max":5,"b":"18446744073709551616"}"#, "number at offset 0 does not fit in UInt64"),
        (#"{"v":1,"n":2,"min":5,"max":6,"b":"5,x"}"#, "expected a digit, found 'x' at offset 2"),
        (#"{"v":1,"n":2,"min":5,"max":6,"b":"5,"}"#, "expected a digit, found the end"),
        (#"{"v":1,"n":2,"min":5,"max":6,"b":"5;0"}"#, "expected ',' or ':' after an entry, found ';' at offset 1"),
        (#"{"v":1,"n":3,"min":5,"max":5,"b":"5"}"#, "n is 3 but the bucket counts add up to 1"),
        (#"{"v":1,"n":0,"min":5,"max":5,"b":"5:0"}"#, "entry 1 (bucket 5) has count 0"),
        (#"{"v":2,"n":0,"min":0,"max":0,"b":""}"#, "unsupported histogram encoding 2; this build reads 1"),
        (#"{"v":1,"n":1,"min":4,"max":5,"b":"5"}"#, "min 4 is not in the lowest non-empty bucket (index 5: 5...5 µs)"),
        (#"{"v":1,"n":1,"min":5,"max":6,"b":"5"}"#, "max 6 is not in the highest non-empty bucket (index 5: 5...5 µs)"),
        (#"{"v":1,"n":1,"min":5,"max":5,"b":[5,1]}"#, "Expected to decode String"),
        (#"{"v":1,"n":1,"min":5,"max":5}"#, "\"b\""),
    ])
    func rejectsBadEncoding(json: String, expectedMessage: String) {
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Histogram.self, from: Data(json.utf8))
        }
        #expect(error.map { String(describing: $0) }?.contains(expectedMessage) == true, "\(String(describing: error))")
    }
}
