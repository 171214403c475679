import Foundation

/// Step 2: a statement's sort or hash spills to disk (temporary blocks written, or a plan node on disk).
enum DiskSpillRule {
    static func finding(_ context: StatementContext, plan root: PlanNode) -> Finding? {
        let statement = context.statement
        let spilling = root.allNodes.filter { $0.sortSpaceType == "Disk" || ($0.hashBatches ?? 1) > 1 }
        guard statement.tempBlocksWritten > 0 || !spilling.isEmpty else { return nil }
        var evidence = context.statementEvidence
        if statement.tempBlocksWritten > 0 {
            evidence.append("wrote \(Format.count(statement.tempBlocksWritten)) temporary blocks "
                            + "(\(Format.bytes(Double(statement.tempBlocksWritten) * 8192))) during the window")
        }
        for node in spilling {
            if node.sortSpaceType == "Disk" {
                evidence.append("\(node.nodeType): \(node.sortMethod ?? "sort") on disk")
            } else if let batches = node.hashBatches {
                evidence.append("\(node.nodeType): \(batches) batches (the hash table did not fit in work_mem)")
            }
        }
        return Finding(step: .slowQueries, check: .diskSpill, title: "Sort or hash spills to disk",
                       object: context.object, evidence: evidence, impact: context.impact, severity: context.problemSeverity,
                       fix: "Give this statement more work_mem (`SET LOCAL work_mem = '64MB'` in its transaction), or make it "
                           + "sort and hash fewer rows: an index in the ORDER BY order, a narrower select list, a tighter filter.")
    }
}
