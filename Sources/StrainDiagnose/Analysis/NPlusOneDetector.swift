import Foundation

/// A statement run many times per request: one query per row of another result (N+1), or the
/// same lookup again and again.
public struct NPlusOne: Sendable, Equatable {
    /// How the endpoint was told.
    public enum Basis: Sendable, Equatable {
        /// The endpoint's requests per interval track the statement's calls per interval.
        case intervals
        /// Per-interval data could not separate these endpoints (their rates moved together, or
        /// none tracks the calls alone): no endpoint is named.
        case undetermined(candidates: [String])
        /// Totals only: the endpoint makes about one request per call of the list statement.
        case totals
    }

    /// The statement repeated (few rows per call, many calls).
    public var repeated: StatementActivity
    /// The statement that fetched the list, when it could be identified.
    public var list: StatementActivity?
    /// The endpoint that issues the pattern.
    public var endpoint: LoadContext.Endpoint?
    /// Calls of `repeated` per request of `endpoint` (or of the whole run when it is not known),
    /// or per call of `list` in window mode.
    public var callsPerUnit: Double
    /// The pairing comes from call counts alone (no request count was known).
    public var inferred: Bool
    public var basis: Basis
    /// What captured samples of the statement show of its parameters (nil: none captured with literals).
    public var parameters: ParameterSamples?

    /// The same parameters every time: a lookup to cache, not a query per row of a list.
    public var isRepeatedLookup: Bool { parameters?.distinct == 1 }
}

/// Literal texts of a statement captured from `pg_stat_activity` (clients that interpolate
/// parameters show them there).
public struct ParameterSamples: Sendable, Equatable {
    public var samples: Int
    /// Distinct texts among them (counted up to a few: one or several is what matters).
    public var distinct: Int
    public var example: String

    /// Fewer captures than this cannot tell one parameter set from several.
    static let minimumSamples = 3

    /// The sessions seen on `statement` with literals in their text: the 1 s samples' active ones,
    /// and the fifty-a-second samples' (which catch a lookup of a few microseconds, and a session in
    /// its transaction right after it); nil when too few.
    static func of(_ statement: StatementActivity, in activity: [ActivitySample], occupancy: [StatementOccupancy] = []) -> ParameterSamples? {
        let fingerprint = StatementFingerprint.normalised(statement.query)
        let texts = activity.flatMap(\.sessions).filter { session in
            session.state == "active" && SQLText.parameterCount(session.query) == 0
                && (session.queryID.map { $0 == statement.queryID } ?? (StatementFingerprint.normalised(session.query) == fingerprint))
        }.map(\.query)
        let seen = StatementOccupancy.of(statement, in: occupancy)
        let samples = texts.count + (seen?.literalSamples ?? 0)
        let distinctTexts = Set(texts + (seen?.literalTexts ?? []))
        guard samples >= minimumSamples, let example = texts.first ?? seen?.literalTexts?.first else { return nil }
        return ParameterSamples(samples: samples, distinct: distinctTexts.count, example: example)
    }
}

/// Finds statements repeated per request in pg_stat_statements differences: a parameterised
/// statement returning a row or a parent's few children that runs k ≥ 5 times per request, paired with the list
/// statement returning about k rows per call that fetched what it runs for. Which endpoint issues
/// them comes from the data where it can: with per-interval counts, the endpoint whose requests
/// track the calls, and the list must track the same endpoint; when the intervals cannot separate
/// the endpoints, none is named. With totals only, the endpoint making one request per call of the
/// list is taken. A statement captured with the same literals every time is a repeated lookup and
/// is not paired with a list.
public enum NPlusOneDetector {
    static let minimumCallsPerUnit = 5.0
    /// A has-many child (an order's lines, fetched once per order) returns a few rows per call; past a
    /// few dozen, a statement is a list of its own rather than one parent's children.
    static let maximumRowsPerCall = 50.0
    /// Fewer calls than this are too few to infer a pattern from.
    static let minimumCalls: Int64 = 50
    /// How far a list statement's rows per call may be from the repeat count and still pair.
    static let pairingTolerance = 0.25
    /// An endpoint issues the list statement when it makes between half and twice as many requests.
    static let issuerRatio = 0.5...2.0

