import Foundation

/// One of `count` processes that together drive a profile's load (`strain run --shard I/N`), numbered
/// from 0 like Kubernetes completion indexes. Every split a shard makes is exact: the parts of all
/// shards add up to the whole, whatever each shard's worker count.
public struct Shard: Codable, Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// The whole run: one shard of one.
    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index) outside 0..<\(count)")
        self.index = index
        self.count = count
    }

    /// "1/3".
    public var description: String { "\(index)/\(count)" }

    private enum CodingKeys: String, CodingKey { case index, count }

    /// As `--shard` takes it: a run.json edited by hand must not make `merge` trap or allocate a list of
    /// 2^62 missing shards.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let count = try container.decode(Int.self, forKey: .count)
        guard (1...Self.maximumCount).contains(count) else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: container,
                                                   debugDescription: "expected a number of shards from 1 to \(Self.maximumCount), found \(count)")
        }
        let index = try container.decode(Int.self, forKey: .index)
        guard (0..<count).contains(index) else {
            throw DecodingError.dataCorruptedError(forKey: .index, in: container,
                                                   debugDescription: "expected a shard index from 0 to \(count - 1) for \(count) shards, found \(index)")
        }
        self.init(index: index, count: count)
    }

    /// This shard's part of `total` (connections, iterations): `total / count`, and one more for the
    /// first `total % count` shards.
    public func part(of total: Int) -> Int {
        total / count + (index < total % count ? 1 : 0)
    }

    /// Where worker `worker` of this shard's `workers` stands among all the run's takers of one arrival
    /// sequence: the Pacer's slot and share. Shard I's workers together take the arrivals ≡ I (mod
    /// count), whatever each shard's worker count, so the shards' arrivals add up to the whole exactly.
    public func arrivalSlot(worker: Int, workers: Int) -> (slot: Int, share: Int) {
        (index + count * worker, count * workers)
    }

    /// The position in a sequence shared by all shards (feeder rows, `${sequence()}`) of this shard's
    /// `taken`-th item: shard I takes items I, I + N, I + 2N, …, so no two shards take the same one.
    public func position(ofItem taken: Int) -> Int {
        index + count * taken
    }
}

/// A `--shard`, `--shards`, `JOB_COMPLETION_INDEX` or `--start-at` value that cannot be used.
public struct ShardOptionError: Error, CustomStringConvertible, Equatable {
    public let description: String

    /// One line: the value it quotes may hold line feeds.
    init(description: String) {
        self.description = TerminalText.oneLine(description)
    }
}

extension Shard {
    /// Caps N so that per-shard arithmetic (N × workers, N × rows) cannot overflow.
    public static let maximumCount = 100_000

    /// The shard a process runs, from `--shard I/N`, or else from `JOB_COMPLETION_INDEX` (a Kubernetes
    /// Indexed Job sets it) with `--shards N` or `STRAIN_SHARDS`; nil when none of them is given.
    public static func select(shard: String?, shards: String?, environment: [String: String]) throws(ShardOptionError) -> Shard? {
        if let shard {
            guard shards == nil else { throw ShardOptionError(description: "give --shard I/N or --shards N, not both") }
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let count = Int(parts[1]), (1...maximumCount).contains(count) else {
                throw ShardOptionError(description: "--shard: expected I/N with N from 1 to \(maximumCount), like 0/3, found \"\(shard)\"")
            }
            guard let index = Int(parts[0]), (0..<count).contains(index) else {
                throw ShardOptionError(description: "--shard: the index must be 0 to \(count - 1) for \(count) shards, found \"\(shard)\"")
            }
            return Shard(index: index, count: count)
        }
        let countSource = shards.map { ("--shards", $0) } ?? environment["STRAIN_SHARDS"].map { ("STRAIN_SHARDS", $0) }
        let indexText = environment["JOB_COMPLETION_INDEX"]
        switch (countSource, indexText) {
        case (nil, nil):
            return nil
        case (let (name, text)?, nil):
            throw ShardOptionError(description: "\(name)=\(text) needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) or --shard I/N")
        case (nil, let index?):
            throw ShardOptionError(description: "JOB_COMPLETION_INDEX=\(index) is set: give the number of shards with --shards N or STRAIN_SHARDS")
        case (let (name, text)?, let index?):
            guard let count = Int(text), (1...maximumCount).contains(count) else {
                throw ShardOptionError(description: "\(name): expected a number of shards from 1 to \(maximumCount), found \"\(text)\"")
            }
            guard let number = Int(index), (0..<count).contains(number) else {
                throw ShardOptionError(description: "JOB_COMPLETION_INDEX: expected 0 to \(count - 1) for \(count) shards, found \"\(index)\"")
            }
            return Shard(index: number, count: count)
        }
    }
}

extension Shard {
    /// The shards' agreed start, `--start-at` in RFC 3339 (`2025-01-31T12:00:00Z`, fractions and offsets
    /// allowed). A time more than a second past would start the shards apart, and one more than a day
    /// ahead is surely a mistake: both are refused.
    public static func startAt(_ text: String, now: Date) throws(ShardOptionError) -> Date {
        let formatter = ISO8601DateFormatter()
        // Foundation's parser takes text after the time ("…Zjunk") as if it were not there.
        let rfc3339 = /[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})/
        let wellFormed = text.wholeMatch(of: rfc3339) != nil
        var date = wellFormed ? formatter.date(from: text) : nil
        if date == nil, wellFormed {
            formatter.formatOptions.insert(.withFractionalSeconds)
            date = formatter.date(from: text)
        }
        guard let date else {
            throw ShardOptionError(description: "--start-at: expected an RFC 3339 time like 2025-01-31T12:00:00Z, found \"\(text)\"")
        }
        let ahead = date.timeIntervalSince(now)
        if ahead < -1 {
            throw ShardOptionError(description: "--start-at \(text) is \(Int((-ahead).rounded())) s in the past: the shards would not start together")
        }
        if ahead > 24 * 3600 {
            throw ShardOptionError(description: "--start-at \(text) is more than 24 h ahead")
        }
        return date
    }
}
