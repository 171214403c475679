import Foundation
import Testing
@testable import StrainDiagnose

/// The sessions-per-statement tally the occupancy sampler keeps: each sample counts for the average
/// time between samples, statements are told by query id or normalised text, and it is bounded.
struct StatementOccupancyTests {
    static let start = Date(timeIntervalSince1970: 1_000)

    @Test func eachSampleCountsForTheAverageTimeBetweenSamples() throws {
        var tally = StatementOccupancyTally()
        // 11 samples over 1 s (0.1 s apart on average, however uneven): two sessions on statement 7
        // in 4 of them, one session with literal text (no query id) in 2, with different literals.
        let gaps = [0.0, 0.02, 0.2, 0.1, 0.03, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1]
        var time = Self.start
        for (index, gap) in gaps.enumerated() {
            time = time.addingTimeInterval(gap)
            var sessions: [(queryID: Int64?, query: String, idleSeconds: Double?)] = []
            if index < 4 { sessions += [(7, "SELECT 1", nil), (7, "SELECT 2", nil)] }
            if index == 5 { sessions.append((nil, "SELECT name FROM products WHERE id = 12", nil)) }
            if index == 9 { sessions.append((nil, "SELECT name FROM products WHERE id = 913", nil)) }
            tally.add(sessions, at: time)
        }
        let occupancy = tally.occupancy
        #expect(occupancy.count == 2)
        let byID = try #require(occupancy.first)
        #expect(byID.queryID == 7 && byID.samples == 8 && abs(byID.seconds - 0.8) < 1e-6)
        let byText = try #require(occupancy.last)
        #expect(byText.queryID == nil && byText.fingerprint == "select name from products where id = ?")
        #expect(byText.samples == 2 && abs(byText.seconds - 0.2) < 1e-6)
    }

    /// A SELECT seen with its literals keeps up to two distinct texts, enough to tell one parameter
    /// set from several; texts with placeholders and other statements keep none. A lookup of a few
    /// microseconds the 1 s samples never catch is then known as one asked again and again.
    @Test func literalTextsTellALookupOfTheSameThingFromOneOfManyThings() throws {
        var tally = StatementOccupancyTally()
        let same = "SELECT value FROM settings WHERE name = 'currency'"
        let sessions: [[(queryID: Int64?, query: String, idleSeconds: Double?)]] = [
            [(3, same, nil), (4, "SELECT title FROM books WHERE id = 1", nil), (5, "UPDATE counters SET n = n + 1", nil), (6, "SELECT a FROM t WHERE b = $1", nil)],
            [(3, same, nil), (4, "SELECT title FROM books WHERE id = 2", nil)],
            [(3, same, nil), (4, "SELECT title FROM books WHERE id = 3", nil), (6, "SELECT a FROM t WHERE b = $1", nil)],
        ]
        for (index, sample) in sessions.enumerated() { tally.add(sample, at: Self.start.addingTimeInterval(Double(index) / 50)) }
        let byID = Dictionary(uniqueKeysWithValues: tally.occupancy.map { ($0.queryID!, $0) })
        #expect(byID[3]?.literalSamples == 3 && byID[3]?.literalTexts == [same])
        #expect(byID[4]?.literalSamples == 3 && byID[4]?.literalTexts?.count == StatementOccupancyTally.literalTextsKept)
        #expect(byID[5]?.literalSamples == 0 && byID[6]?.literalSamples == 0)

        func statement(_ id: Int64, _ query: String) -> StatementActivity {
            StatementActivity(queryID: id, userID: 10, toplevel: true, query: query, calls: 2000, seconds: 0.01, rows: 2000,
                              sharedBlocksRead: 0, tempBlocksWritten: 0)
        }
        let occupancy = tally.occupancy
        let lookup = try #require(ParameterSamples.of(statement(3, "SELECT value FROM settings WHERE name = $1"), in: [], occupancy: occupancy))
        #expect(lookup.samples == 3 && lookup.distinct == 1 && lookup.example == same)
        #expect(ParameterSamples.of(statement(4, "SELECT title FROM books WHERE id = $1"), in: [], occupancy: occupancy)?.distinct == 2)
        #expect(ParameterSamples.of(statement(6, "SELECT a FROM t WHERE b = $1"), in: [], occupancy: occupancy) == nil)
    }

    /// A session idle outside a transaction counts apart, under each idle time it is within; it is
    /// not time on the statement by itself (a pooled connection between requests looks the same).
    @Test func idleSessionsAreKeptApartByHowLongTheyHaveBeenIdle() throws {
        var tally = StatementOccupancyTally()
        for index in 0..<11 {
            var sessions: [(queryID: Int64?, query: String, idleSeconds: Double?)] = [(7, "SELECT 1", nil)]
            if index < 5 { sessions.append((7, "SELECT 1", 0.0003)) }
            if index == 5 { sessions.append((7, "SELECT 1", 0.003)) }
            tally.add(sessions, at: Self.start.addingTimeInterval(Double(index) * 0.02))
        }
        let occupancy = try #require(tally.occupancy.first)
        #expect(occupancy.samples == 11 && abs(occupancy.seconds - 0.22) < 1e-6)
        let idle = try #require(occupancy.idleSecondsWithin)
        #expect(zip(idle, [0, 0.1, 0.1, 0.1, 0.1, 0.12, 0.12]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(idle)")
        #expect(abs(occupancy.idleSeconds(within: 0.0025) - 0.1) < 1e-6)
        #expect(occupancy.idleSeconds(within: 0.0001) == 0)
    }

    @Test func oneSampleSaysNothingAboutTime() {
        var tally = StatementOccupancyTally()
        tally.add([(7, "SELECT 1", nil)], at: Self.start)
        #expect(tally.occupancy.isEmpty)
    }

    @Test func newStatementsPastTheBoundAreNotCounted() {
        var tally = StatementOccupancyTally()
        let known = (0..<StatementOccupancyTally.maximumStatements).map { (queryID: Int64?(Int64($0) + 1), query: "SELECT \($0)", idleSeconds: Double?.none) }
        tally.add(known, at: Self.start)
        tally.add([(-1, "SELECT new", nil), (1, "SELECT 0", nil)], at: Self.start.addingTimeInterval(0.1))
        let occupancy = tally.occupancy
        #expect(occupancy.count == StatementOccupancyTally.maximumStatements)
        #expect(!occupancy.contains { $0.queryID == -1 })
        #expect(occupancy.first { $0.queryID == 1 }?.samples == 2)
    }
}
