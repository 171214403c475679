import Foundation

/// Step 2: which statements took the database's time during the window, and why: a missing
/// index, a sort or hash spilling to disk, a bad row estimate, or one query per row (N+1).
enum SlowQueriesCheck {
    /// A statement without a known problem is reported when it takes this share of database time…
    static let notableShare = 0.10
    /// …and is a warning when its calls are this slow on average.
    static let slowCall = 0.1
    /// A statement spending this share of its time waiting for locks is lock-bound.
    static let lockBoundShare = 0.5
    /// Actual rows this many times off the estimate (either way) mislead the planner.
    static let misestimateFactor = 10.0
    static let misestimateMinimumRows = 1000.0

    static func run(_ input: CheckInput) -> CheckResult {
        guard let postgres = input.evidence.postgres else { return CheckResult(findings: [], summary: "no PostgreSQL connection") }
        guard let window = input.statements else {
            return CheckResult(findings: [], summary: "no pg_stat_statements snapshots")
        }
        let databaseSeconds = window.toplevelSeconds
        var findings: [Finding] = []
        var explained: Set<Int64> = []

        for pattern in NPlusOneDetector.detect(in: window.statements, load: input.load, intervals: input.activityIntervals,
                                               activity: postgres.activity) {
            findings.append(nPlusOneFinding(pattern, databaseSeconds: databaseSeconds, input))
            explained.insert(pattern.repeated.queryID)
        }
        for statement in window.explainCandidates() {
            let context = StatementContext(statement: statement, databaseSeconds: databaseSeconds, postgres: postgres, input: input)
            let planFindings = context.planFindings()
            findings += planFindings
            if planFindings.isEmpty && !explained.contains(statement.queryID),
               let finding = context.notableStatementFinding() {
                findings.append(finding)
            }
        }
        return CheckResult(findings: findings, summary: summary(window, postgres: postgres, databaseSeconds: databaseSeconds))
    }

    private static func nPlusOneFinding(_ pattern: NPlusOne, databaseSeconds: Double, _ input: CheckInput) -> Finding {
        let repeated = pattern.repeated
        let unit = pattern.endpoint.map { "request of \($0.name)" } ?? (pattern.inferred ? "call of the list statement" : "request")
        var evidence = [
            "statement: \(SQLText.brief(repeated.query))",
            "\(Format.count(repeated.calls)) calls, \(Format.significant(pattern.callsPerUnit)) per \(unit), "
                + "\(Format.significant(repeated.rowsPerCall)) rows per call, \(Format.duration(repeated.meanSeconds)) each, "
                + "\(Format.duration(repeated.seconds)) in total",
        ]
        if let list = pattern.list {
            evidence.append("list statement: \(SQLText.brief(list.query)) — \(Format.count(list.calls)) calls returning "
                            + "\(Format.significant(list.rowsPerCall)) rows each")
        }
        evidence += attributionEvidence(pattern, windowMode: input.load == nil)
        let cost = NPlusOneCost(pattern, postgres: input.evidence.postgres)
        if let roundTrip = input.evidence.postgres?.roundTripSeconds {
            evidence.append("each call also costs a round trip, \(Format.duration(roundTrip)) as measured from the diagnoser's "
                            + "session: \(Format.duration(cost.estimated)) with the execution time")
        } else {
            evidence.append("each call also costs a network round trip, which was not measured and is not in this total")
        }
        if let observed = cost.observed {
            evidence.append("sessions were seen on it (running it, or in their transaction between it and their next statement) "
                            + "for about \(Format.duration(observed.seconds)) in \(Format.count(observed.samples)) samples "
                            + "\(Format.duration(StatementOccupancySampler.gaps.lowerBound))–"
                            + "\(Format.duration(StatementOccupancySampler.gaps.upperBound)) apart"
                            + (observed.seconds > cost.estimated ? ": its calls cost the clients that much, round trips and "
                                                                   + "client time between calls included" : ""))
        }
        let seconds = cost.seconds
        if let endpoint = pattern.endpoint {
            evidence.append("\(endpoint.name): \(Format.count(endpoint.requests)) requests, \(Format.duration(endpoint.meanSeconds)) each")
        }
        let impact = input.impact(seconds: seconds, endpoints: pattern.endpoint.map { [$0.name] })
        let share = impact.share ?? (databaseSeconds > 0 ? repeated.seconds / databaseSeconds : nil)
        let times = "\(Format.significant(pattern.callsPerUnit)) times per \(unit)"
        let object = SQLText.brief(repeated.query, limit: 120)
        let severity = input.severity(forProblemTaking: share)
        if pattern.isRepeatedLookup {
            return Finding(step: .slowQueries, check: .repeatedLookup, title: "Repeated lookup: the same statement and parameters \(times)",
                           object: object, evidence: evidence, impact: impact, severity: severity,
                           fix: "It asks the same question every time: cache the answer per process (invalidated when the "
                               + "table changes) or at least once per request, instead of querying on every use.")
        }
        return Finding(step: .slowQueries, check: .nPlusOne, title: "N+1 queries: one statement runs \(times)",
                       object: object, evidence: evidence, impact: impact, severity: severity,
                       fix: "Fetch the rows in one statement: join the table into the list query, or load them all with "
                           + "`WHERE … = ANY($1)` passing the list's ids (in an ORM: eager loading, e.g. includes / "
                           + "select_related / JOIN FETCH).")
    }

