import Foundation

/// A code path that leaves sessions idle in a transaction beyond the bound (a likely leak), with
/// what it did to requests. Episodes are grouped by what identifies the path — application, user,
/// client and the last statement's fingerprint (its literals vary): a pool leaking on one error
/// path shows up on many backend pids, and one finding with the count says more than one per pid.
/// Derived once (`CheckInput.transactionLeaks`): step 3 reports a leak and step 5 leaves to it the
/// waits it explains.
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
    /// The endpoints that wait for connections the leak took: they run its last statement, and
    /// their requests' unexplained time is spent off the CPU (see `all`). Their unexplained time is
    /// the leak's cost, not code to profile.
    let waitingEndpoints: [RequestBreakdown]

    var longest: Double { episodes.map(\.seconds).max() ?? 0 }
    /// Total unexplained request time of `waitingEndpoints`.
    var waitingSeconds: Double { waitingEndpoints.reduce(0) { $0 + $1.totalUnexplained } }

    /// A pool whose every connection leaked shows every pid the path leaked on busy at once; two
    /// such samples, not one coincidence, and two pids at least: one connection held says nothing
    /// of the others in its pool (idle sessions are counted, not named).
    static let starvedSamplesNeeded = 2
    static let starvedPidsNeeded = 2

    /// The leaks in `postgres`' activity samples. An endpoint waits for a leak's connections when
    /// the leak starved its connections, the endpoint's requests run the leak's last statement
    /// (`RequestBreakdown.issuer`), and its unexplained time is noticeable (as step 5 reads it) and
    /// not spent computing. A service may keep several pools under one application name, so the
    /// starvation is read from the backends the path itself used, not from the application's.
    static func all(_ postgres: PostgresEvidence, bound: Double, statements: [StatementActivity], load: LoadContext?,
                    intervals: [ActivityInterval], breakdowns: [RequestBreakdown]) -> [TransactionLeak] {
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
        return groups.values.map { group in
            let latest = group.max { $0.since < $1.since }!.session
            let pids = Set(group.map(\.session.pid))
            let starved = postgres.activity.filter { sample in
                let busy = sample.sessions.filter { pids.contains($0.pid) }
                return Set(busy.map(\.pid)) == pids && busy.contains { $0.state.hasPrefix("idle in transaction") }
            }.count
            var waiting: [RequestBreakdown] = []
            if starved >= starvedSamplesNeeded, pids.count >= starvedPidsNeeded, let load,
               let statement = statements.first(where: { matches(latest, $0) }),
               let issuer = RequestBreakdown.issuer(of: statement, among: load.httpEndpoints.filter { $0.requests > 0 },
                                                    intervals: intervals) {
                waiting = breakdowns.filter {
                    $0.endpoint == issuer && $0.computing != true && !$0.hostBound && ProfileCheck.isNoticeable($0)
                }
            }
            return TransactionLeak(episodes: group, latest: latest, pids: pids.sorted(), starvedSamples: starved,
                                   waitingEndpoints: waiting)
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
