import Foundation
import StrainDiagnose

/// pg_stat_statements rows captured by `strain diagnose` on the test cluster while pgbench ran two
/// scripts: a lookup by e-mail on a 200,000-row table without an index, and a list of 10 books
/// followed by one query per book (N+1). Only the statements the tests need are kept, verbatim.
enum StatementFixtures {
    static let start = StatementSnapshot(label: "start", at: Date(timeIntervalSince1970: 0), statements: [
        StatementCounters(queryID: -2991940491032773451, userID: 10, toplevel: true, query: "SELECT title FROM books WHERE id = $1 + $2 + $3", calls: 10, totalExecMilliseconds: 0.07367099999999999, rows: 10, sharedBlocksHit: 30, sharedBlocksRead: 0, tempBlocksWritten: 0),
        StatementCounters(queryID: 2551424277164899451, userID: 10, toplevel: true, query: "SELECT id FROM books WHERE shelf = $1", calls: 1, totalExecMilliseconds: 0.058977999999999996, rows: 10, sharedBlocksHit: 7, sharedBlocksRead: 2, tempBlocksWritten: 0),
        StatementCounters(queryID: -4503626745624471906, userID: 10, toplevel: true, query: "INSERT INTO orders (customer_email, status, total) SELECT $1 || (i % $2) || $3, CASE WHEN i % $4 = $5 THEN $6 ELSE $7 END, i % $8 FROM generate_series($9, $10) i", calls: 1, totalExecMilliseconds: 564.3095569999999, rows: 200000, sharedBlocksHit: 753561, sharedBlocksRead: 3, tempBlocksWritten: 342),
    ], deallocations: 0, statsReset: "2026-11-21 08:54:18.045576+00")
    static let end = StatementSnapshot(label: "end", at: Date(timeIntervalSince1970: 6), statements: [
        StatementCounters(queryID: -2991940491032773451, userID: 10, toplevel: true, query: "SELECT title FROM books WHERE id = $1 + $2 + $3", calls: 6196, totalExecMilliseconds: 15.076916000000029, rows: 6196, sharedBlocksHit: 18588, sharedBlocksRead: 0, tempBlocksWritten: 0),
        StatementCounters(queryID: 2551424277164899451, userID: 10, toplevel: true, query: "SELECT id FROM books WHERE shelf = $1", calls: 620, totalExecMilliseconds: 12.865422999999979, rows: 6200, sharedBlocksHit: 5226, sharedBlocksRead: 3, tempBlocksWritten: 0),
        StatementCounters(queryID: 6118623111818684787, userID: 10, toplevel: true, query: "SELECT id, total FROM orders WHERE customer_email = $2 || $1 || $3 AND status = $4", calls: 577, totalExecMilliseconds: 11239.520501999998, rows: 216, sharedBlocksHit: 961859, sharedBlocksRead: 0, tempBlocksWritten: 0),
        StatementCounters(queryID: -4503626745624471906, userID: 10, toplevel: true, query: "INSERT INTO orders (customer_email, status, total) SELECT $1 || (i % $2) || $3, CASE WHEN i % $4 = $5 THEN $6 ELSE $7 END, i % $8 FROM generate_series($9, $10) i", calls: 1, totalExecMilliseconds: 564.3095569999999, rows: 200000, sharedBlocksHit: 753561, sharedBlocksRead: 3, tempBlocksWritten: 342),
    ], deallocations: 0, statsReset: "2026-11-21 08:54:18.045576+00")
}