    /// How the pattern was tied to its list and endpoint, and what its captured parameters show.
    private static func attributionEvidence(_ pattern: NPlusOne, windowMode: Bool) -> [String] {
        var lines: [String] = []
        switch pattern.basis {
        case .intervals:
            lines.append("endpoint from the data: its calls per interval track \(pattern.endpoint?.name ?? "?")'s requests per interval"
                         + (pattern.list == nil ? "; no list statement tracks that endpoint" : ", and so do the list statement's"))
        case .undetermined(let candidates):
            lines.append("the endpoint could not be determined from the data: the per-interval calls do not single out one "
                         + "endpoint's requests" + (candidates.isEmpty ? "" : " (candidates: \(candidates.joined(separator: ", ")))"))
        case .totals:
            if windowMode && pattern.list != nil {
                lines.append("pairing inferred from call counts (no request count in window mode)")
            } else if pattern.endpoint != nil {
                lines.append("endpoint from totals only: it makes about one request per call of the list statement "
                             + "(no per-interval counts to confirm it)")
            }
        }
        if let parameters = pattern.parameters {
            lines.append(parameters.distinct == 1
                ? "\(parameters.samples) captured samples all had the same parameters: \(SQLText.brief(parameters.example))"
                : "\(parameters.samples) captured samples had \(parameters.distinct) different parameter sets")
        }
        return lines
    }

    private static func summary(_ window: StatementWindow, postgres: PostgresEvidence, databaseSeconds: Double) -> String {
        var parts = ["\(window.statements.count) statements ran in database \(postgres.database) "
                     + "(\(Format.duration(databaseSeconds)) of execution time)",
                     "\(postgres.plans.count) explained"]
        if postgres.hypopgAvailable { parts.append("index suggestions tried with HypoPG") }
        if postgres.diagnoserIsSuperuser == true {
            // SET ROLE is what keeps planning at the statement's privileges, and a superuser session
            // lets a function planned that way SET ROLE back: a least-privilege role closes that door.
            parts.append("warning: the diagnoser connected as superuser \(postgres.diagnoserRole ?? "?"); statements are "
                         + "explained as the roles that ran them, but a function can take the superuser role back while "
                         + "it is planned: diagnose as a least-privilege role (pg_monitor, see the README)")
        }
        if let evictions = window.evictions, evictions > 0 {
            parts.append("pg_stat_statements evicted \(Format.count(evictions)) entries during the window, so some statements "
                         + "may be missing or undercounted: raise pg_stat_statements.max")
        }
        if window.wasReset { parts.append("the statistics were reset during the window: totals cover only the time since") }
        let snapshots = postgres.statementSnapshots
        if snapshots.count > 2 {
            // Phase marks split the window: each phase runs from its mark to the next snapshot.
            let phases = zip(snapshots, snapshots.dropFirst()).map { start, end in
                "\(start.label == "start" ? "before the first phase" : start.label) "
                    + Format.duration(StatementWindow(from: start, to: end).toplevelSeconds)
            }
            parts.append("execution time by phase: \(phases.joined(separator: ", "))")
        }
        if let start = postgres.databaseAtStart, let end = postgres.databaseAtEnd {
            let reads = end.blocksRead - start.blocksRead
            let hits = end.blocksHit - start.blocksHit
            if reads + hits > 0 { parts.append("cache hit \(Format.percent(Double(hits) / Double(reads + hits)))") }
            if end.tempFiles > start.tempFiles {
                parts.append("\(Format.count(end.tempFiles - start.tempFiles)) temporary files "
                             + "(\(Format.bytes(Double(end.tempBytes - start.tempBytes))))")
            }
        }
        return parts.joined(separator: "; ")
    }
}

/// One top statement with everything known about it.
private struct StatementContext {
    let statement: StatementActivity
    let databaseSeconds: Double
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

