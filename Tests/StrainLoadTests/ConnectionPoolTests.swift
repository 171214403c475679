import Testing
@testable import StrainLoad

/// The PostgreSQL engine's pool policy, without a server: sessions are plain numbers and what each
/// can take is a table the test sets.
@Suite("connection pool")
struct ConnectionPoolTests {
    /// What each session can take: nil (nothing) or its statements in flight.
    final class Sessions {
        var capacity: [Int: Int?]
        init(_ capacity: [Int: Int?]) { self.capacity = capacity }
        func of(_ session: Int) -> Int? { capacity[session] ?? nil }
    }

    /// The sends and time-outs an action list describes, as comparable text.
    static func describe(_ action: ConnectionPool<String>.Action?) -> String? {
        switch action {
        case .send(let request, let session, let poolWait)?: "\(request)→\(session) after \(poolWait)"
        case .timeOut(let request, let poolWait, let waited)?: "\(request) timed out after \(poolWait) (\(waited) here)"
        case nil: nil
        }
    }

    @Test func theMostRecentlyFreedSessionIsTakenFirstAndBrokenOnesAreSkipped() {
        var pool = ConnectionPool<String>(sessions: 10..<13, pipelined: false)
        let sessions = Sessions([10: 0, 11: 0, 12: 0])
        for session in [10, 11, 12] { pool.free(session) }
        pool.free(12) // said twice, listed once
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == 12)
        sessions.capacity[11] = .some(nil) // broke while listed
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == 10)
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == nil)
    }

    @Test func requestsThatFindNoSessionWaitInOrderAndCountTheirWait() {
        var pool = ConnectionPool<String>(sessions: 0..<1, pipelined: false)
        let sessions = Sessions([0: 0])
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == nil) // nothing freed yet
        pool.enqueue("a", now: 100, earlierWait: 7, timeout: 1_000)
        pool.enqueue("b", now: 200, earlierWait: 0, timeout: 1_000)
        pool.free(0)
        // A newcomer does not overtake those waiting.
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == nil)
        #expect(Self.describe(pool.nextDispatch(now: 400, capacity: sessions.of)) == "a→0 after 307")
        #expect(Self.describe(pool.nextDispatch(now: 400, capacity: sessions.of)) == nil) // 0 is taken
        pool.free(0)
        #expect(Self.describe(pool.nextDispatch(now: 500, capacity: sessions.of)) == "b→0 after 300")
        #expect(!pool.hasWaiting)
    }

    @Test func aWaitingRequestTimesOutAtItsOwnDeadlineOldestFirst() {
        var pool = ConnectionPool<String>(sessions: 0..<1, pipelined: false)
        pool.enqueue("a", now: 0, earlierWait: 50, timeout: 1_000)
        pool.enqueue("b", now: 300, earlierWait: 0, timeout: 1_000)
        #expect(pool.nextExpiry == 1_000)
        #expect(pool.nextExpired(now: 999) == nil)
        #expect(Self.describe(pool.nextExpired(now: 1_200)) == "a timed out after 1050 (1200 here)")
        #expect(pool.nextExpired(now: 1_200) == nil)
        #expect(pool.nextExpiry == 1_300)
        #expect(pool.removeWaiting() == ["b"])
        #expect(!pool.hasWaiting && pool.nextExpiry == nil)
    }

    @Test("Pipeline mode sends to the session with the fewest in flight, skipping full and broken ones", arguments: [
        ([0: 3, 1: 1, 2: 2], 1),
        ([0: 3, 1: nil, 2: 2], 2),
        ([0: nil, 1: nil, 2: nil], nil),
    ] as [([Int: Int?], Int?)])
    func pipelineModeBalancesLoad(capacity: [Int: Int?], expected: Int?) {
        var pool = ConnectionPool<String>(sessions: 0..<3, pipelined: true)
        let sessions = Sessions(capacity)
        pool.free(0) // no list in pipeline mode: the load decides
        #expect(pool.connectionForNewRequest(capacity: sessions.of) == expected)
    }
}
