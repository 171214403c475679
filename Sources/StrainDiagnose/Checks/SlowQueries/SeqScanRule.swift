import Foundation

/// Step 2: a sequential scan of a large table that keeps a few rows, with a filter no index can
/// serve as written (a function or cast on the column, an OR across columns): no index to suggest.
enum SeqScanRule {
    static func finding(_ context: StatementContext, scan: IndexAdvisor.SelectiveScan, evidence: [String]) -> Finding {
        let relation = scan.relation
        let indexed = relation.indexes.map { "(\($0.joined(separator: ", ")))" }
        return Finding(step: .slowQueries, check: .seqScan,
                       title: "Sequential scan of a large table for a few rows",
                       object: SQLIdentifier.qualified(relation.schema, relation.name),
                       evidence: evidence + (indexed.isEmpty ? [] : ["existing indexes: \(indexed.joined(separator: ", "))"]),
                       impact: context.impact, severity: context.problemSeverity,
                       fix: "The filter cannot use an index as written: compare plain columns with values (no function "
                           + "or cast on the column, no OR across columns), or create an expression index that matches it; "
                           + "if a matching index exists, run ANALYZE on the table and check the parameter types.")
    }
}