    func planFindings() -> [Finding] {
        guard let plan, let json = plan.json, let root = try? PlanNode.parse(explainJSON: json) else { return [] }
        let planKind = plan.analyzed ? "EXPLAIN ANALYZE" : plan.sample != nil ? "plan of the captured sample"
            : plan.generic ? "generic plan" : "plan"
        var findings = IndexAdvisor.selectiveScans(in: root, relations: postgres.relations).map { scan in
            scanFinding(scan, planKind: planKind)
        }
        if let spill = spillFinding(root) { findings.append(spill) }
        if plan.analyzed, let misestimate = misestimateFinding(root) { findings.append(misestimate) }
        guard let sampleEvidence else { return findings }
        return findings.map { finding in
            var finding = finding
            finding.evidence.insert(sampleEvidence, at: min(2, finding.evidence.count))
            return finding
        }
    }

    /// Where the plan came from when the normalised text could not be planned but a sample could.
    private var sampleEvidence: String? {
        guard let plan, let sample = plan.sample else { return nil }
        return "could not be explained as normalised (EXPLAIN failed: \(plan.error ?? "unknown error")); the plan is that of a "
            + "sample captured from pg_stat_activity during the window, with its literals: \(SQLText.brief(sample))"
    }

    /// A statement reported for its time alone: a large share of the database's time, or slow per
    /// call whatever its share. What its plan showed — or why there is none — is said, never hidden.
    func notableStatementFinding() -> Finding? {
        let slowPerCall = statement.meanSeconds >= StatementWindow.slowCallSeconds
        guard databaseShare >= SlowQueriesCheck.notableShare || slowPerCall else { return nil }
        if let finding = lockBoundFinding() { return finding }
        var evidence = statementEvidence
        let unexplained = plan?.json == nil
        if unexplained { evidence.append(unexplainedReason) }
        if let sampleEvidence { evidence.append(sampleEvidence) }
        let slow = statement.meanSeconds >= SlowQueriesCheck.slowCall
        let fix = slow ? "Read its plan with EXPLAIN (ANALYZE, BUFFERS) on representative values and reduce the rows it touches."
            : unexplained ? "Its plan could not be read here: run EXPLAIN (ANALYZE, BUFFERS) on it with representative values."
            : plan?.sample != nil ? "The plan of a sample captured during the window shows no missing index or spill; if it "
                + "matters, check it with EXPLAIN (ANALYZE, BUFFERS) on other values, call it less often or cache its result."
            : "Nothing wrong was found in its plan; if it matters, call it less often or cache its result."
        return Finding(step: .slowQueries, check: .topStatement,
                       title: slow ? "Slow statement: \(Format.duration(statement.meanSeconds)) per call"
                                   : "Statement with the most database time",
                       object: object, evidence: evidence, impact: impact, severity: slow ? .warning : .info, fix: fix)
    }

    /// A statement whose time is mostly waiting for locks: its plan is not the problem, and
    /// caching would not help. The wait is ranked with the lock contention finding (step 3), so
    /// this one keeps only the statement's own execution time.
    private func lockBoundFinding() -> Finding? {
        let waited = min(statement.seconds, LockContentionCheck.waitSeconds(ofStatement: statement.queryID, query: statement.query,
                                                                            in: postgres.lockSamples ?? []))
        guard waited >= SlowQueriesCheck.lockBoundShare * statement.seconds, waited > 0 else { return nil }
        return Finding(step: .slowQueries, check: .lockBoundStatement,
                       title: "Statement mostly waiting for locks: \(Format.duration(waited)) of its \(Format.duration(statement.seconds))",
                       object: object,
                       evidence: statementEvidence + ["about \(Format.duration(waited)) of its time was spent waiting for locks "
                                                      + "(sampled every \(Format.duration(LockSampler.interval))): see the lock "
                                                      + "contention finding of step 3"],
                       impact: input.impact(seconds: statement.seconds - waited), severity: .info,
                       fix: "Its time is lock waits, not its plan: shorten the transactions holding the locks it waits for "
                           + "(step 3 names them); neither an index nor a cache would make it faster.")
    }

    private var unexplainedReason: String {
        guard let error = plan?.error else { return "not explained: no plan was taken for it" }
        return error.hasPrefix("not explained") ? error : "could not be explained: EXPLAIN failed: \(error)"
    }

    // MARK: Rules

