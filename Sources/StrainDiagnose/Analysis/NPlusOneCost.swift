import Foundation
import StrainContract

/// What a statement repeated per request costs the requests: its calls' own time, not a share of
/// the endpoint's whole time. Two measures, the larger taken:
/// - estimated: the execution time pg_stat_statements counted plus one round trip per call (as the
///   diagnoser's session measured it), the part the server does not see;
/// - observed: the time sessions were sampled on the statement — running it, or, inside a
///   transaction, between it and their next statement — which also holds the client's own time per
///   call (a driver's overhead, an interpreter waiting for its lock), invisible to the estimate.
///   Outside a transaction a client between two calls looks idle, as a pooled connection between
///   requests does; what tells them apart is how long: the samples idle after the statement for
///   at most `idleCallsFactor` times a call's execution and round trip count as time between calls,
///   less what the idle periods longer than that (after a request's last call) add to them.
struct NPlusOneCost {
    /// How many times a call's own time (execution and round trip) a client may take between two
    /// calls and still be read as in its loop: an interpreted client's driver takes about a call's
    /// time, and many times that when its threads queue for the interpreter's lock.
    static let idleCallsFactor = 15.0

    var estimated: Double
    var observed: StatementOccupancy?
    /// Of `observed`, the time sessions sat idle outside a transaction between calls: at most
    /// `idleLimit` after one.
    var idleBetweenCalls: Double
    var idleLimit: Double

    var observedSeconds: Double { (observed?.seconds ?? 0) + idleBetweenCalls }
    var seconds: Double { max(estimated, observedSeconds) }

    init(_ pattern: NPlusOne, postgres: PostgresEvidence?) {
        let repeated = pattern.repeated
        let roundTrip = postgres?.roundTripSeconds ?? 0
        estimated = repeated.seconds + Double(repeated.calls) * roundTrip
        observed = postgres?.statementOccupancy.flatMap { StatementOccupancy.of(repeated, in: $0) }
        let limit = Self.idleCallsFactor * (repeated.meanSeconds + roundTrip)
        idleLimit = limit
        idleBetweenCalls = observed.map { Self.idleBetweenCalls($0, within: limit) } ?? 0
    }

    /// The idle time within `limit` of a call, less the part of the longer idle periods. A period of
    /// D adds min(D, b) to the idle time found within b of a call: the short gaps between calls are
    /// all in it, and each longer period (the client done with its request, pausing before the next)
    /// adds b. Between half the limit and the limit the idle time grows by about one for each period
    /// still idle, so that growth over the width counts them, and they are taken out (they cost
    /// the requests nothing: a paced client made 773 requests of 1.7 ms and was charged 1.4 s idle).
    static func idleBetweenCalls(_ occupancy: StatementOccupancy, within limit: Double) -> Double {
        let within = occupancy.idleSeconds(within: limit)
        let bounds = StatementOccupancy.idleAgeBounds
        guard let top = bounds.lastIndex(where: { $0 <= limit }), let middle = bounds.lastIndex(where: { $0 <= bounds[top] / 2 }),
              middle < top, let found = occupancy.idleSecondsWithin, found.count > top else { return within }
        let longPeriods = max(0, (found[top] - found[middle]) / (bounds[top] - bounds[middle]))
        return max(0, within - longPeriods * bounds[top])
    }
}
