/// A missing-index fix that `strain verify` may run: only a statement this diagnoser generated itself,
/// proven by generating it again from the run's saved evidence. What runs is the regenerated
/// statement, never text read from a file.
public struct GeneratedIndexFix: Sendable, Equatable {
    public var suggestion: IndexSuggestion

    /// The suggestion whose `CREATE INDEX CONCURRENTLY` statement is exactly `fix`, regenerated from
    /// the plans and relations in `evidence`; nil when none is (edited, or not generated here).
    public init?(fix: String, evidence: PostgresEvidence) {
        let suggestions = evidence.plans.flatMap { IndexAdvisor.suggestions(for: $0, relations: evidence.relations) }
        guard let suggestion = suggestions.first(where: { $0.createStatement == fix }) else { return nil }
        self.suggestion = suggestion
    }

    public var createStatement: String { suggestion.createStatement }

    /// Drops exactly the index `createStatement` creates, without blocking writes to the table.
    public var dropStatement: String {
        "DROP INDEX CONCURRENTLY IF EXISTS \(qualifiedIndex);"
    }

    /// The index's name as SQL takes it, schema-qualified and quoted.
    public var qualifiedIndex: String {
        SQLIdentifier.qualified(suggestion.schema, suggestion.indexName)
    }

    /// The fixed statement's mean execution time over a run's window, in seconds; nil when it did not run.
    public func meanSeconds(in evidence: PostgresEvidence?) -> Double? {
        guard let first = evidence?.statementSnapshots.first, let last = evidence?.statementSnapshots.last else { return nil }
        return StatementWindow(from: first, to: last).statements.first { $0.queryID == suggestion.queryID && $0.calls > 0 }?.meanSeconds
    }

    /// The fixed statement's plan in a run's evidence: its scans of the fix's table.
    public func scans(in evidence: PostgresEvidence?) -> [String]? {
        Self.scans(in: evidence?.plans.first { $0.queryID == suggestion.queryID }, of: suggestion.table)
    }

    /// "Seq Scan on public.orders", "Index Scan using orders_email_idx on public.orders": the plan's
    /// scans of the fix's table, in plan order.
    public static func scans(in plan: StatementPlan?, of table: String) -> [String]? {
        guard let json = plan?.json, let root = try? PlanNode.parse(explainJSON: json) else { return nil }
        return root.allNodes.filter { $0.relationName == table }.map { node in
            node.nodeType + (node.indexName.map { " using \($0)" } ?? "") + " on " + (node.qualifiedRelation ?? table)
        }
    }
}
