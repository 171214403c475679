/// The five deliberate flaws of the demo shop, each switchable so the acceptance tests can show
/// that the diagnoser finds exactly the ones that are on.
enum Fault: String, CaseIterable, Sendable {
    /// `GET /orders/search?email=` filters 300k orders on an unindexed column.
    case unindexedSearch = "unindexed-search"
    /// `GET /customers/{id}/orders` lists orders, then queries the items of each order one by one.
    case nPlusOne = "n-plus-one"
    /// `POST /checkout` on a declined payment keeps its connection, idle in a transaction, for seconds.
    case poolLeak = "pool-leak"
    /// `GET /recommendations` calls a downstream service that takes ~150 ms, on every request.
    case slowDownstream = "slow-downstream"
    /// `GET /report` burns CPU recomputing a result that never changes.
    case cpuHeavy = "cpu-heavy"

    /// Parses "all", "none" or a comma-separated list.
    static func parse(_ text: String) throws -> Set<Fault> {
        switch text {
        case "all": return Set(allCases)
        case "none", "": return []
        default:
            return try Set(text.split(separator: ",").map { name in
                guard let fault = Fault(rawValue: String(name)) else {
                    throw UsageError("unknown fault '\(name)'; expected all, none or a list of: "
                        + allCases.map(\.rawValue).joined(separator: ", "))
                }
                return fault
            })
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
