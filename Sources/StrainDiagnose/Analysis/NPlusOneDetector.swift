import Foundation

/// A statement run once per row of another result: the N+1 access pattern.
public struct NPlusOne: Sendable, Equatable {
    /// The statement repeated for each row (few rows per call, many calls).
    public var repeated: StatementActivity
    /// The statement that fetched the list, when it could be identified.
    public var list: StatementActivity?
    /// The endpoint that issues the pattern: the one making about one request per call of `list`.
    public var endpoint: LoadContext.Endpoint?
    /// Calls of `repeated` per request of `endpoint` (or of the whole run when it is not known),
    /// or per call of `list` in window mode.
    public var callsPerUnit: Double
    /// The pairing comes from call counts alone (no request count was known).
    public var inferred: Bool
}

/// Finds N+1 patterns in pg_stat_statements differences: a parameterised statement returning
/// about a row that runs k ≥ 5 times per call of a list statement returning about k rows per
/// call. With a known load, the endpoint making one request per call of the list is the issuer
/// and calls are counted per request of that endpoint — not of the whole run, where other
/// scenarios' requests would dilute them. Without a list statement, calls per request of the
/// whole run decide.
public enum NPlusOneDetector {
    static let minimumCallsPerUnit = 5.0
    static let maximumRowsPerCall = 2.0
    /// Fewer calls than this are too few to infer a pattern from.
    static let minimumCalls: Int64 = 50
    /// How far a list statement's rows per call may be from the repeat count and still pair.
    static let pairingTolerance = 0.25
    /// An endpoint issues the list statement when it makes between half and twice as many requests.
    static let issuerRatio = 0.5...2.0

    public static func detect(in statements: [StatementActivity], load: LoadContext?) -> [NPlusOne] {
        let selects = statements.filter { $0.toplevel && SQLText.leadingKeyword($0.query) == "SELECT" }
        let requests = load?.requests ?? 0
        return selects.compactMap { repeated in
            guard SQLText.parameterCount(repeated.query) > 0, repeated.rowsPerCall <= maximumRowsPerCall,
                  repeated.calls >= minimumCalls else { return nil }
            let list = bestList(for: repeated, among: selects.filter { $0.queryID != repeated.queryID })
            if let load, requests > 0 {
                if let list, let endpoint = issuer(ofCalls: list.calls, in: load) {
                    return NPlusOne(repeated: repeated, list: list, endpoint: endpoint,
                                    callsPerUnit: Double(repeated.calls) / Double(endpoint.requests), inferred: false)
                }
                let perRequest = Double(repeated.calls) / Double(requests)
                guard perRequest >= minimumCallsPerUnit else { return nil }
                return NPlusOne(repeated: repeated, list: list, endpoint: nil, callsPerUnit: perRequest, inferred: false)
            }
            guard let list else { return nil }
            return NPlusOne(repeated: repeated, list: list, endpoint: nil,
                            callsPerUnit: Double(repeated.calls) / Double(list.calls), inferred: true)
        }
    }

    /// The statement whose rows per call best match how often `repeated` runs per call of it;
    /// the query id keeps the choice stable.
    private static func bestList(for repeated: StatementActivity, among candidates: [StatementActivity]) -> StatementActivity? {
        func repeatCount(_ list: StatementActivity) -> Double { Double(repeated.calls) / Double(list.calls) }
        func misfit(_ list: StatementActivity) -> Double { abs(list.rowsPerCall - repeatCount(list)) / repeatCount(list) }
        return candidates.filter { repeatCount($0) >= minimumCallsPerUnit && misfit($0) <= pairingTolerance }
            .min { (misfit($0), $0.queryID) < (misfit($1), $1.queryID) }
    }

    /// The endpoint whose request count is closest to `calls`, when one is close enough.
    static func issuer(ofCalls calls: Int64, in load: LoadContext) -> LoadContext.Endpoint? {
        func distance(_ endpoint: LoadContext.Endpoint) -> Double { abs(log(Double(calls) / Double(endpoint.requests))) }
        return load.endpoints.filter { $0.requests > 0 && issuerRatio.contains(Double(calls) / Double($0.requests)) }
            .min { (distance($0), $0.name) < (distance($1), $1.name) }
    }
}
