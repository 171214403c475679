import Foundation

/// A code path that leaves sessions idle in a transaction beyond the bound (a likely leak), with
/// what it did to requests. Episodes are grouped by what identifies the path — application, user,
/// client and the last statement's fingerprint (its literals vary): a pool leaking on one error
/// path shows up on many backend pids, and one finding with the count says more than one per pid.
/// Derived once (`CheckInput.transactionLeaks`): step 3 reports a leak with the waits `charge` put
/// on it, and step 5 sees those waits explained.
struct TransactionLeak {
    /// One stretch of a session idle in a transaction, seen over consecutive samples.
    struct Episode {
        var session: SessionState
        /// When the session became idle in its transaction: the sample time less the state's age.
        var since: Date
        var seconds: Double
    }

    let episodes: [Episode]
    /// The latest episode's session: its application, user, client and last statement name the path.
    let latest: SessionState
    let pids: [Int32]
    /// Activity samples in which every backend the path leaked on was busy at once, one of them at
    /// least idle in a transaction: the connections it leaks from had none free.
    let starvedSamples: Int
    /// The endpoint that runs the path's last statement, when the leak starved its connections and
    /// the request data names one (`RequestBreakdown.issuer`).
    let issuer: String?
    /// Activity samples that counted idle sessions per application, and those in which the leaking
    /// application had none idle while its sessions sat idle in a transaction: with one pool, it was dry.
    let countedSamples: Int
    let applicationStarvedSamples: Int
    /// The request time `charge` put on this leak, in seconds.
    private(set) var chargedSeconds = 0.0
    /// The endpoints `charge` put waits of on this leak.
    private(set) var chargedEndpoints: [String] = []

    var longest: Double { episodes.map(\.seconds).max() ?? 0 }
    var applicationStarvedShare: Double { countedSamples > 0 ? Double(applicationStarvedSamples) / Double(countedSamples) : 0 }

    /// A pool whose every connection leaked shows every pid the path leaked on busy at once, and a
    /// one-pool application no idle connection: two such samples, not one coincidence; and two pids
    /// at least: one connection held says nothing of the others in its pool (idle sessions are
    /// counted, not named).
    static let starvedSamplesNeeded = 2
    static let starvedPidsNeeded = 2

    /// The leaks in `postgres`' activity samples. A service may keep several pools under one
    /// application name, so starvation is read both from the backends the path itself used and
    /// from the application's idle connections.
    static func all(_ postgres: PostgresEvidence, bound: Double, statements: [StatementActivity], load: LoadContext?,
                    intervals: [ActivityInterval]) -> [TransactionLeak] {
        var open: [Int32: Episode] = [:]
        var episodes: [Episode] = []
        for sample in postgres.activity {
            for session in sample.sessions where session.state.hasPrefix("idle in transaction") {
                let seconds = session.stateSeconds ?? 0
                let since = sample.at.addingTimeInterval(-seconds)
                // A new episode starts after the previous one was last seen idle; the start computed
                // from each sample's age jitters by the sampling, so it is not compared exactly.
                if let current = open[session.pid], since.timeIntervalSince(current.since) < current.seconds {
                    open[session.pid] = Episode(session: session, since: current.since, seconds: max(current.seconds, seconds))
                } else {
                    if let finished = open[session.pid] { episodes.append(finished) }
                    open[session.pid] = Episode(session: session, since: since, seconds: seconds)
                }
            }
        }
        episodes += open.values
        let groups = Dictionary(grouping: episodes.filter { $0.seconds > bound }) { episode in
            "\(pathKey(episode.session))\u{0}\(StatementFingerprint.of(episode.session))"
        }
        let counted = postgres.activity.filter { $0.idleByApplication != nil }
        return groups.values.map { group in
            let latest = group.max { $0.since < $1.since }!.session
            let pids = Set(group.map(\.session.pid))
            let starved = postgres.activity.filter { sample in
                let busy = sample.sessions.filter { pids.contains($0.pid) }
                return Set(busy.map(\.pid)) == pids && busy.contains { $0.state.hasPrefix("idle in transaction") }
            }.count
            var issuer: String?
            if starved >= starvedSamplesNeeded, pids.count >= starvedPidsNeeded, let load,
               let statement = statements.first(where: { matches(latest, $0) }) {
                issuer = RequestBreakdown.issuer(of: statement, among: load.httpEndpoints.filter { $0.requests > 0 }, intervals: intervals)
            }
            let application = latest.application
            let applicationStarved = counted.filter { sample in
                sample.idleByApplication?[application, default: 0] == 0
                    && sample.sessions.contains { $0.application == application && $0.state.hasPrefix("idle in transaction") }
            }.count
            return TransactionLeak(episodes: group, latest: latest, pids: pids.sorted(), starvedSamples: starved, issuer: issuer,
                                   countedSamples: counted.count, applicationStarvedSamples: applicationStarved)
        }
    }

    /// Puts on the leaks the waits they explain, in `breakdowns` (`leakWait`) and in each leak's
    /// `chargedSeconds`. Only waits off the CPU count: an endpoint the service's clock shows computing,
    /// or whose time is the host's (step 1), waits for nothing. A leak that starved its own
    /// connections explains all the unexplained time of the endpoint running its statement, when that
    /// is noticeable (as step 5 reads it); a leak that left its one-pool application without an idle
    /// connection in a share of the samples explains that share of every waiting endpoint's — the
    /// share step 3 already counts of the requests' time, which step 5 must not count again.
    static func charge(_ leaks: inout [TransactionLeak], to breakdowns: inout [RequestBreakdown]) {
        for index in breakdowns.indices where breakdowns[index].computing != true && !breakdowns[index].hostBound {
            let waiting = breakdowns[index].unexplained
            var best: (leak: Int, seconds: Double)?
            for (leakIndex, leak) in leaks.enumerated() {
                var perRequest = 0.0
                if leak.issuer == breakdowns[index].endpoint, ProfileCheck.isNoticeable(breakdowns[index]) { perRequest = waiting }
                if leak.applicationStarvedSamples >= starvedSamplesNeeded {
                    perRequest = max(perRequest, leak.applicationStarvedShare * waiting)
                }
                if perRequest > best?.seconds ?? 0 { best = (leakIndex, perRequest) }
            }
            guard let best else { continue }
            breakdowns[index].leakWait = best.seconds
            leaks[best.leak].chargedSeconds += best.seconds * Double(breakdowns[index].requests)
            leaks[best.leak].chargedEndpoints.append(breakdowns[index].endpoint)
        }
    }

    /// Application, user and client: who runs the path.
    private static func pathKey(_ session: SessionState) -> String {
        "\(session.application)\u{0}\(session.user ?? "")\u{0}\(session.client ?? "")"
    }

    /// Whether `session`'s statement is `statement`: the same query_id, else the same normalised text.
    private static func matches(_ session: SessionState, _ statement: StatementActivity) -> Bool {
        if let queryID = session.queryID { return queryID == statement.queryID }
        return StatementFingerprint.normalised(session.query) == StatementFingerprint.normalised(statement.query)
    }
}
