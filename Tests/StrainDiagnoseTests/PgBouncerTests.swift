import Foundation
import Testing
@testable import StrainDiagnose

/// `SHOW POOLS` / `SHOW STATS` rows captured from PgBouncer 1.18 (pool_size 1, transaction mode)
/// while three clients ran pg_sleep through it.
struct PgBouncerTests {
    typealias B = EvidenceBuilder

    static let poolColumns = ["database", "user", "cl_active", "cl_waiting", "cl_active_cancel_req", "cl_waiting_cancel_req",
                              "sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle", "sv_used", "sv_tested",
                              "sv_login", "maxwait", "maxwait_us", "pool_mode"]
    static let statsColumns = ["database", "total_xact_count", "total_query_count", "total_received", "total_sent",
                               "total_xact_time", "total_query_time", "total_wait_time", "avg_xact_count",
                               "avg_query_count", "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time", "avg_wait_time"]

    static func rows(_ columns: [String], _ lines: [String]) -> [[String: String]] {
        lines.map { Dictionary(uniqueKeysWithValues: zip(columns, $0.split(separator: "|").map(String.init))) }
    }

    static let waiting = PgBouncerSample(
        at: B.start,
        pools: rows(poolColumns, ["pgbouncer|pgbouncer|1|0|0|0|0|0|0|0|0|0|0|0|0|statement",
                                  "strain_test|postgres|1|2|0|0|1|0|0|0|0|0|0|1|523056|transaction"]),
        stats: rows(statsColumns, ["pgbouncer|4|4|0|0|0|0|0|0|0|0|0|0|0|0",
                                   "strain_test|3|3|24|42|0|0|2628|0|0|6|11|0|0|744"]))

    static let later = PgBouncerSample(
        at: B.start.addingTimeInterval(3),
        pools: rows(poolColumns, ["strain_test|postgres|1|0|0|0|1|0|0|0|0|0|0|0|0|transaction"]),
        stats: rows(statsColumns, ["strain_test|7|7|168|498|30021322|30021322|21010312|0|0|2|8|4288760|4288760|348809"]))

    @Test func adminConsoleRowsBecomePools() throws {
        let sample = Self.waiting
        #expect(sample.pools.count == 1)
        let pool = try #require(sample.pools.first)
        #expect(pool.name == "strain_test/postgres")
        #expect(pool.clientsWaiting == 2)
        #expect(pool.serversActive == 1)
        #expect(pool.maxWaitSeconds == 1.523056)
        #expect(pool.mode == "transaction")
        #expect(sample.waitSecondsByDatabase == ["strain_test": 0.002628])
    }

    @Test func waitingClientsAreAFindingCostedByTheirWaitTime() throws {
        var evidence = B.evidence()
        evidence.pgbouncer = PgBouncerEvidence(samples: [Self.waiting, Self.later])
        let found = ConnectionPoolsCheck.run(CheckInput(evidence: evidence, load: nil, options: CheckOptions())).findings
        let finding = try #require(found.first)
        #expect(found.map(\.check) == [.pgbouncerWait])
        #expect(finding.object == "PgBouncer pool strain_test/postgres")
        #expect(finding.severity == .critical)
        #expect(abs(finding.impact.totalSeconds - (21.010312 - 0.002628)) < 1e-9)
        #expect(finding.evidence.first == "up to 2 clients waiting (cl_waiting); the longest waited 1.52 s")
    }

    @Test func noWaitingClientsNoFinding() {
        var evidence = B.evidence()
        evidence.pgbouncer = PgBouncerEvidence(samples: [Self.later, Self.later])
        #expect(ConnectionPoolsCheck.run(CheckInput(evidence: evidence, load: nil, options: CheckOptions())).findings.isEmpty)
    }
}
