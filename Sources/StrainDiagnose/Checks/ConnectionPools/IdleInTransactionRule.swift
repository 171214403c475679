import Foundation

/// Step 3: sessions left idle in a transaction beyond the bound (likely leaks), which hold their
/// connection, locks and snapshot; ranked by what the held connections cost requests.
enum IdleInTransactionRule {
    /// A leaked transaction open this long holds its locks and snapshot far too long.
    static let idleInTransactionCritical = 60.0

    /// One finding per leaking code path (`TransactionLeak`).
    static func findings(_ postgres: PostgresEvidence, _ input: CheckInput) -> [Finding] {
        let bound = input.options.idleInTransactionAfterSeconds
        let window = input.evidence.windowSeconds
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
        return input.transactionLeaks.map { leak in
            let group = leak.episodes
            let latest = leak.latest
            let pids = leak.pids
            let longest = leak.longest
            // The connection time the leak held, summed over its episodes (each at most the window):
            // evidence of capacity taken from the pool, not time anyone waited.
            let held = group.reduce(0) { $0 + min($1.seconds, window) }
            let waited = leakRequestTime(leak, held: held, postgres, input)
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
            let impact = input.impact(seconds: waited.seconds, endpoints: waited.endpoints)
            // Critical when it holds a transaction far too long, blocks others, or costs a quarter of the requests' time.
            let critical = longest >= idleInTransactionCritical || blocking || input.severity(forProblemTaking: impact.share) == .critical
            return Finding(
                step: .connectionPools, check: .idleInTransaction,
                title: "Sessions left idle in a transaction (likely leak): \(group.count) time\(group.count == 1 ? "" : "s")",
                object: describe(latest).trimmingCharacters(in: CharacterSet(charactersIn: " ()")).nonEmpty ?? "pid \(pids[0])",
                evidence: evidence, impact: impact,
                severity: critical ? .critical : .warning,
                fix: "Find the code path that opens a transaction and returns without COMMIT or ROLLBACK (often an error "
                    + "path, or slow work inside the transaction); set idle_in_transaction_session_timeout so the server "
                    + "ends such sessions.")
        }
        .sorted { ($0.object, $0.evidence[2]) < ($1.object, $1.evidence[2]) }
    }

    /// What a leak cost users. Held connections delay requests only while the pool they come from
    /// has no free connection left, and that wait happens inside the application, so:
    /// - the driver's own wait for a pooled connection, when SQL scenarios waited;
    /// - else the larger of two estimates: the waits `TransactionLeak.charge` put on it (the endpoint
    ///   that runs the leaking statement, when every connection the leak used sat taken: right for a
    ///   service with a pool per purpose), and the share of activity samples in which the leaking
    ///   application had no idle connection while some of its sessions sat idle in a transaction, ×
    ///   the request time spent on this host (all but waits for slow dependencies), at most the
    ///   connection time held (right for a service with one pool);
    /// - without a load it cannot be measured: zero, so it ranks after every measured cost.
    /// `endpoints`: the endpoints that waited, when the first estimate is the one taken.
    static func leakRequestTime(_ leak: TransactionLeak, held: Double, _ postgres: PostgresEvidence,
                                _ input: CheckInput) -> (seconds: Double, evidence: String, endpoints: [String]?) {
        guard let load = input.load, let requestSeconds = input.requestSecondsOutsideDependencies else {
            return (0, "request time it cost: not measurable without a load (the pool's queue is inside the application), "
                        + "so it ranks after every finding whose cost was measured", nil)
        }
        let poolWait = load.endpoints.filter { $0.kind == .postgres }.reduce(0) { $0 + ($1.poolWaitSeconds ?? 0) }
        if poolWait > 0 {
            return (poolWait, "request time it cost: at most the \(Format.duration(poolWait)) the driver's requests waited "
                                + "for a pooled connection", nil)
        }
        let share = leak.applicationStarvedShare
        let starvedApplication = "the application had no idle connection while sessions sat idle in a transaction in "
            + "\(leak.applicationStarvedSamples) of \(leak.countedSamples) samples"
        let estimate = min(share * requestSeconds, held)
        // What `charge` took out of step 5 is counted here, whichever estimate is larger.
        guard leak.chargedSeconds > estimate else {
            return (estimate, "request time it cost: about \(Format.duration(estimate)) — \(starvedApplication), "
                        + "\(Format.percent(share)) of the \(Format.duration(requestSeconds)) requests spent on this host", nil)
        }
        let names = leak.chargedEndpoints
        let cost = "request time it cost: about \(Format.duration(leak.chargedSeconds)) — "
        if let issuer = leak.issuer, names.contains(issuer) {
            let others = names.filter { $0 != issuer }
            return (leak.chargedSeconds, cost + "\(issuer) runs its last statement and waited off the CPU, unexplained by steps "
                        + "1, 2 and 4, while all \(leak.pids.count) connection\(leak.pids.count == 1 ? "" : "s") it leaked on were "
                        + "taken in \(leak.starvedSamples) of \(postgres.activity.count) samples: the pool they wait in has the "
                        + "leaked connections missing" + (others.isEmpty ? "" : "; and \(starvedApplication): that share of the "
                        + "waits of \(others.joined(separator: ", "))"), names)
        }
        return (leak.chargedSeconds, cost + "\(starvedApplication): that share, \(Format.percent(share)), of the time "
                    + "\(names.joined(separator: ", ")) waited off the CPU, unexplained by steps 1, 2 and 4", names)
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
