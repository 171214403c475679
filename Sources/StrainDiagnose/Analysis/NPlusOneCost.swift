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
///   at most `idleCallsFactor` times a call's execution and round trip count as time between calls.
///   Each request adds at most that much again after its last call (a few calls' worth).
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
        idleLimit = Self.idleCallsFactor * (repeated.meanSeconds + roundTrip)
        idleBetweenCalls = observed?.idleSeconds(within: idleLimit) ?? 0
    }
}
