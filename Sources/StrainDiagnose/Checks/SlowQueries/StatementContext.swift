import Foundation

/// One top statement with everything known about it, and what every rule on a statement shares:
/// its evidence, impact and severity, and the plan-based rules run in order.
struct StatementContext {
    let statement: StatementActivity
    let databaseSeconds: Double
    /// The sessions' sampled waits for locks within `databaseSeconds`.
    let lockWaitSeconds: Double
    let postgres: PostgresEvidence
    let input: CheckInput

    var plan: StatementPlan? { postgres.plans.first { $0.queryID == statement.queryID } }
    var impact: Finding.Impact { input.impact(seconds: statement.seconds) }
    var databaseShare: Double { databaseSeconds > 0 ? statement.seconds / databaseSeconds : 0 }
    var problemSeverity: Finding.Severity { input.severity(forProblemTaking: impact.share ?? databaseShare) }
    var object: String { SQLText.brief(statement.query, limit: 120) }

    var statementEvidence: [String] {
        ["statement: \(SQLText.brief(statement.query))",
         "\(Format.count(statement.calls)) calls, \(Format.duration(statement.seconds)) in total "
            + "(\(Format.percent(databaseShare)) of database time), \(Format.duration(statement.meanSeconds)) per call, "
            + "\(Format.significant(statement.rowsPerCall)) rows per call"]
    }

    /// Notable for its time alone: a large share of the database's time less its lock waits, or
    /// slow per call whatever its share. A statement's own time keeps its waits, so one that mostly
    /// waits for locks is still notable (and reported as lock-bound).
    var isNotable: Bool {
        let working = databaseSeconds - lockWaitSeconds
        let share = working > 0 ? statement.seconds / working : databaseShare
        return share >= SlowQueriesCheck.notableShare || statement.meanSeconds >= StatementWindow.slowCallSeconds
    }

    func planFindings() -> [Finding] {
        guard let plan, let json = plan.json, let root = try? PlanNode.parse(explainJSON: json) else { return [] }
        let planKind = plan.analyzed ? "EXPLAIN ANALYZE" : plan.sample != nil ? "plan of the captured sample"
            : plan.generic ? "generic plan" : "plan"
        var findings = IndexAdvisor.selectiveScans(in: root, relations: postgres.relations).map { scan in
            let evidence = scanEvidence(scan, planKind: planKind)
            return IndexAdvisor.suggestion(for: scan, queryID: statement.queryID)
                .map { MissingIndexRule.finding(self, suggestion: $0, relation: scan.relation, evidence: evidence) }
                ?? SeqScanRule.finding(self, scan: scan, evidence: evidence)
        }
        if let spill = DiskSpillRule.finding(self, plan: root) { findings.append(spill) }
        if plan.analyzed, let misestimate = RowMisestimateRule.finding(self, plan: root) { findings.append(misestimate) }
        guard let sampleEvidence else { return findings }
        return findings.map { finding in
            var finding = finding
            finding.evidence.insert(sampleEvidence, at: min(2, finding.evidence.count))
            return finding
        }
    }

    /// Where the plan came from when the normalised text could not be planned but a sample could.
    var sampleEvidence: String? {
        guard let plan, let sample = plan.sample else { return nil }
        return "could not be explained as normalised (EXPLAIN failed: \(plan.error ?? "unknown error")); the plan is that of a "
            + "sample captured from pg_stat_activity during the window, with its literals: \(SQLText.brief(sample))"
    }

    /// What both rules on a sequential scan say about it: the statement, the scan, and the table's
    /// sequential scans during the window.
    private func scanEvidence(_ scan: IndexAdvisor.SelectiveScan, planKind: String) -> [String] {
        let relation = scan.relation
        let table = SQLIdentifier.qualified(relation.schema, relation.name)
        var evidence = statementEvidence
        evidence.append("\(planKind): Seq Scan on \(table) (\(Format.count(relation.rows)) rows, "
                        + "\(Format.bytes(Double(relation.bytes)))) keeps \(Format.percent(scan.keptShare)) of the rows "
                        + "with filter \(scan.node.filter ?? "")")
        if let invalid = relation.invalidIndexes, !invalid.isEmpty {
            evidence.append("INVALID index\(invalid.count == 1 ? "" : "es"), which the planner never uses (a CREATE INDEX CONCURRENTLY "
                            + "that failed, or one still running): " + invalid.map { index in
                                "\(SQLIdentifier.qualified(relation.schema, index.name)) (\(index.columns.joined(separator: ", ")))"
                            }.joined(separator: ", "))
        }
        if let start = postgres.tablesAtStart.first(where: { $0.schema == relation.schema && $0.name == relation.name }),
           let end = postgres.tablesAtEnd.first(where: { $0.schema == relation.schema && $0.name == relation.name }),
           end.sequentialScans > start.sequentialScans {
            evidence.append("\(table): \(Format.count(end.sequentialScans - start.sequentialScans)) "
                            + "sequential scans read \(Format.count(end.sequentialRowsRead - start.sequentialRowsRead)) rows during the window")
        }
        return evidence
    }
}
