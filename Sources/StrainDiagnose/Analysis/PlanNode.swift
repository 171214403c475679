import Foundation

/// One node of an `EXPLAIN (FORMAT JSON)` plan, with the fields the plan rules read.
/// Actual figures are present only for `EXPLAIN ANALYZE`.
public struct PlanNode: Decodable, Sendable, Equatable {
    public var nodeType: String
    public var relationName: String?
    public var schema: String?
    public var alias: String?
    public var indexName: String?
    public var filter: String?
    public var totalCost: Double
    /// Estimated rows per loop.
    public var planRows: Double
    /// Actual rows per loop.
    public var actualRows: Double?
    public var actualLoops: Double?
    public var rowsRemovedByFilter: Double?
    public var sortMethod: String?
    public var sortSpaceType: String?
    public var hashBatches: Int?
    /// A node of a parallel plan part ("Parallel Aware"): its estimates are per process.
    public var parallelAware: Bool
    /// On Gather and Gather Merge: the workers the planner counted on.
    public var workersPlanned: Int?
    /// How many processes' rows a parallel-aware node's `planRows` stands for (PostgreSQL's parallel
    /// divisor: the workers plus the leader's part); 1 elsewhere. Set by `parse`.
    public var parallelDivisor = 1.0
    public var children: [PlanNode]

    /// Estimated rows over all the processes that run the node.
    public var totalPlanRows: Double { planRows * parallelDivisor }

    enum CodingKeys: String, CodingKey {
        case nodeType = "Node Type"
        case relationName = "Relation Name"
        case schema = "Schema"
        case alias = "Alias"
        case indexName = "Index Name"
        case filter = "Filter"
        case totalCost = "Total Cost"
        case planRows = "Plan Rows"
        case actualRows = "Actual Rows"
        case actualLoops = "Actual Loops"
        case rowsRemovedByFilter = "Rows Removed by Filter"
        case sortMethod = "Sort Method"
        case sortSpaceType = "Sort Space Type"
        case hashBatches = "Hash Batches"
        case parallelAware = "Parallel Aware"
        case workersPlanned = "Workers Planned"
        case children = "Plans"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodeType = try container.decode(String.self, forKey: .nodeType)
        relationName = try container.decodeIfPresent(String.self, forKey: .relationName)
        schema = try container.decodeIfPresent(String.self, forKey: .schema)
        alias = try container.decodeIfPresent(String.self, forKey: .alias)
        indexName = try container.decodeIfPresent(String.self, forKey: .indexName)
        filter = try container.decodeIfPresent(String.self, forKey: .filter)
        totalCost = try container.decode(Double.self, forKey: .totalCost)
        planRows = try container.decode(Double.self, forKey: .planRows)
        actualRows = try container.decodeIfPresent(Double.self, forKey: .actualRows)
        actualLoops = try container.decodeIfPresent(Double.self, forKey: .actualLoops)
        rowsRemovedByFilter = try container.decodeIfPresent(Double.self, forKey: .rowsRemovedByFilter)
        sortMethod = try container.decodeIfPresent(String.self, forKey: .sortMethod)
        sortSpaceType = try container.decodeIfPresent(String.self, forKey: .sortSpaceType)
        hashBatches = try container.decodeIfPresent(Int.self, forKey: .hashBatches)
        parallelAware = try container.decodeIfPresent(Bool.self, forKey: .parallelAware) ?? false
        workersPlanned = try container.decodeIfPresent(Int.self, forKey: .workersPlanned)
        children = try container.decodeIfPresent([PlanNode].self, forKey: .children) ?? []
    }

    /// The root node of `EXPLAIN (FORMAT JSON)` output (an array holding one `{"Plan": …}`).
    public static func parse(explainJSON: String) throws -> PlanNode {
        struct Explained: Decodable {
            var plan: PlanNode
            enum CodingKeys: String, CodingKey { case plan = "Plan" }
        }
        let explained = try JSONDecoder().decode([Explained].self, from: Data(explainJSON.utf8))
        guard let first = explained.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "EXPLAIN returned no plan"))
        }
        var plan = first.plan
        plan.setParallelDivisors(workers: nil)
        return plan
    }

    /// Below a Gather with w workers, parallel-aware nodes estimate per process: w workers plus the
    /// leader, which spends part of its time gathering (1 − 0.3·w of a process, as the planner counts).
    private mutating func setParallelDivisors(workers: Int?) {
        let workers = workersPlanned ?? workers
        if parallelAware, let workers, workers > 0 {
            parallelDivisor = Double(workers) + max(0, 1 - 0.3 * Double(workers))
        }
        for index in children.indices { children[index].setParallelDivisors(workers: workers) }
    }

    /// This node and every node below it, depth first.
    public var allNodes: [PlanNode] {
        [self] + children.flatMap(\.allNodes)
    }

    /// "schema.table" quoted as SQL needs it, or the table alone when the plan was not VERBOSE.
    public var qualifiedRelation: String? {
        relationName.map { SQLIdentifier.qualified(schema, $0) }
    }

    /// The plan reads a HypoPG hypothetical index (HypoPG names them "<oid>btree_…").
    public var usesHypotheticalIndex: Bool {
        allNodes.contains { $0.indexName?.hasPrefix("<") == true }
    }
}
