import Foundation
import Testing
@testable import StrainDiagnose

struct ConnectionPoolsCheckTests {
    typealias B = EvidenceBuilder

    private func run(_ activity: [[SessionState]], connections: Int = 10, database: (DatabaseCounters, DatabaseCounters)? = nil,
                     load: LoadContext? = nil, bound: Double = 5) -> [Finding] {
        var postgres = B.postgres(activity: activity.enumerated().map { offset, sessions in
            ActivitySample(at: B.start.addingTimeInterval(Double(offset)), clientConnections: connections, sessions: sessions)
        })
        postgres.databaseAtStart = database?.0
        postgres.databaseAtEnd = database?.1
        let input = CheckInput(evidence: B.evidence(postgres: postgres), load: load,
                               options: CheckOptions(idleInTransactionAfterSeconds: bound))
        return ConnectionPoolsCheck.run(input).findings
    }

    @Test func sessionIdleInTransactionBeyondTheBoundIsALeak() throws {
        let update = "UPDATE carts SET total = $1 WHERE id = $2"
        let found = run([[B.session(pid: 4711, state: "idle in transaction", query: update, stateSeconds: 10)],
                         [B.session(pid: 4711, state: "idle in transaction", query: update, stateSeconds: 12)]])
        let leak = try #require(found.first)
        #expect(found.map(\.check) == [.idleInTransaction])
        #expect(leak.object == "app \"shop\", user app, client 10.0.0.5")
        #expect(leak.evidence.contains("last statement: \(update)"))
        // Held for the whole 6 s window, not its 12 s age: connection time, evidence only.
        #expect(leak.evidence.contains("longest 12 s, 6 s idle in transaction in total"))
        // Without a load the wait it caused is unknown: it ranks after every measured cost, and says why.
        #expect(leak.impact.totalSeconds == 0)
        #expect(leak.evidence.contains { $0.hasPrefix("request time it cost: not measurable without a load") })
        #expect(leak.severity == .warning)
    }

