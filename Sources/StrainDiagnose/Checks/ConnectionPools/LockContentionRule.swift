import Foundation

/// Step 3, locks: who waited for which lock, from lock waits sampled ten times a second. One
/// finding per contention point — the table waited for (with the rows, where the wait is for a
/// row), else the kind of lock and the waiting statement — naming the waiting and the blocking
/// statements by fingerprint. The wait is estimated as the samples that saw it × the time each
/// stands for: never from statement ages, which mix in the statement's own work.
enum LockContentionRule {
    /// A contention point whose waits reach this much is critical.
    static let criticalWait = 10.0
    static let statementsShown = 3

    static func findings(_ samples: [LockSample], _ input: CheckInput) -> [Finding] {
        Dictionary(grouping: waits(in: samples), by: \.point).map { point, waits in
            finding(point: point, waits, input)
        }
        .sorted { $0.object < $1.object }
    }

    /// Lock wait seconds of the statements with this query id or fingerprint, over the samples.
    static func waitSeconds(ofStatement queryID: Int64, query: String, in samples: [LockSample]) -> Double {
        let fingerprint = "text \(StatementFingerprint.normalised(query))"
        return waits(in: samples).filter { wait in
            wait.waiter.queryID == queryID || StatementFingerprint.of(query: wait.waiter.query, queryID: nil) == fingerprint
        }.reduce(0) { $0 + $1.seconds }
    }

    /// One waiting session in one sample, with the sessions at the head of its queue.
    struct Wait {
        var waiter: LockSession
        /// The blockers that wait for nothing themselves: the sessions holding the queue up.
        var holders: [LockSession]
        var seconds: Double

        /// The table when known, else the kind of lock and the waiting statement.
        var point: String {
            waiter.relation
                ?? "\(waiter.lockType ?? "lock") wait of \(StatementFingerprint.of(query: waiter.query, queryID: waiter.queryID))"
        }
    }

    /// Only the waiter holding a row's tuple lock names the row's table; the others queued for the
    /// same row wait for the holder's transaction, which names none. A waiter without a table is
    /// placed at the table its statement waits on elsewhere in the window, when it does.
    static func waits(in samples: [LockSample]) -> [Wait] {
        let waits = samples.flatMap { sample in
            let sessions = Dictionary(sample.sessions.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
            return sample.sessions.filter { $0.lockType != nil }.map { waiter in
                Wait(waiter: waiter, holders: holders(of: waiter, in: sessions), seconds: sample.seconds)
            }
        }
        func fingerprint(_ wait: Wait) -> String { StatementFingerprint.of(query: wait.waiter.query, queryID: wait.waiter.queryID) }
        let tableOfStatement = Dictionary(grouping: waits.filter { $0.waiter.relation != nil }, by: fingerprint).mapValues { waits in
            Dictionary(grouping: waits.compactMap(\.waiter.relation), by: { $0 })
                .max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!.key
        }
        return waits.map { wait in
            var wait = wait
            wait.waiter.relation = wait.waiter.relation ?? tableOfStatement[fingerprint(wait)]
            return wait
        }
    }

    /// Follows `blockedBy` from a waiter to the blockers that do not wait themselves: queued
    /// waiters for a hot row block each other, but the row's holder is what they all wait for.
    private static func holders(of waiter: LockSession, in sessions: [Int32: LockSession]) -> [LockSession] {
        var seen: Set<Int32> = [waiter.pid]
        var frontier = waiter.blockedBy
        var holders: [LockSession] = []
        while let pid = frontier.popLast() {
            guard seen.insert(pid).inserted, let session = sessions[pid] else { continue }
            if session.lockType == nil { holders.append(session) } else { frontier += session.blockedBy }
        }
        return holders
    }

    private static func finding(point: String, _ waits: [Wait], _ input: CheckInput) -> Finding {
        let total = waits.reduce(0) { $0 + $1.seconds }
        var evidence = ["sessions waited \(Format.duration(total)) in all for this lock (\(Format.count(waits.count)) waits seen in "
                        + "samples every \(Format.duration(LockSampler.interval)), each counted for the time since the previous sample)"]
        evidence += ranked(waits.map { ($0.waiter, $0.seconds) }).prefix(statementsShown).map { session, seconds in
            "waiting (\(Format.duration(seconds))): \(SQLText.brief(session.query))"
        }
        let holders = waits.flatMap { wait in wait.holders.map { ($0, wait.seconds) } }
        evidence += ranked(holders).prefix(statementsShown).map { session, seconds in
            // An idle session's query is the last it ran, not necessarily the one that took the lock.
            "blocking (\(session.state), \(Format.duration(seconds)) of waits; pid \(session.pid))"
                + (session.state.hasPrefix("idle") ? ", last statement (the lock may be an earlier one's): " : ": ")
                + SQLText.brief(session.query)
        }
        let rows = Dictionary(grouping: waits.compactMap(\.waiter.row), by: { $0 })
        if !rows.isEmpty {
            let top = rows.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }!
            evidence.append("rows waited for (ctid, which moves as a row is updated): \(rows.count) distinct, most often \(top.key)")
        }
        // Idle in its transaction for most of the waits, not caught there once between two statements.
        let idleWaits = holders.filter { $0.0.state.hasPrefix("idle in transaction") }.reduce(0) { $0 + $1.1 }
        let idleHolder = idleWaits > holders.reduce(0) { $0 + $1.1 } / 2
        return Finding(
            step: .connectionPools, check: .lockContention,
            title: "Lock contention: sessions waited \(Format.duration(total)) for locks on \(point)",
            object: point, evidence: evidence, impact: input.impact(seconds: total),
            severity: idleHolder || total >= criticalWait ? .critical : .warning,
            fix: idleHolder
                ? "The lock holder sits idle in its transaction: commit before slow work or remote calls, and set "
                    + "idle_in_transaction_session_timeout so leaked transactions end."
                : "Keep the transactions that take these locks short (lock the row last, commit right after), touch rows "
                    + "in a consistent order, spread updates of one hot row (e.g. a counter) over several rows, and give "
                    + "waiters a lock_timeout so they fail fast instead of piling up.")
    }

    /// Statements by fingerprint with the wait seconds they account for, most first; the example
    /// shown is the first seen.
    /// Sessions summed by statement fingerprint, most seconds first. Each is shown in the state
    /// it held for most of those seconds (a blocker seen once running its statement and then
    /// idle in its transaction for the rest is idle in transaction), not the first one sampled.
    private static func ranked(_ sessions: [(LockSession, Double)]) -> [(LockSession, Double)] {
        var byState: [String: [String: (session: LockSession, seconds: Double)]] = [:]
        for (session, seconds) in sessions {
            let key = StatementFingerprint.of(query: session.query, queryID: session.queryID)
            let earlier = byState[key, default: [:]][session.state]
            byState[key, default: [:]][session.state] = (earlier?.session ?? session, (earlier?.seconds ?? 0) + seconds)
        }
        let totals = byState.values.compactMap { states -> (session: LockSession, seconds: Double)? in
            guard let most = states.values.max(by: { ($0.seconds, $1.session.state) < ($1.seconds, $0.session.state) }) else { return nil }
            return (most.session, states.values.reduce(0) { $0 + $1.seconds })
        }
        return totals.sorted { ($0.seconds, $1.session.query) > ($1.seconds, $0.session.query) }.map { ($0.session, $0.seconds) }
    }
}