    public static func detect(in statements: [StatementActivity], load: LoadContext?, intervals: [ActivityInterval] = [],
                              activity: [ActivitySample] = [], occupancy: [StatementOccupancy] = []) -> [NPlusOne] {
        let selects = statements.filter { $0.toplevel && SQLText.leadingKeyword($0.query) == "SELECT" }
        return selects.compactMap { repeated in
            guard SQLText.parameterCount(repeated.query) > 0, repeated.rowsPerCall <= maximumRowsPerCall,
                  repeated.calls >= minimumCalls else { return nil }
            let parameters = ParameterSamples.of(repeated, in: activity, occupancy: occupancy)
            // A lookup with the same parameters every time does not follow any list's rows.
            let lists = parameters?.distinct == 1 ? [] : selects.filter { $0.queryID != repeated.queryID }
            var pattern = NPlusOne(repeated: repeated, list: nil, endpoint: nil, callsPerUnit: 0, inferred: false,
                                   basis: .totals, parameters: parameters)
            guard let load, load.requests > 0 else {
                guard let list = bestList(for: repeated, among: lists) else { return nil }
                pattern.list = list
                pattern.callsPerUnit = Double(repeated.calls) / Double(list.calls)
                pattern.inferred = true
                return pattern
            }
            switch EndpointAttribution.of(queryID: repeated.queryID, in: intervals) {
            case .endpoint(let name, _):
                guard let endpoint = load.endpoints.first(where: { $0.name == name }), endpoint.requests > 0 else { return nil }
                pattern.basis = .intervals
                pattern.endpoint = endpoint
                pattern.callsPerUnit = Double(repeated.calls) / Double(endpoint.requests)
                guard pattern.callsPerUnit >= minimumCallsPerUnit else { return nil }
                pattern.list = bestList(for: repeated, among: lists.filter { follows($0, endpoint: name, in: intervals) })
            case .undetermined(let candidates):
                pattern.basis = .undetermined(candidates: candidates)
                pattern.list = bestList(for: repeated, among: lists)
                // Whichever candidate issues it makes no more requests than the busiest one.
                let busiest = load.endpoints.filter { candidates.contains($0.name) }.map(\.requests).max() ?? load.requests
                pattern.callsPerUnit = Double(repeated.calls) / Double(pattern.list.map { UInt64($0.calls) } ?? max(busiest, 1))
                pattern.inferred = pattern.list != nil
            case nil:
                pattern.list = bestList(for: repeated, among: lists)
                if let list = pattern.list, let endpoint = issuer(ofCalls: list.calls, in: load) {
                    pattern.endpoint = endpoint
                    pattern.callsPerUnit = Double(repeated.calls) / Double(endpoint.requests)
                } else {
                    pattern.callsPerUnit = Double(repeated.calls) / Double(load.requests)
                }
            }
            // The list's issuer vouches for a pattern below the per-request bar of the whole run.
            return pattern.callsPerUnit >= minimumCallsPerUnit || pattern.endpoint != nil ? pattern : nil
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

    /// Whether a candidate list's calls follow `endpoint`'s requests: attributed to it, or, when the
    /// data cannot single one endpoint out, fitted best by it. A list runs once per request, so its
    /// few calls per interval are noisy, and each is counted where its request began while the
    /// request is counted where it ended: on a busy host that alone can push the fit past the bar
    /// the repeated statement, fifty times as many calls spread over the request, still meets.
    /// (The pairing itself also wants the list's rows per call to match the repeat count.)
    private static func follows(_ list: StatementActivity, endpoint: String, in intervals: [ActivityInterval]) -> Bool {
        switch EndpointAttribution.of(queryID: list.queryID, in: intervals) {
        case .endpoint(let name, _)?: name == endpoint
        case .undetermined?: EndpointAttribution.misfits(of: list.queryID, in: intervals)?.first?.name == endpoint
        case nil: false
        }
    }

    /// The endpoint whose request count is closest to `calls`, when one is close enough.
    static func issuer(ofCalls calls: Int64, in load: LoadContext) -> LoadContext.Endpoint? {
        func distance(_ endpoint: LoadContext.Endpoint) -> Double { abs(log(Double(calls) / Double(endpoint.requests))) }
        return load.endpoints.filter { $0.requests > 0 && issuerRatio.contains(Double(calls) / Double($0.requests)) }
            .min { (distance($0), $0.name) < (distance($1), $1.name) }
    }
}
