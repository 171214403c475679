import Foundation

/// One stretch of the window (between two reads of `pg_stat_statements`) with what ran in it:
/// calls per statement and requests per endpoint.
public struct ActivityInterval: Sendable, Equatable {
    /// Calls per query id.
    public var statementCalls: [Int64: Int64]
    /// Requests per endpoint name; a share of an interval of the load's timeline that the stretch
    /// covers only in part is counted in proportion.
    public var endpointRequests: [String: Double]

    public init(statementCalls: [Int64: Int64], endpointRequests: [String: Double]) {
        self.statementCalls = statementCalls
        self.endpointRequests = endpointRequests
    }
}

/// Which endpoint issues a statement, decided from the data: the one whose requests per interval
/// its calls per interval track (a least-squares ratio through the origin with a small residual),
/// when no other endpoint's requests moved the same way and no other endpoint's requests explain
/// a part of the calls too. Matching totals alone cannot tell two endpoints apart — a lookup run
/// 20 times per request of one endpoint has the same total as another endpoint's 20-row list — but
/// rates that vary on their own can: Poisson arrivals make them vary, constant rates do not.
public enum EndpointAttribution: Sendable, Equatable {
    /// Exactly one endpoint's requests track the calls; `callsPerRequest` is the fitted ratio.
    case endpoint(String, callsPerRequest: Double)
    /// The data cannot single out one endpoint: the `candidates`' rates moved together, several of
    /// them issue the statement, or no endpoint's requests track the calls.
    case undetermined(candidates: [String])

    public var endpointName: String? {
        if case .endpoint(let name, _) = self { name } else { nil }
    }

    /// Fewer intervals than this say nothing about co-variation.
    static let minimumIntervals = 3
    /// A fit leaving at most this share of the calls unexplained (root of the residual over the
    /// root of the sum of squares) tracks the endpoint. Not nought: a request's statements can
    /// fall in the interval before the one its end is counted in.
    static let maximumMisfit = 0.2
    /// Another endpoint can be told apart when its requests, scaled, miss the best endpoint's by at
    /// least this much and by at least twice the best fit's misfit.
    static let minimumShapeDifference = 0.05
    /// A second endpoint issues the statement too when adding it halves the misfit and it accounts
    /// for at least this share of the calls.
    static let minimumSecondShare = 0.1

    /// Nil when there are too few intervals with requests to judge.
    public static func of(queryID: Int64, in intervals: [ActivityInterval]) -> EndpointAttribution? {
        guard let (calls, requests) = series(of: queryID, in: intervals) else { return nil }
        let names = requests.keys.sorted()
        let fits = fits(calls: calls, requests: requests)
        guard let best = fits.first, best.fit.misfit <= maximumMisfit else { return .undetermined(candidates: names) }
        let bestRequests = requests[best.name]!
        let others = names.filter { name in
            guard name != best.name else { return false }
            let shape = fit(calls: bestRequests, requests: requests[name]!)?.misfit ?? 1
            let alike = shape < minimumShapeDifference || best.fit.misfit > shape / 2
            return alike || issuesToo(name, calls: calls, best: bestRequests, bestMisfit: best.fit.misfit, other: requests[name]!)
        }
        return others.isEmpty ? .endpoint(best.name, callsPerRequest: best.fit.ratio) : .undetermined(candidates: [best.name] + others)
    }

    /// How well each endpoint's requests per interval track the statement's calls, best first
    /// (for the evidence: the issuer's misfit beside the next best's); nil as for `of`.
    public static func misfits(of queryID: Int64, in intervals: [ActivityInterval]) -> [(name: String, misfit: Double)]? {
        series(of: queryID, in: intervals).map { calls, requests in fits(calls: calls, requests: requests).map { ($0.name, $0.fit.misfit) } }
    }

