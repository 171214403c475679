import StrainContract
import StrainProfile

/// One shard's part of a scenario (all of it when the run is not sharded): what its workers then split
/// among themselves. Pure; the open model's arrivals are split by the Pacer (`Shard.arrivalSlot`).
struct ScenarioPart: Sendable, Equatable {
    /// HTTP connections (at most, in the open model) or PostgreSQL pooled connections on this shard;
    /// 0 when the shard runs none of the scenario (a closed model with fewer users than shards).
    let connections: Int
    /// Iterations that may run at once on this shard: open-model slots or closed-model users.
    let concurrency: Int
    /// A closed model bounded by iterations: this shard's iterations.
    let iterations: Int?

    init(connections: Int, concurrency: Int, iterations: Int? = nil) {
        self.connections = connections
        self.concurrency = concurrency
        self.iterations = iterations
    }

    init(_ plan: ScenarioPlan, shard: Shard) {
        switch plan.load {
        case .open:
            // Every shard gets arrivals, so each needs a connection even when there are fewer than shards.
            let connections = max(1, shard.part(of: plan.connections))
            // The PostgreSQL pipeline depth multiplies the pool; HTTP's factor is 1.
            self.init(connections: connections, concurrency: connections * (plan.concurrency / plan.connections))
        case .closed(let closed):
            var users = shard.part(of: plan.concurrency)
            var iterations: Int?
            if case .iterations(let count) = closed.bound {
                iterations = shard.part(of: count)
                if iterations == 0 { users = 0 }
            }
            // A PostgreSQL pool smaller than the shard count still needs a connection where users run.
            self.init(connections: users == 0 ? 0 : max(1, shard.part(of: plan.connections)),
                      concurrency: users, iterations: iterations)
        }
    }

    /// Whether this shard runs the scenario at all.
    var runs: Bool { concurrency > 0 }
}
