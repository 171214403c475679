import Testing
@testable import StrainDiagnose

/// Which captured sample stands for a pg_stat_statements entry when its normalised text cannot be planned.
struct StatementSampleTests {
    static func statement(_ id: Int64, _ query: String) -> StatementActivity {
        StatementActivity(queryID: id, userID: 10, toplevel: true, query: query, calls: 10, seconds: 1, rows: 10,
                          sharedBlocksRead: 0, tempBlocksWritten: 0)
    }

    static let dashboard = "SELECT status, count(*) FROM orders WHERE created_at > now() - interval $1 GROUP BY status"

    @Test(arguments: [
        // The server's query_id decides when both sides have it, whatever the text.
        ([StatementSample(queryID: 8, query: "SELECT 1"), StatementSample(queryID: 7, query: "SELECT 2")], "SELECT 2"),
        // Without query_id (PostgreSQL 13, compute_query_id off): literals and $n normalise alike.
        ([StatementSample(queryID: nil, query: "select status, count(*)  FROM orders WHERE created_at > now() - interval '3 days' GROUP BY status")],
         "select status, count(*)  FROM orders WHERE created_at > now() - interval '3 days' GROUP BY status"),
        // Another statement's sample never stands in, and one with another query_id is not compared by text.
        ([StatementSample(queryID: nil, query: "SELECT status FROM orders WHERE created_at > now() - interval '3 days'"),
          StatementSample(queryID: 9, query: "SELECT status, count(*) FROM orders WHERE created_at > now() - interval '3 days' GROUP BY status")],
         nil),
    ] as [([StatementSample], String?)])
    func theSampleOfAStatementIsFoundByQueryIDElseByNormalisedText(samples: [StatementSample], expected: String?) {
        #expect(StatementSample.of(Self.statement(7, Self.dashboard), in: samples)?.query == expected)
    }

    /// A statement planned from its sample says so, and that its normalised text could not be planned.
    @Test func aPlanFromASampleIsSaidToBeOne() throws {
        let start = EvidenceBuilder.snapshot("start", [])
        let end = EvidenceBuilder.snapshot("end", [EvidenceBuilder.statement(7, Self.dashboard, calls: 100, milliseconds: 2000, rows: 300)])
        let plan = StatementPlan(queryID: 7, generic: false, analyzed: false,
                                 json: #"[{"Plan": {"Node Type": "Result", "Total Cost": 0.01, "Plan Rows": 1}}]"#,
                                 error: "ERROR:  syntax error at or near \"$1\"",
                                 sample: "SELECT status, count(*) FROM orders WHERE created_at > now() - interval '30 days' GROUP BY status")
        let evidence = EvidenceBuilder.evidence(postgres: EvidenceBuilder.postgres(snapshots: [start, end], plans: [plan]))
        let finding = try #require(Diagnoser.diagnose(evidence).findings.first)
        #expect(finding.check == .topStatement)
        #expect(finding.evidence.contains("could not be explained as normalised (EXPLAIN failed: ERROR:  syntax error at or near \"$1\"); "
                                          + "the plan is that of a sample captured from pg_stat_activity during the window, with its "
                                          + "literals: SELECT status, count(*) FROM orders WHERE created_at > now() - interval '30 days' "
                                          + "GROUP BY status"))
        #expect(!finding.fix.contains("Nothing wrong"))
    }
}
