import Foundation
import StrainContract

/// What a statement repeated per request costs the requests: its calls' own time, not a share of
/// the endpoint's whole time. Two measures, the larger taken:
/// - estimated: the execution time pg_stat_statements counted plus one round trip per call (as the
///   diagnoser's session measured it), the part the server does not see;
/// - observed: the time sessions were sampled on the statement — running it, or, inside a
///   transaction, between it and their next statement — which also holds the client's own time per
///   call (a driver's overhead, an interpreter waiting for its lock), invisible to the estimate.
///   Without a transaction a client between calls looks idle, so the estimate stays the floor.
struct NPlusOneCost {
    var estimated: Double
    var observed: StatementOccupancy?

    var seconds: Double { max(estimated, observed?.seconds ?? 0) }

    init(_ pattern: NPlusOne, postgres: PostgresEvidence?) {
        let repeated = pattern.repeated
        estimated = repeated.seconds + Double(repeated.calls) * (postgres?.roundTripSeconds ?? 0)
        observed = postgres?.statementOccupancy.flatMap { StatementOccupancy.of(repeated, in: $0) }
    }
}