    /// The statement's calls and each endpoint's requests over the intervals with requests; nil when too few.
    private static func series(of queryID: Int64, in intervals: [ActivityInterval]) -> (calls: [Double], requests: [String: [Double]])? {
        let used = intervals.filter { $0.endpointRequests.values.contains { $0 > 0 } }
        guard used.count >= minimumIntervals else { return nil }
        let requests = Dictionary(uniqueKeysWithValues: Set(used.flatMap(\.endpointRequests.keys)).map { name in
            (name, used.map { $0.endpointRequests[name] ?? 0 })
        }).filter { $0.value.contains { $0 > 0 } }
        return (used.map { Double($0.statementCalls[queryID] ?? 0) }, requests)
    }

    private static func fits(calls: [Double], requests: [String: [Double]]) -> [(name: String, fit: (ratio: Double, misfit: Double))] {
        requests.compactMap { name, counts in fit(calls: calls, requests: counts).map { (name: name, fit: $0) } }
            .sorted { ($0.fit.misfit, $0.name) < ($1.fit.misfit, $1.name) }
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

    /// Whether `calls` = a × best + b × other, with both ratios positive, fits at least twice as well
    /// as the best endpoint alone and leaves `other` a share of the calls worth naming.
    static func issuesToo(_ name: String, calls: [Double], best: [Double], bestMisfit: Double, other: [Double]) -> Bool {
        func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        let bb = dot(best, best), oo = dot(other, other), bo = dot(best, other)
        let determinant = bb * oo - bo * bo
        // Requests moving together are left to the shape test.
        guard determinant > 1e-9 * bb * oo else { return false }
        let cb = dot(calls, best), co = dot(calls, other)
        let a = (cb * oo - co * bo) / determinant, b = (co * bb - cb * bo) / determinant
        guard a > 0, b > 0 else { return false }
        let residual = zip(calls, zip(best, other)).reduce(0) { $0 + pow($1.0 - a * $1.1.0 - b * $1.1.1, 2) }
        let misfit = (residual / dot(calls, calls)).squareRoot()
        let otherShare = b * other.reduce(0, +) / max(calls.reduce(0, +), 1)
        return misfit <= bestMisfit / 2 && otherShare >= minimumSecondShare
    }

    /// The stretches between reads of statements' calls, with the requests each endpoint completed
    /// in them: each interval of the load's timeline counts in proportion to how much of it a
    /// stretch covers (whole, when the reads fall on the load's seconds).
    public static func intervals(calls stretches: [StatementCalls], requests: [LoadContext.RequestInterval]) -> [ActivityInterval] {
        stretches.map { stretch in
            var byEndpoint: [String: Double] = [:]
            for interval in requests where interval.duration > 0 {
                let end = interval.start.addingTimeInterval(interval.duration)
                let covered = min(end, stretch.to).timeIntervalSince(max(interval.start, stretch.from))
                guard covered > 0 else { continue }
                for (name, count) in interval.requests {
                    byEndpoint[name, default: 0] += Double(count) * covered / interval.duration
                }
            }
            return ActivityInterval(statementCalls: Dictionary(stretch.calls.map { ($0.queryID, $0.calls) }, uniquingKeysWith: +),
                                    endpointRequests: byEndpoint)
        }
    }

    /// The same from `pg_stat_statements` snapshots (the phase marks'), for evidence without
    /// per-second reads.
    public static func intervals(snapshots: [StatementSnapshot], requests: [LoadContext.RequestInterval]) -> [ActivityInterval] {
        let stretches = zip(snapshots, snapshots.dropFirst()).map { start, end in
            let window = StatementWindow(from: start, to: end)
            let calls = Dictionary(window.statements.filter(\.toplevel).map { ($0.queryID, $0.calls) }, uniquingKeysWith: +)
            return StatementCalls(from: start.at, to: end.at, calls: calls.map { StatementCalls.Call(queryID: $0.key, calls: $0.value) })
        }
        return intervals(calls: stretches, requests: requests)
    }
}
