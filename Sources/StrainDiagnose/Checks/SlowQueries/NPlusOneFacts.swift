import Foundation

/// What a finding on a statement repeated per request says, whichever fix it calls for (an N+1 or
/// a repeated lookup): the statement, how often it ran and why it was tied to its list and
/// endpoint, its cost with round trips, and the severity from its share.
struct NPlusOneFacts {
    let object: String
    let evidence: [String]
    let impact: Finding.Impact
    let severity: Finding.Severity
    /// "20 times per request of shop/orders".
    let times: String

    init(_ pattern: NPlusOne, databaseSeconds: Double, _ input: CheckInput) {
        let repeated = pattern.repeated
        let unit = pattern.endpoint.map { "request of \($0.name)" } ?? (pattern.inferred ? "call of the list statement" : "request")
        // Undetermined between endpoints, the count is per request of the busiest candidate.
        let atLeast = if case .undetermined(let candidates) = pattern.basis, !candidates.isEmpty, pattern.list == nil { "at least " } else { "" }
        var evidence = [
            "statement: \(SQLText.brief(repeated.query))",
            "\(Format.count(repeated.calls)) calls, \(atLeast)\(Format.significant(pattern.callsPerUnit)) per \(unit), "
                + "\(Format.significant(repeated.rowsPerCall)) rows per call, \(Format.duration(repeated.meanSeconds)) each, "
                + "\(Format.duration(repeated.seconds)) in total",
        ]
        if let list = pattern.list {
            evidence.append("list statement: \(SQLText.brief(list.query)) — \(Format.count(list.calls)) calls returning "
                            + "\(Format.significant(list.rowsPerCall)) rows each")
        }
        evidence += Self.attributionEvidence(pattern, windowMode: input.load == nil, intervals: input.activityIntervals)
        let cost = NPlusOneCost(pattern, postgres: input.evidence.postgres)
        if let roundTrip = input.evidence.postgres?.roundTripSeconds {
            evidence.append("each call also costs a round trip, \(Format.duration(roundTrip)) as measured from the diagnoser's "
                            + "session: \(Format.duration(cost.estimated)) with the execution time")
        } else {
            evidence.append("each call also costs a network round trip, which was not measured and is not in this total")
        }
        if let observed = cost.observed {
            let idle = cost.idleBetweenCalls > 0
                ? ", and idle outside a transaction between its calls (up to \(Format.duration(cost.idleLimit)) after one, "
                    + "\(Format.significant(NPlusOneCost.idleCallsFactor)) times a call's execution and round trip) for about "
                    + Format.duration(cost.idleBetweenCalls) : ""
            evidence.append("sessions were seen on it (running it, or in their transaction between it and their next statement) "
                            + "for about \(Format.duration(observed.seconds)) in \(Format.count(observed.samples)) samples "
                            + "\(Format.duration(StatementOccupancySampler.gaps.lowerBound))–"
                            + "\(Format.duration(StatementOccupancySampler.gaps.upperBound)) apart\(idle)"
                            + (cost.observedSeconds > cost.estimated ? ": its calls cost the clients that much, round trips and "
                                                                       + "client time between calls included" : ""))
        }
        let seconds = cost.seconds
        if let endpoint = pattern.endpoint {
            evidence.append("\(endpoint.name): \(Format.count(endpoint.requests)) requests, \(Format.duration(endpoint.meanSeconds)) each")
        }
        let impact = input.impact(seconds: seconds, endpoints: pattern.endpoint.map { [$0.name] })
        let share = impact.share ?? (databaseSeconds > 0 ? repeated.seconds / databaseSeconds : nil)
        times = "\(atLeast)\(Format.significant(pattern.callsPerUnit)) times per \(unit)"
        object = SQLText.brief(repeated.query, limit: 120)
        severity = input.severity(forProblemTaking: share)
        self.evidence = evidence
        self.impact = impact
    }

    /// How the pattern was tied to its list and endpoint, and what its captured parameters show.
    private static func attributionEvidence(_ pattern: NPlusOne, windowMode: Bool, intervals: [ActivityInterval]) -> [String] {
        var lines: [String] = []
        let misfits = EndpointAttribution.misfits(of: pattern.repeated.queryID, in: intervals) ?? []
        func misfit(_ index: Int) -> String {
            index < misfits.count ? "\(misfits[index].name) \(Format.significant(misfits[index].misfit))" : "none"
        }
        switch pattern.basis {
        case .intervals:
            lines.append("endpoint from the data: its calls per interval track \(pattern.endpoint?.name ?? "?")'s requests per interval"
                         + (pattern.list == nil ? "; no list statement tracks that endpoint" : ", and so do the list statement's")
                         + " (share of the calls a fit leaves unexplained: \(misfit(0)); next best \(misfit(1)))")
        case .undetermined(let candidates):
            lines.append("the endpoint could not be determined from the data: the per-interval calls do not single out one "
                         + "endpoint's requests" + (candidates.isEmpty ? "" : " (candidates: \(candidates.joined(separator: ", ")))")
                         + (misfits.isEmpty ? "" : "; best fits, as the share of the calls left unexplained: \(misfit(0)), \(misfit(1))")
                         + "; Poisson arrivals (arrival: \"poisson\") make each endpoint's rate vary on its own"
                         + (pattern.list == nil && !candidates.isEmpty ? "; calls counted per request of the busiest candidate" : ""))
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
                : "\(parameters.samples) captured samples had at least \(parameters.distinct) different parameter sets")
        }
        return lines
    }
}