    /// A pool leaking on one code path: several backends, each leaking more than once, make one
    /// finding whose impact is the idle time summed over every episode.
    @Test func leaksOfOneCodePathAreOneFindingWithTheirTotalIdleTime() throws {
        let insert = "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id"
        func idle(_ pid: Int32, _ seconds: Double) -> SessionState {
            B.session(pid: pid, state: "idle in transaction", query: insert, stateSeconds: seconds)
        }
        // Samples 1 s apart: pid 1 leaks at 0 s (held 3 s) and again at 4 s; pid 2 leaks at 1 s.
        let found = run([[idle(1, 0)], [idle(1, 1), idle(2, 0)], [idle(1, 2), idle(2, 1)], [idle(1, 3), idle(2, 2)],
                         [idle(2, 3)], [idle(1, 1.5)]], bound: 1)
        let leak = try #require(found.first)
        #expect(found.count == 1)
        #expect(leak.title == "Sessions left idle in a transaction (likely leak): 3 times")
        #expect(leak.evidence.first == "3 times a session (app \"shop\", user app, client 10.0.0.5) stayed idle in its "
                + "transaction beyond 1 s, on 2 backends (pid 1, 2)")
        #expect(leak.evidence.contains("longest 3 s, 7.5 s idle in transaction in total"))
    }

    /// The case: connections held for far longer than requests waited. The rank is the
    /// request time spent while the application had no free connection; the connection time
    /// held stays in the evidence.
    @Test func aLeakIsRankedByTheRequestTimeItCostNotTheConnectionTimeItHeld() throws {
        let idle = { (pid: Int32) in B.session(pid: pid, state: "idle in transaction", query: "SELECT 1", stateSeconds: 10) }
        // Four samples; in one of them the shop's pool had no idle connection left.
        let samples = [2, 1, 0, 3].enumerated().map { offset, free in
            ActivitySample(at: B.start.addingTimeInterval(Double(offset)), clientConnections: 10, sessions: [idle(1), idle(2)],
                           idleByApplication: ["shop": free])
        }
        let evidence = B.evidence(postgres: B.postgres(snapshots: [], activity: samples))
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: evidence, load: B.load(requests: 1000, seconds: 8),
                                                        options: CheckOptions())).findings
        let leak = try #require(found.first { $0.check == .idleInTransaction })
        #expect(leak.evidence.contains("longest 10 s, 12 s idle in transaction in total"))
        // A quarter of the samples × 8 s of requests: 2 s, not the 12 s of connections held.
        #expect(leak.impact.totalSeconds == 2)
        #expect(leak.evidence.contains { $0.hasPrefix("request time it cost: about 2 s — the application had no idle connection "
                                                       + "while sessions sat idle in a transaction in 1 of 4 samples") })
    }

    /// SQL scenarios measure the wait itself: the driver's time waiting for a pooled connection.
    @Test func aLeakUnderSQLLoadCostsTheDriversPoolWait() throws {
        let idle = B.session(pid: 1, state: "idle in transaction", query: "SELECT 1", stateSeconds: 10)
        let load = LoadContext(endpoints: [.init(scenario: "sql", step: "pay", kind: .postgres, requests: 100, totalSeconds: 9,
                                                 poolWaitSeconds: 3)])
        let leak = try #require(run([[idle], [idle]], load: load).first { $0.check == .idleInTransaction })
        #expect(leak.impact.totalSeconds == 3)
        #expect(leak.impact.perRequestSeconds == 0.03)
    }

    /// A service with a pool per purpose (pyshop's payments pool of its own): the leak takes every
    /// connection of its pool while the application's other pools stay idle, so the application
    /// never runs out of idle connections. The checkout requests that run the leaking statement
    /// wait inside the service the while: that wait is the leak's cost, ranked in step 3, and not
    /// code for step 5 to profile. When the pool kept a free connection, the wait is not the leak's.
    @Test(arguments: [true, false])
    func aLeakThatTakesItsPoolsEveryConnectionCostsTheWaitsOfTheEndpointsRunningIt(starved: Bool) throws {
        let insert = "INSERT INTO payments (customer_id) VALUES ($1)"
        func leaked(_ pid: Int32) -> SessionState {
            B.session(pid: pid, state: "idle in transaction", query: "INSERT INTO payments (customer_id) VALUES (42)", stateSeconds: 8)
        }
        // Samples 1 s apart; the payments pool has pids 1 and 2, and the shop's other pools 3 idle
        // connections. Starved, both sit leaked from the second sample on; else one at a time, the
        // other idle (not listed), free for the next checkout.
        let samples = (0..<4).map { offset in
            ActivitySample(at: B.start.addingTimeInterval(Double(offset)), clientConnections: 10,
                           sessions: starved ? (offset > 0 ? [leaked(1), leaked(2)] : [leaked(1)]) : [leaked(offset < 2 ? 1 : 2)],
                           idleByApplication: ["shop": 3])
        }
        let statements = [B.snapshot("start", [B.statement(7, insert, calls: 0, milliseconds: 0, rows: 0)]),
                          B.snapshot("end", [B.statement(7, insert, calls: 100, milliseconds: 10, rows: 100)])]
        let load = LoadContext(endpoints: [
            .init(scenario: "shop", step: "checkout", kind: .http, requests: 100, totalSeconds: 200),
            .init(scenario: "shop", step: "product", kind: .http, requests: 1000, totalSeconds: 0.5),
        ])
        let input = CheckInput(evidence: B.evidence(postgres: B.postgres(snapshots: statements, activity: samples)), load: load,
                               options: CheckOptions(idleInTransactionAfterSeconds: 1))
        let leak = try #require(ConnectionPoolsCheck.run(input).findings.first { $0.check == .idleInTransaction })
        let profile = ProfileCheck.run(input, earlier: [leak])
        if starved {
            // 2 s per checkout less its 0.1 ms INSERT, over 100 checkouts.
            #expect(abs(leak.impact.totalSeconds - 199.99) < 1e-6)
            #expect(leak.impact.perRequestSeconds.map { abs($0 - 1.9999) < 1e-6 } == true)
            #expect(leak.severity == .critical)
            #expect(leak.evidence.contains { $0.hasPrefix("request time it cost: about 3 min 19 s — shop/checkout runs its last "
                                                           + "statement and waited off the CPU") && $0.contains("all 2 connections it leaked on were taken in 3 of 4 samples") })
            #expect(profile.findings.isEmpty)
            #expect(profile.summary.hasSuffix("left to step 3, their waits for connections a leak took: shop/checkout"))
        } else {
            #expect(leak.impact.totalSeconds == 0)
            #expect(leak.severity == .warning)
            #expect(profile.findings.map(\.object) == ["shop/checkout"])
        }
    }

    /// A service with one pool: the leak left the application no idle connection in 2 of 4 samples,
    /// on one backend (too few to read its own pool from). That share of the requests' waiting is
    /// the leak's, counted in step 3 and taken out of step 5's, not counted twice.
    @Test func aLeakThatEmptiesTheApplicationsOnePoolTakesItsShareOfTheWaitsOutOfStepFive() throws {
        let leaked = B.session(pid: 1, state: "idle in transaction", query: "UPDATE carts SET total = $1 WHERE id = $2", stateSeconds: 8)
        let samples = [2, 2, 0, 0].enumerated().map { offset, idle in
            ActivitySample(at: B.start.addingTimeInterval(Double(offset)), clientConnections: 10, sessions: [leaked],
                           idleByApplication: ["shop": idle])
        }
        let input = CheckInput(evidence: B.evidence(postgres: B.postgres(snapshots: [], activity: samples)),
                               load: B.load(requests: 100, seconds: 200), options: CheckOptions(idleInTransactionAfterSeconds: 1))
        let leak = try #require(ConnectionPoolsCheck.run(input).findings.first { $0.check == .idleInTransaction })
        // Half of the 2 s each of 100 requests waited; the old estimate was capped at the 6 s the connection was held.
        #expect(abs(leak.impact.totalSeconds - 100) < 1e-6)
        #expect(leak.evidence.contains { $0.hasPrefix("request time it cost: about 100 s — the application had no idle connection "
                                                       + "while sessions sat idle in a transaction in 2 of 4 samples: that share, 50%") })
        let profile = ProfileCheck.run(input, earlier: [leak])
        #expect(profile.findings.map(\.impact.totalSeconds) == [100])
        #expect(profile.findings.first?.evidence.first
                == "shop/orders: 2 s per request = network 0 µs + database 0 µs + waiting for connections a leak took 1 s + unexplained 1 s")
    }

    /// A client that interpolates its parameters leaves a different text on each leak: one code
    /// path is still one finding, grouped by query_id or, without it, by the normalised text.
    @Test(arguments: [true, false])
    func leaksWithDifferentLiteralsAreOneFinding(withQueryID: Bool) throws {
        func idle(_ pid: Int32, _ id: Int) -> SessionState {
            var session = B.session(pid: pid, state: "idle in transaction",
                                    query: "UPDATE accounts SET balance = balance - \(id) WHERE id = \(id * 7)", stateSeconds: 3)
            session.queryID = withQueryID ? 4242 : nil
            return session
        }
        let found = run([(1...5).map { idle(Int32($0), $0) }], bound: 1)
        #expect(found.count == 1)
        #expect(found.first?.title == "Sessions left idle in a transaction (likely leak): 5 times")
    }

    @Test func shortIdleTransactionsAndIdleSessionsAreFine() {
        #expect(run([[B.session(pid: 1, state: "idle in transaction", query: "SELECT 1", stateSeconds: 2)],
                     [B.session(pid: 2, state: "active", query: "SELECT 2", stateSeconds: 30)]]).isEmpty)
    }

    /// A hot row: pid 100 holds it, idle in its transaction; pid 200 waits for its transaction
    /// holding the row's tuple lock; 300 and 400 queue behind 200 for the tuple. One contention
    /// point, the table; the wait is samples × the time each stands for; the blocking statement
    /// is the holder's, not the queued waiter's.
    @Test func queuedWaitersOnAHotRowAreOneContentionPointNamingTheHolder() throws {
        let update = "UPDATE accounts SET balance = balance + 1 WHERE id = 1"
        let sample = LockSample(at: B.start, seconds: 0.1, sessions: [
            LockSession(pid: 100, query: "UPDATE accounts SET balance = 0 WHERE id = 1", state: "idle in transaction"),
            LockSession(pid: 200, query: update, state: "active", lockType: "transactionid", relation: "public.accounts",
                        row: "(0,1)", blockedBy: [100]),
            LockSession(pid: 300, query: update, state: "active", lockType: "tuple", relation: "public.accounts", row: "(0,1)",
                        blockedBy: [200]),
            LockSession(pid: 400, query: update, state: "active", lockType: "tuple", relation: "public.accounts", row: "(0,1)",
                        blockedBy: [200]),
        ])
        var postgres = B.postgres()
        postgres.lockSamples = Array(repeating: sample, count: 5)
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                        options: CheckOptions())).findings
        let contention = found.filter { $0.check == .lockContention }
        #expect(contention.count == 1)
        let finding = try #require(contention.first)
        #expect(finding.object == "public.accounts")
        // 3 waiters × 5 samples × 100 ms.
        #expect(abs(finding.impact.totalSeconds - 1.5) < 1e-9)
        #expect(finding.evidence.contains("waiting (1.5 s): \(update)"))
        #expect(finding.evidence.contains("blocking (idle in transaction, 1.5 s of waits; pid 100), last statement (the lock may be an earlier one's): "
                                          + "UPDATE accounts SET balance = 0 WHERE id = 1"))
        #expect(finding.evidence.contains { $0.hasPrefix("rows waited for (ctid") && $0.hasSuffix("most often (0,1)") })
        #expect(finding.severity == .critical)
    }

    /// A holder sampled once while its statement still ran and four times idle in its transaction
    /// is shown idle in transaction, however the samples were ordered.
    @Test func aBlockerIsShownInTheStateItHeldTheLockMostIn() throws {
        let update = "UPDATE accounts SET balance = balance + 1 WHERE id = 1"
        func sample(holder state: String) -> LockSample {
            LockSample(at: B.start, seconds: 0.1, sessions: [
                LockSession(pid: 100, query: update, state: state),
                LockSession(pid: 200, query: update, state: "active", lockType: "transactionid", relation: "public.accounts",
                            row: "(0,1)", blockedBy: [100]),
            ])
        }
        func contention(active: Int, idle: Int) throws -> Finding {
            var postgres = B.postgres()
            postgres.lockSamples = Array(repeating: sample(holder: "active"), count: active)
                + Array(repeating: sample(holder: "idle in transaction"), count: idle)
            let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                            options: CheckOptions())).findings
            return try #require(found.first { $0.check == .lockContention })
        }
        let mostlyIdle = try contention(active: 1, idle: 4)
        #expect(mostlyIdle.evidence.contains("blocking (idle in transaction, 500 ms of waits; pid 100), last statement (the lock may be an earlier one's): \(update)"),
                "\(mostlyIdle.evidence)")
        #expect(mostlyIdle.fix.hasPrefix("The lock holder sits idle in its transaction"))
        // Caught idle once between two statements of a transaction that mostly runs: not an idle holder.
        let mostlyActive = try contention(active: 4, idle: 1)
        #expect(mostlyActive.fix.hasPrefix("Keep the transactions that take these locks short"), "\(mostlyActive.fix)")
    }

    /// Waiters queued for a row's holder's transaction name no table; the same statement's waits
    /// that hold the row's tuple lock do: one contention point, the table.
    @Test func waitersWithoutATableJoinTheTableTheirStatementWaitsOn() throws {
        let update = "UPDATE accounts SET balance = balance + 1 WHERE id = 1"
        let sample = LockSample(at: B.start, seconds: 0.1, sessions: [
            LockSession(pid: 100, query: update, state: "idle in transaction"),
            LockSession(pid: 200, query: update, state: "active", lockType: "transactionid", relation: "public.accounts",
                        row: "(0,1)", blockedBy: [100]),
            LockSession(pid: 300, query: update, state: "active", lockType: "transactionid", blockedBy: [100]),
        ])
        var postgres = B.postgres()
        postgres.lockSamples = [sample]
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                        options: CheckOptions())).findings
        let contention = found.filter { $0.check == .lockContention }
        #expect(contention.map(\.object) == ["public.accounts"])
        #expect(abs((contention.first?.impact.totalSeconds ?? 0) - 0.2) < 1e-9)
    }

    /// A wait on something other than a table (a transaction id after an insert conflict) is keyed
    /// by its lock type and the waiting statement's fingerprint: two literals, one point.
    @Test func waitsWithoutATableAreKeyedByTheWaitingStatement() {
        func sample(_ id: Int) -> LockSample {
            LockSample(at: B.start, seconds: 0.1, sessions: [
                LockSession(pid: 1, query: "INSERT INTO t VALUES (\(id))", state: "idle in transaction"),
                LockSession(pid: 2, query: "INSERT INTO t VALUES (\(id))", state: "active", lockType: "transactionid", blockedBy: [1]),
            ])
        }
        var postgres = B.postgres()
        postgres.lockSamples = [sample(1), sample(2)]
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                        options: CheckOptions())).findings
        #expect(found.filter { $0.check == .lockContention }.map(\.object) == ["transactionid wait of text insert into t values (?)"])
    }

    /// A session left idle in its transaction while others wait for its locks is a critical leak,
    /// however short its idle time: the lock samples name it as the blocker.
    @Test func aLeakOthersWaitOnIsCritical() throws {
        let holder = B.session(pid: 100, state: "idle in transaction", query: "UPDATE accounts SET balance = 0 WHERE id = 1",
                               stateSeconds: 10)
        var postgres = B.postgres(activity: [ActivitySample(at: B.start, clientConnections: 2, sessions: [holder])])
        postgres.lockSamples = [LockSample(at: B.start, seconds: 0.1, sessions: [
            LockSession(pid: 100, query: holder.query, state: "idle in transaction"),
            LockSession(pid: 200, query: "UPDATE accounts SET balance = balance + 1 WHERE id = 1", state: "active",
                        lockType: "transactionid", relation: "public.accounts", row: "(0,1)", blockedBy: [100]),
        ])]
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                        options: CheckOptions())).findings
        let leak = try #require(found.first { $0.check == .idleInTransaction })
        #expect(leak.severity == .critical)
        #expect(leak.evidence.contains("it holds locks other sessions waited for (see the lock waits)"))
    }

    /// A pooled backend serves other transactions too: one that blocked others while it ran an active
    /// statement, and sat idle in a transaction at another time, is a leak that blocks nothing.
    @Test func aPooledBackendThatBlockedWhileActiveIsNotALeakThatBlocks() throws {
        let idle = B.session(pid: 100, state: "idle in transaction", query: "SELECT count(*) FROM users WHERE id < 10",
                             stateSeconds: 10)
        var postgres = B.postgres(activity: [ActivitySample(at: B.start, clientConnections: 2, sessions: [idle])])
        postgres.lockSamples = [LockSample(at: B.start.addingTimeInterval(1), seconds: 0.1, sessions: [
            LockSession(pid: 100, query: "SELECT pg_sleep(0.05)", state: "active"),
            LockSession(pid: 200, query: "UPDATE counters SET n = n + 1 WHERE id = 1", state: "active",
                        lockType: "transactionid", relation: "public.counters", row: "(0,1)", blockedBy: [100]),
        ])]
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: B.evidence(postgres: postgres), load: nil,
                                                        options: CheckOptions())).findings
        let leak = try #require(found.first { $0.check == .idleInTransaction })
        #expect(!leak.evidence.contains("it holds locks other sessions waited for (see the lock waits)"))
    }

    @Test(arguments: [(79, nil), (85, Finding.Severity.warning), (96, .critical)] as [(Int, Finding.Severity?)])
    func connectionsNearMaxConnections(peak: Int, severity: Finding.Severity?) {
        let found = run([[]], connections: peak)
        #expect(found.first?.severity == severity)
        #expect(found.first.map(\.object) == severity.map { _ in "max_connections (100)" })
    }

    @Test func deadlocksDuringTheWindow() throws {
        let counters = { (deadlocks: Int64) in DatabaseCounters(blocksRead: 0, blocksHit: 0, tempFiles: 0, tempBytes: 0, deadlocks: deadlocks) }
        let finding = try #require(run([[]], database: (counters(1), counters(3))).first)
        #expect(finding.check == .deadlocks)
        #expect(finding.evidence.first == "2 deadlocks during the window (pg_stat_database)")
    }

    /// The wait is kept apart from the service time, so the endpoint's time is both: 40 s of waiting
    /// beside 100 s of service is 29% of it (it read as 40%, and a longer wait as over 100%).
    @Test func driversOwnPoolWait() throws {
        let finding = try #require(run([[]], load: B.load(requests: 1000, seconds: 100, poolWait: 40)).first)
        #expect(finding.check == .poolWait)
        #expect(finding.object == "shop/orders")
        #expect(finding.severity == .critical)
        #expect(finding.impact.perRequestSeconds == 0.04)
        #expect(finding.evidence.first == "waited 40 s in total for a connection, 28.6% of the endpoint's time (the wait and the service time)",
                "\(finding.evidence)")
        #expect(run([[]], load: B.load(requests: 1000, seconds: 100, poolWait: 1)).isEmpty)
    }

    /// A pool that is too small makes many requests wait; a few long waits on a busy host, with 99% of
    /// the requests served at once, are no finding.
    @Test(arguments: [(990, 10, false), (700, 300, true)])
    func waitsOnlyCountWhenManyRequestsWait(served: Int, waited: Int, found: Bool) throws {
        let waits = Histogram(recording: Array(repeating: UInt64(0), count: served) + Array(repeating: UInt64(2_000_000), count: waited))
        let load = LoadContext(endpoints: [.init(scenario: "shop", step: "orders", kind: .postgres, requests: 1000, totalSeconds: 100,
                                                 poolWaitSeconds: Double(waited) * 2, poolWait: waits)])
        let findings = run([[]], load: load).filter { $0.check == .poolWait }
        #expect(findings.isEmpty == !found)
        if found { #expect(findings.first?.evidence.contains("30% of the requests waited") == true, "\(findings.first?.evidence ?? [])") }
    }
}
