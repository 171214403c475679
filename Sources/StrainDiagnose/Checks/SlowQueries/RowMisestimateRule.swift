import Foundation

/// Step 2: the planner's row estimate is far from the actual rows (EXPLAIN ANALYZE only), which
/// misleads its choice of plan.
enum RowMisestimateRule {
    /// Actual rows this many times off the estimate (either way) mislead the planner.
    static let misestimateFactor = 10.0
    static let misestimateMinimumRows = 1000.0

    static func finding(_ context: StatementContext, plan root: PlanNode) -> Finding? {
        let worst = root.allNodes.compactMap { node -> (node: PlanNode, factor: Double)? in
            guard let actual = node.actualRows else { return nil }
            let estimated = max(node.planRows, 1)
            let factor = max(actual, 1) / estimated
            let off = max(factor, 1 / factor)
            let rowsOff = abs(actual - node.planRows) * (node.actualLoops ?? 1)
            return off >= misestimateFactor && rowsOff >= misestimateMinimumRows
                ? (node, off) : nil
        }.max { $0.factor < $1.factor }
        guard let worst else { return nil }
        let node = worst.node
        let target = node.qualifiedRelation.map { " on \($0)" } ?? ""
        var evidence = context.statementEvidence
        evidence.append("\(node.nodeType)\(target): estimated \(Format.count(node.planRows)) rows, actual "
                        + "\(Format.count(node.actualRows ?? 0)) per loop (\(Format.significant(worst.factor))× off)")
        let table = node.qualifiedRelation ?? "the tables involved"
        return Finding(step: .slowQueries, check: .rowMisestimate, title: "Row estimate far from the actual rows",
                       object: context.object, evidence: evidence, impact: context.impact, severity: .warning,
                       fix: "Refresh the statistics (`ANALYZE \(table);`); for correlated columns add extended statistics "
                           + "(`CREATE STATISTICS … (dependencies, mcv) ON col_a, col_b FROM \(table);`), or raise the "
                           + "column's statistics target.")
    }
}
