import Foundation
import StrainContract
import StrainProfile
import Synchronization

/// Everything `${…}` references read that is fixed for the run, loaded once before any worker starts
/// and shared read-only by all of them: the environment variables the profile names, the CSV feeders'
/// rows, and the run-wide counters behind sequential/unique feeders and `${sequence()}`. A shard takes
/// every N-th row and sequence value (`Shard.position(ofItem:)`), so no two shards take the same one.
public final class RunInputs: Sendable {
    let environment: [String: String]
    let feeders: [LoadedFeeder]
    private let feederIndex: [String: Int]
    /// One counter per distinct `sequence(start)`: every use of `${sequence(1000)}` in the run shares it.
    private let sequences: [Int: SharedCounter]
    private let shard: Shard

    /// Reads every feeder's rows as a run would, so that `strain validate` finds a short record (or a
    /// file with no data rows) before a run does; the environment is not checked (it may be set only
    /// where the profile runs).
    public static func checkFeeders(of profile: Profile) throws(LoadError) {
        for feeder in profile.feeders { _ = try LoadedFeeder(feeder) }
    }

    /// The values of the environment variables `profile` refers to: checked before a run announces
    /// itself, since a run that cannot start has no results folder to name.
    /// - Throws: `LoadError` naming the first variable that is not set.
    public static func environmentValues(of profile: Profile, in environment: [String: String]) throws(LoadError) -> [String: String] {
        var values: [String: String] = [:]
        for case .environment(let name) in profile.allReferences {
            guard let value = environment[name] else {
                throw LoadError(.badInput, "${env.\(name)} is used, but \(name) is not set in the environment")
            }
            values[name] = value
        }
        return values
    }

    /// Reads the feeders' files and the environment variables `profile` refers to.
    /// - Throws: `LoadError` naming a variable that is not set or a CSV file that cannot be read.
    public init(profile: Profile, environment: [String: String], shard: Shard = .whole) throws(LoadError) {
        self.shard = shard
        self.environment = try Self.environmentValues(of: profile, in: environment)
        var sequenceStarts: Set<Int> = []
        for case .generator(.sequence(let start)) in profile.allReferences {
            sequenceStarts.insert(start)
        }
        var feeders: [LoadedFeeder] = []
        for feeder in profile.feeders {
            feeders.append(try LoadedFeeder(feeder, shard: shard))
        }
        self.feeders = feeders
        feederIndex = Dictionary(uniqueKeysWithValues: feeders.enumerated().map { ($1.name, $0) })
        sequences = Dictionary(uniqueKeysWithValues: sequenceStarts.map { ($0, SharedCounter()) })
    }

    /// The values of the environment variables the profile uses, to keep out of error examples. Values
    /// under 4 characters are left: hiding every "1" or "on" would garble messages and protect nothing.
    var secrets: [String] {
        environment.values.filter { $0.count >= 4 }
    }

    /// The position of the feeder called `name` in `feeders`.
    func feeder(named name: String) -> Int? {
        feederIndex[name]
    }

    func nextSequenceValue(start: Int) -> Int {
        // Every sequence start in the profile got a counter in init.
        start + shard.position(ofItem: sequences[start]!.next())
    }
}

/// A feeder's CSV rows in memory, with the run-wide cursor of the sequential and unique modes.
struct LoadedFeeder: Sendable {
    let name: String
    let mode: FeederMode
    let columnIndex: [String: Int]
    /// Every row's values, row after row, as many per row as the header has columns: one array,
    /// not one per row (which took some 25 times the file's size in memory).
    private let values: [String]
    /// The header's columns (names may repeat: `columnIndex` keeps the first).
    private let columns: Int
    let rowCount: Int
    private let cursor = SharedCounter()
    private let shard: Shard

    init(_ feeder: Feeder, shard: Shard = .whole) throws(LoadError) {
        self.shard = shard
        let text: String
        do {
            text = try String(contentsOf: feeder.file, encoding: .utf8)
        } catch {
            throw LoadError(.badInput, "feeder \"\(feeder.name)\": cannot read \(feeder.file.path): \(error.localizedDescription)")
        }
        var header: [String]?
        var values: [String] = []
        var rowCount = 0
        // A short row would leave a column without a value, a long one drop a value: say where,
        // rather than failing mid-run or sending what the file did not say.
        var unevenRecord: (number: Int, fields: Int)?
        do {
            try CSV.forEachRecord(in: text) { record in
                guard let columns = header?.count else {
                    header = record
                    return true
                }
                // Empty fields past the header's last column are a trailing comma, as spreadsheets export.
                guard record.count >= columns, record[columns...].allSatisfy(\.isEmpty) else {
                    unevenRecord = (rowCount + 2, record.count)
                    return false
                }
                values.append(contentsOf: record.prefix(columns))
                rowCount += 1
                return true
            }
        } catch {
            throw LoadError(.badInput, "feeder \"\(feeder.name)\": \(feeder.file.path): \(error.message)")
        }
        guard let header else {
            throw LoadError(.badInput, "feeder \"\(feeder.name)\": \(feeder.file.path) is empty; expected a header row, then data rows")
        }
        if let unevenRecord {
            throw LoadError(.badInput, "feeder \"\(feeder.name)\": \(feeder.file.path) record \(unevenRecord.number) has \(unevenRecord.fields) fields; the header has \(header.count)")
        }
        guard rowCount > 0 else {
            throw LoadError(.badInput, "feeder \"\(feeder.name)\": \(feeder.file.path) has a header row but no data rows")
        }
        name = feeder.name
        mode = feeder.mode
        columnIndex = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.values = values
        columns = header.count
        self.rowCount = rowCount
    }

    /// Row `row`'s value in column `column` (both in range).
    func value(row: Int, column: Int) -> String {
        values[row * columns + column]
    }

    /// The row for a new iteration, or nil when a unique feeder has run out.
    func pickRow(using random: inout SplitMix64) -> Int? {
        switch mode {
        case .sequential:
            return shard.position(ofItem: cursor.next()) % rowCount
        case .random:
            return Int.random(in: 0..<rowCount, using: &random)
        case .unique:
            let row = shard.position(ofItem: cursor.next())
            return row < rowCount ? row : nil
        }
    }
}

/// A run-wide counter from 0 that any worker may advance.
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// The current value; the next call gets one more.
    func next() -> Int {
        value.add(1, ordering: .relaxed).oldValue
    }
}

extension SplitMix64: RandomNumberGenerator {}

extension Profile {
    /// Every `${…}` in the profile's steps, in order (duplicates included).
    var allReferences: [Reference] {
        scenarios.flatMap { scenario in
            (scenario.postgres?.conninfo.references ?? []) + scenario.steps.flatMap(\.references)
        } + defaults.headers.flatMap(\.value.references)
    }
}

extension Step {
    /// The references of everything the step renders: request, parameters and checks.
    var references: [Reference] {
        var references: [Reference] = []
        switch action {
        case .http(let request):
            references += request.url.references
            references += request.headers.flatMap(\.value.references)
            switch request.body {
            case .text(let template)?: references += template.references
            case .json(let json)?: references += json.references
            case .file?, nil: break
            }
        case .sql(let query):
            references += query.parameters.flatMap(\.references)
        }
        references += check.bodyContains?.references ?? []
        references += check.json.flatMap(\.expected.references)
        references += check.values.flatMap(\.expected.references)
        return references
    }
}

extension JSONTemplate {
    var references: [Reference] {
        switch self {
        case .null, .bool, .number: []
        case .string(let template): template.references
        case .array(let elements): elements.flatMap(\.references)
        case .object(let members): members.flatMap(\.value.references)
        }
    }
}
