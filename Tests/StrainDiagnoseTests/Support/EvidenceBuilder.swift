import Foundation
@testable import StrainDiagnose

/// Evidence assembled from captured fixtures, for the checks' unit tests.
enum EvidenceBuilder {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func evidence(seconds: Double = 6, host: HostEvidence? = nil, postgres: PostgresEvidence? = nil,
                         dependencies: [DependencyEvidence] = [], profiler: ProfilerEvidence? = nil,
                         service: ServiceProcessEvidence? = nil) -> Evidence {
        Evidence(startedAt: start, endedAt: start.addingTimeInterval(seconds), host: host, postgres: postgres,
                 dependencies: dependencies, profiler: profiler, service: service)
    }

    /// The captured busy /proc pair, two seconds apart, after `change` edits the second sample.
    static func host(change: (inout HostSample) -> Void = { _ in }) -> HostEvidence {
        let first = ProcFiles(texts: ProcFixtures.busyStart).sample(at: start)
        var second = ProcFiles(texts: ProcFixtures.busyEnd).sample(at: start.addingTimeInterval(2))
        change(&second)
        return HostEvidence(source: "/proc", cores: 2, sharedWithGenerator: false, samples: [first, second])
    }

    /// The captured pair with the second sample turned quiet: 2 s × 2 cores of mostly idle time,
    /// nothing waiting. (The shared test machine was never idle when the fixtures were captured.)
    static func quietHost() -> HostEvidence {
        let first = ProcFiles(texts: ProcFixtures.busyStart).sample(at: start)
        var second = first
        second.at = start.addingTimeInterval(2)
        second.cpu?.user += 0.3
        second.cpu?.system += 0.1
        second.cpu?.idle += 3.6
        second.runnable = 1
        second.pressure?.cpuSome? += 0.02
        second.pressure?.ioSome? += 0.001
        return HostEvidence(source: "/proc", cores: 2, sharedWithGenerator: false, samples: [first, second])
    }

    static func postgres(snapshots: [StatementSnapshot] = [StatementFixtures.start, StatementFixtures.end],
                         plans: [StatementPlan] = [], relations: [RelationInfo] = [], trials: [IndexTrial] = [],
                         activity: [ActivitySample] = [], hypopg: Bool = true) -> PostgresEvidence {
        PostgresEvidence(database: "shop", serverVersion: 150_020, maxConnections: 100, statementSnapshots: snapshots,
                         activity: activity, plans: plans, relations: relations, indexTrials: trials, hypopgAvailable: hypopg)
    }

    static func snapshot(_ label: String, _ statements: [StatementCounters], deallocations: Int64? = 0,
                         reset: String? = "2024-01-01 00:00:00+00") -> StatementSnapshot {
        StatementSnapshot(label: label, at: start, statements: statements, deallocations: deallocations, statsReset: reset)
    }

    static func statement(_ id: Int64, _ query: String, calls: Int64, milliseconds: Double, rows: Int64,
                          tempBlocks: Int64 = 0) -> StatementCounters {
        StatementCounters(queryID: id, userID: 10, toplevel: true, query: query, calls: calls,
                          totalExecMilliseconds: milliseconds, rows: rows, tempBlocksWritten: tempBlocks)
    }

    static func session(pid: Int32, state: String, query: String, application: String = "shop", stateSeconds: Double = 0,
                        querySeconds: Double = 0, waitEventType: String? = nil, blockedBy: [Int32] = []) -> SessionState {
        SessionState(pid: pid, user: "app", application: application, client: "10.0.0.5", state: state,
                     waitEventType: waitEventType, waitEvent: waitEventType == "Lock" ? "transactionid" : nil,
                     transactionSeconds: stateSeconds, stateSeconds: stateSeconds, querySeconds: querySeconds,
                     query: query, blockedBy: blockedBy)
    }

    static func load(requests: UInt64, seconds: Double, network: Double? = nil, poolWait: Double? = nil) -> LoadContext {
        LoadContext(endpoints: [.init(scenario: "shop", step: "orders", kind: .http, requests: requests, totalSeconds: seconds,
                                      networkSeconds: network, poolWaitSeconds: poolWait)])
    }
}