    private func scanFinding(_ scan: IndexAdvisor.SelectiveScan, planKind: String) -> Finding {
        let relation = scan.relation
        let table = SQLIdentifier.qualified(relation.schema, relation.name)
        var evidence = statementEvidence
        evidence.append("\(planKind): Seq Scan on \(table) (\(Format.count(Int64(relation.rows))) rows, "
                        + "\(Format.bytes(Double(relation.bytes)))) keeps \(Format.percent(scan.keptShare)) of the rows "
                        + "with filter \(scan.node.filter ?? "")")
        if let start = postgres.tablesAtStart.first(where: { $0.schema == relation.schema && $0.name == relation.name }),
           let end = postgres.tablesAtEnd.first(where: { $0.schema == relation.schema && $0.name == relation.name }),
           end.sequentialScans > start.sequentialScans {
            evidence.append("\(table): \(Format.count(end.sequentialScans - start.sequentialScans)) "
                            + "sequential scans read \(Format.count(end.sequentialRowsRead - start.sequentialRowsRead)) rows during the window")
        }
        guard let suggestion = IndexAdvisor.suggestion(for: scan, queryID: statement.queryID) else {
            let indexed = relation.indexes.map { "(\($0.joined(separator: ", ")))" }
            return Finding(step: .slowQueries, check: .seqScan,
                           title: "Sequential scan of a large table for a few rows",
                           object: table,
                           evidence: evidence + (indexed.isEmpty ? [] : ["existing indexes: \(indexed.joined(separator: ", "))"]),
                           impact: impact, severity: problemSeverity,
                           fix: "The filter cannot use an index as written: compare plain columns with values (no function "
                               + "or cast on the column, no OR across columns), or create an expression index that matches it; "
                               + "if a matching index exists, run ANALYZE on the table and check the parameter types.")
        }
        let trial = postgres.indexTrials.first { $0.queryID == statement.queryID && $0.definition == suggestion.hypotheticalDefinition }
        let verified = trial.map(Self.isVerified) ?? false
        evidence.append(verification(trial))
        return Finding(step: .slowQueries, check: .missingIndex,
                       title: "Missing index on \(suggestion.object)\(verified ? " (verified with HypoPG)" : "")",
                       object: suggestion.object, evidence: evidence, impact: impact, severity: problemSeverity,
                       fix: suggestion.createStatement)
    }

    /// HypoPG shows the planner would use the index and the plan's cost at least halves.
    static func isVerified(_ trial: IndexTrial) -> Bool {
        guard trial.used, let before = trial.costBefore, let after = trial.costAfter else { return false }
        return after <= before / 2
    }

    private func verification(_ trial: IndexTrial?) -> String {
        guard let trial else {
            return postgres.hypopgAvailable ? "not verified: the index was not tried"
                                            : "not verified: HypoPG is not installed in this database"
        }
        if let error = trial.error { return "not verified: HypoPG failed: \(error)" }
        guard trial.used, let before = trial.costBefore, let after = trial.costAfter else {
            return "not verified: with the hypothetical index the planner still does not use it"
        }
        let change = "estimated cost \(Format.significant(before)) → \(Format.significant(after))"
        return Self.isVerified(trial) ? "verified with HypoPG: the planner uses the index, \(change)"
                                      : "HypoPG: the planner uses the index but the cost falls by less than half (\(change))"
    }

    private func spillFinding(_ root: PlanNode) -> Finding? {
        let spilling = root.allNodes.filter { $0.sortSpaceType == "Disk" || ($0.hashBatches ?? 1) > 1 }
        guard statement.tempBlocksWritten > 0 || !spilling.isEmpty else { return nil }
        var evidence = statementEvidence
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
                       object: object, evidence: evidence, impact: impact, severity: problemSeverity,
                       fix: "Give this statement more work_mem (`SET LOCAL work_mem = '64MB'` in its transaction), or make it "
                           + "sort and hash fewer rows: an index in the ORDER BY order, a narrower select list, a tighter filter.")
    }

    private func misestimateFinding(_ root: PlanNode) -> Finding? {
        let worst = root.allNodes.compactMap { node -> (node: PlanNode, factor: Double)? in
            guard let actual = node.actualRows else { return nil }
            let estimated = max(node.planRows, 1)
            let factor = max(actual, 1) / estimated
            let off = max(factor, 1 / factor)
            let rowsOff = abs(actual - node.planRows) * (node.actualLoops ?? 1)
            return off >= SlowQueriesCheck.misestimateFactor && rowsOff >= SlowQueriesCheck.misestimateMinimumRows
                ? (node, off) : nil
        }.max { $0.factor < $1.factor }
        guard let worst else { return nil }
        let node = worst.node
        let target = node.qualifiedRelation.map { " on \($0)" } ?? ""
        var evidence = statementEvidence
        evidence.append("\(node.nodeType)\(target): estimated \(Format.count(Int64(node.planRows))) rows, actual "
                        + "\(Format.count(Int64(node.actualRows ?? 0))) per loop (\(Format.significant(worst.factor))× off)")
        let table = node.qualifiedRelation ?? "the tables involved"
        return Finding(step: .slowQueries, check: .rowMisestimate, title: "Row estimate far from the actual rows",
                       object: object, evidence: evidence, impact: impact, severity: .warning,
                       fix: "Refresh the statistics (`ANALYZE \(table);`); for correlated columns add extended statistics "
                           + "(`CREATE STATISTICS … (dependencies, mcv) ON col_a, col_b FROM \(table);`), or raise the "
                           + "column's statistics target.")
    }
}
