import Foundation

/// One stretch of the window (between two `pg_stat_statements` snapshots) with what ran in it:
/// calls per statement and requests per endpoint.
public struct ActivityInterval: Sendable, Equatable {
    /// Calls per query id.
    public var statementCalls: [Int64: Int64]
    /// Requests per endpoint name.
    public var endpointRequests: [String: UInt64]

    public init(statementCalls: [Int64: Int64], endpointRequests: [String: UInt64]) {
        self.statementCalls = statementCalls
        self.endpointRequests = endpointRequests
    }
}

/// Which endpoint issues a statement, decided from the data: the one whose requests per interval
/// its calls per interval track (a least-squares ratio through the origin with a small residual).
/// Matching totals alone cannot tell two endpoints apart — a lookup run 20 times per request of
/// one endpoint has the same total as another endpoint's 20-row list — but changing rates can.
public enum EndpointAttribution: Sendable, Equatable {
    /// Exactly one endpoint's requests track the calls; `callsPerRequest` is the fitted ratio.
    case endpoint(String, callsPerRequest: Double)
    /// The data cannot separate the endpoints: every one of `candidates` fits (their rates moved
    /// together), or none does (several endpoints issue it, or too little varied).
    case undetermined(candidates: [String])

    public var endpointName: String? {
        if case .endpoint(let name, _) = self { name } else { nil }
    }

    /// Fewer intervals than this say nothing about co-variation.
    static let minimumIntervals = 3
    /// A fit leaving at most this share of the calls unexplained (root of the residual over the
    /// root of the sum of squares) tracks the endpoint.
    static let maximumMisfit = 0.1

    /// Nil when there are too few intervals with requests to judge.
    public static func of(queryID: Int64, in intervals: [ActivityInterval]) -> EndpointAttribution? {
        let used = intervals.filter { !$0.endpointRequests.values.allSatisfy { $0 == 0 } }
        guard used.count >= minimumIntervals else { return nil }
        let calls = used.map { Double($0.statementCalls[queryID] ?? 0) }
        let names = Set(used.flatMap(\.endpointRequests.keys)).sorted()
        let fits = names.compactMap { name -> (name: String, ratio: Double)? in
            let requests = used.map { Double($0.endpointRequests[name] ?? 0) }
            guard let fit = fit(calls: calls, requests: requests), fit.misfit <= maximumMisfit else { return nil }
            return (name, fit.ratio)
        }
        if fits.count == 1 { return .endpoint(fits[0].name, callsPerRequest: fits[0].ratio) }
        return .undetermined(candidates: fits.isEmpty ? names.filter { name in used.contains { ($0.endpointRequests[name] ?? 0) > 0 } }
                                                      : fits.map(\.name))
    }

    /// Least squares of calls = ratio × requests; nil when the endpoint made no requests or the
    /// statement no calls.
    static func fit(calls: [Double], requests: [Double]) -> (ratio: Double, misfit: Double)? {
        let requestSquares = requests.reduce(0) { $0 + $1 * $1 }
        let callSquares = calls.reduce(0) { $0 + $1 * $1 }
        guard requestSquares > 0, callSquares > 0 else { return nil }
        let ratio = zip(calls, requests).reduce(0) { $0 + $1.0 * $1.1 } / requestSquares
        let residual = zip(calls, requests).reduce(0) { $0 + pow($1.0 - ratio * $1.1, 2) }
        return (ratio, (residual / callSquares).squareRoot())
    }

    /// The intervals between consecutive snapshots, with the requests each endpoint completed in
    /// them (from the load's per-second timeline, each second counted where its middle falls).
    public static func intervals(snapshots: [StatementSnapshot], requests: [LoadContext.RequestInterval]) -> [ActivityInterval] {
        zip(snapshots, snapshots.dropFirst()).map { start, end in
            let window = StatementWindow(from: start, to: end)
            var byEndpoint: [String: UInt64] = [:]
            for interval in requests where interval.middle > start.at && interval.middle <= end.at {
                byEndpoint.merge(interval.requests, uniquingKeysWith: +)
            }
            return ActivityInterval(statementCalls: Dictionary(window.statements.filter(\.toplevel).map { ($0.queryID, $0.calls) },
                                                               uniquingKeysWith: +),
                                    endpointRequests: byEndpoint)
        }
    }
}
