import Foundation

/// Step 3: sessions left idle in a transaction beyond the bound (likely leaks), which hold their
/// connection, locks and snapshot; ranked by what the held connections cost requests.
enum IdleInTransactionRule {
    /// A leaked transaction open this long holds its locks and snapshot far too long.
    static let idleInTransactionCritical = 60.0

    /// One stretch of a session idle in a transaction, seen over consecutive samples.
    private struct IdleEpisode {
        var session: SessionState
        /// When the session became idle in its transaction: the sample time less the state's age.
        var since: Date
        var seconds: Double
    }

    /// Leaks are grouped by what identifies the code path that leaks: application, user, client
    /// and the last statement's fingerprint (its literals vary) — a pool leaking on one error path shows up on many backend pids,
    /// and one finding with the count says more than one per pid.
    static func findings(_ postgres: PostgresEvidence, _ input: CheckInput) -> [Finding] {
        let bound = input.options.idleInTransactionAfterSeconds
        let window = input.evidence.windowSeconds
        var open: [Int32: IdleEpisode] = [:]
        var episodes: [IdleEpisode] = []
        for sample in postgres.activity {
            for session in sample.sessions where session.state.hasPrefix("idle in transaction") {
                let seconds = session.stateSeconds ?? 0
                let since = sample.at.addingTimeInterval(-seconds)
                // A new episode starts after the previous one was last seen idle; the start computed
                // from each sample's age jitters by the sampling, so it is not compared exactly.
                if let current = open[session.pid], since.timeIntervalSince(current.since) < current.seconds {
                    open[session.pid] = IdleEpisode(session: session, since: current.since, seconds: max(current.seconds, seconds))
                } else {
                    if let finished = open[session.pid] { episodes.append(finished) }
                    open[session.pid] = IdleEpisode(session: session, since: since, seconds: seconds)
                }
            }
        }
        episodes += open.values
        // A backend that blocked others while it sat idle in a transaction, in the same sample: a pooled
        // backend serves other transactions too, and what it blocked then is not the leak's doing.
        func idleBlockers(_ sessions: [(pid: Int32, state: String, blockedBy: [Int32])]) -> [Int32] {
            let blocking = Set(sessions.flatMap(\.blockedBy))
            return sessions.filter { $0.state.hasPrefix("idle in transaction") && blocking.contains($0.pid) }.map(\.pid)
        }
        let blockers = Set(postgres.activity.flatMap { sample in idleBlockers(sample.sessions.map { ($0.pid, $0.state, $0.blockedBy) }) }
                           + (postgres.lockSamples ?? []).flatMap { sample in
                               idleBlockers(sample.sessions.map { ($0.pid, $0.state, $0.blockedBy) })
                           })
        let leaks = Dictionary(grouping: episodes.filter { $0.seconds > bound }) { episode in
            "\(describe(episode.session))\u{0}\(StatementFingerprint.of(episode.session))"
        }
        return leaks.values.map { group in
            let latest = group.max { $0.since < $1.since }!.session
            let pids = Set(group.map(\.session.pid)).sorted()
            let longest = group.map(\.seconds).max() ?? 0
            // The connection time the leak held, summed over its episodes (each at most the window):
            // evidence of capacity taken from the pool, not time anyone waited.
            let held = group.reduce(0) { $0 + min($1.seconds, window) }
            let waited = leakRequestTime(application: latest.application, held: held, postgres, input)
            let blocking = pids.contains(where: blockers.contains)
            var evidence = ["\(group.count) time\(group.count == 1 ? "" : "s") a session\(describe(latest)) stayed idle in its "
                            + "transaction beyond \(Format.duration(bound)), on \(pids.count) backend\(pids.count == 1 ? "" : "s") "
                            + "(pid \(pids.map(String.init).joined(separator: ", ")))",
                            "longest \(Format.duration(longest)), \(Format.duration(held)) idle in transaction in total",
                            "last statement: \(SQLText.brief(latest.query))",
                            waited.evidence]
            if blocking { evidence.append("it holds locks other sessions waited for (see the lock waits)") }
            if group.contains(where: { $0.session.state.hasSuffix("(aborted)") }) {
                evidence.append("the transaction already failed and waits for a ROLLBACK")
            }
            return Finding(
                step: .connectionPools, check: .idleInTransaction,
                title: "Sessions left idle in a transaction (likely leak): \(group.count) time\(group.count == 1 ? "" : "s")",
                object: describe(latest).trimmingCharacters(in: CharacterSet(charactersIn: " ()")).nonEmpty ?? "pid \(pids[0])",
                evidence: evidence, impact: input.impact(seconds: waited.seconds),
                severity: longest >= idleInTransactionCritical || blocking ? .critical : .warning,
                fix: "Find the code path that opens a transaction and returns without COMMIT or ROLLBACK (often an error "
                    + "path, or slow work inside the transaction); set idle_in_transaction_session_timeout so the server "
                    + "ends such sessions.")
        }
        .sorted { ($0.object, $0.evidence[2]) < ($1.object, $1.evidence[2]) }
    }

    /// What a leak cost users. Held connections delay requests only while the application's pool
    /// has no free connection left, and that wait happens inside the application, so:
    /// - the driver's own wait for a pooled connection, when SQL scenarios waited;
    /// - else the share of activity samples in which the leaking application had no idle
    ///   connection while some of its sessions sat idle in a transaction, × the request time spent
    ///   on this host (all but waits for slow dependencies), at most the connection time held;
    /// - without a load it cannot be measured: zero, so it ranks after every measured cost.
    static func leakRequestTime(application: String, held: Double, _ postgres: PostgresEvidence,
                                _ input: CheckInput) -> (seconds: Double, evidence: String) {
        guard let load = input.load, let requestSeconds = input.requestSecondsOutsideDependencies else {
            return (0, "request time it cost: not measurable without a load (the pool's queue is inside the application), "
                        + "so it ranks after every finding whose cost was measured")
        }
        let poolWait = load.endpoints.filter { $0.kind == .postgres }.reduce(0) { $0 + ($1.poolWaitSeconds ?? 0) }
        if poolWait > 0 {
            return (poolWait, "request time it cost: at most the \(Format.duration(poolWait)) the driver's requests waited "
                                + "for a pooled connection")
        }
        let counted = postgres.activity.filter { $0.idleByApplication != nil }
        let starved = counted.filter { sample in
            sample.idleByApplication?[application, default: 0] == 0
                && sample.sessions.contains { $0.application == application && $0.state.hasPrefix("idle in transaction") }
        }
        let share = counted.isEmpty ? 0 : Double(starved.count) / Double(counted.count)
        let seconds = min(share * requestSeconds, held)
        return (seconds, "request time it cost: about \(Format.duration(seconds)) — the application had no idle connection "
                    + "while sessions sat idle in a transaction in \(starved.count) of \(counted.count) samples, "
                    + "\(Format.percent(share)) of the \(Format.duration(requestSeconds)) requests spent on this host")
    }

    /// " (app \"x\", user y, client 127.0.0.1)" for the parts a session has.
    private static func describe(_ session: SessionState) -> String {
        var parts: [String] = []
        if !session.application.isEmpty { parts.append("app \"\(session.application)\"") }
        if let user = session.user { parts.append("user \(user)") }
        if let client = session.client { parts.append("client \(client)") }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))"
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
