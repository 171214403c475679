/// Compact sparse encoding, since many histograms go into artifacts and the per-second timeline:
///
///     {"v":1, "n":1500, "min":812, "max":30127, "b":"812:3,0:7,2,5,0:12"}
///
/// `b` lists only the non-empty buckets, in order, as `gap:count` entries: gap is the number of
/// empty buckets skipped since the previous listed one (for the first, its bucket index), and
/// `:count` is left out when the count is 1. Bucket `i` covers the values whose `index(for:)` is
/// `i` (see Histogram.swift). A string rather than a JSON array because Foundation's coders cost
/// about 250 ns per array element, which dominated writing and reading long timelines.
extension Histogram: Codable {
    /// Version of this encoding (`v`), checked when decoding.
    static let encodingVersion = 1
    /// 10 million values a second for 28 years, and still exact as a Double.
    static let maxDecodedCount: UInt64 = 1 << 53

    private enum CodingKeys: String, CodingKey {
        case version = "v"
        case count = "n"
        case min, max
        case buckets = "b"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.encodingVersion, forKey: .version)
        try container.encode(count, forKey: .count)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
        var entries: [BucketList.Entry] = []
        if !isEmpty {
            var previous = -1
            for index in occupiedRange where counts[index] > 0 {
                entries.append(BucketList.Entry(gap: UInt64(index - previous - 1), count: counts[index]))
                previous = index
            }
        }
        try container.encode(BucketList.format(entries), forKey: .buckets)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func corrupt(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
        }

        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.encodingVersion else {
            throw corrupt(.version, "unsupported histogram encoding \(version); this build reads \(Self.encodingVersion)")
        }
        let expectedCount = try container.decode(UInt64.self, forKey: .count)
        guard expectedCount <= Self.maxDecodedCount else {
            throw corrupt(.count, "n is \(expectedCount); a histogram holds at most 2^53 (\(Self.maxDecodedCount)) values")
        }
        let min = try container.decode(UInt64.self, forKey: .min)
        let max = try container.decode(UInt64.self, forKey: .max)
        let entries: [BucketList.Entry]
        do {
            entries = try BucketList.parse(try container.decode(String.self, forKey: .buckets))
        } catch let error as BucketList.SyntaxError {
            throw corrupt(.buckets, error.message)
        }

        self.init()
        var index = -1
        for (position, entry) in entries.enumerated() {
            guard entry.gap < UInt64(Self.bucketCount), index + 1 + Int(entry.gap) < Self.bucketCount else {
                throw corrupt(.buckets, "entry \(position + 1) puts a bucket at index \(UInt64(index + 1) &+ entry.gap), beyond the last (\(Self.bucketCount - 1))")
            }
            index += 1 + Int(entry.gap)
            guard entry.count > 0 else {
                throw corrupt(.buckets, "entry \(position + 1) (bucket \(index)) has count 0; only non-empty buckets are listed")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.count)
            guard !overflow else { throw corrupt(.buckets, "bucket counts overflow UInt64") }
            if index >= counts.count { grow(toInclude: index) }
            counts[index] = entry.count
            total = sum
        }

        guard total == expectedCount else {
            throw corrupt(.count, "n is \(expectedCount) but the bucket counts add up to \(total)")
        }
        guard let firstEntry = entries.first else { return }
        let firstIndex = Int(firstEntry.gap)
        guard Self.index(for: Swift.min(min, Self.highestTrackableValue)) == firstIndex else {
            throw corrupt(.min, "min \(min) is not in the lowest non-empty bucket (\(Self.describeBucket(firstIndex)))")
        }
        guard Self.index(for: Swift.min(max, Self.highestTrackableValue)) == index else {
            throw corrupt(.max, "max \(max) is not in the highest non-empty bucket (\(Self.describeBucket(index)))")
        }
        guard min <= max else { throw corrupt(.min, "min \(min) is greater than max \(max)") }
        lowest = min
        highest = max
    }

    private static func describeBucket(_ index: Int) -> String {
        "index \(index): \(lowestEquivalentValue(ofIndex: index))...\(highestEquivalentValue(ofIndex: index)) µs"
    }
}

/// The text of a histogram's `b` field: "gap[:count]" entries separated by commas.
enum BucketList {
    struct Entry: Equatable {
        var gap: UInt64
        var count: UInt64
    }

    struct SyntaxError: Error {
        var message: String
    }

    static func format(_ entries: [Entry]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(entries.count * 4)
        for entry in entries {
            if !text.isEmpty { text.append(UInt8(ascii: ",")) }
            appendDecimal(entry.gap, to: &text)
            if entry.count != 1 {
                text.append(UInt8(ascii: ":"))
                appendDecimal(entry.count, to: &text)
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func parse(_ text: String) throws(SyntaxError) -> [Entry] {
        let bytes = Array(text.utf8)
        var position = 0

        func describe(_ position: Int) -> String {
            position < bytes.count ? "'\(Character(Unicode.Scalar(bytes[position])))' at offset \(position)" : "the end"
        }
        func number() throws(SyntaxError) -> UInt64 {
            let start = position
            var value: UInt64 = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                let (tens, overflowed) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowedSum) = tens.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                guard !overflowed, !overflowedSum else { throw SyntaxError(message: "number at offset \(start) does not fit in UInt64") }
                value = sum
                position += 1
            }
            guard position > start else { throw SyntaxError(message: "expected a digit, found \(describe(position))") }
            return value
        }

        var entries: [Entry] = []
        while position < bytes.count {
            if !entries.isEmpty {
                guard bytes[position] == UInt8(ascii: ",") else {
                    throw SyntaxError(message: "expected ',' or ':' after an entry, found \(describe(position))")
                }
                position += 1
            }
            let gap = try number()
            var count: UInt64 = 1
            if position < bytes.count, bytes[position] == UInt8(ascii: ":") {
                position += 1
                count = try number()
            }
            entries.append(Entry(gap: gap, count: count))
        }
        return entries
    }

    private static func appendDecimal(_ value: UInt64, to text: inout [UInt8]) {
        guard value >= 10 else { return text.append(UInt8(ascii: "0") + UInt8(value)) }
        appendDecimal(value / 10, to: &text)
        text.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
