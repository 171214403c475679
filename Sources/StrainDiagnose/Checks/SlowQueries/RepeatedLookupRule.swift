import Foundation

/// Step 2: the same statement with the same parameters, again and again in each request: a
/// question whose answer can be cached, not an N+1.
enum RepeatedLookupRule {
    static func finding(_ facts: NPlusOneFacts) -> Finding {
        Finding(step: .slowQueries, check: .repeatedLookup, title: "Repeated lookup: the same statement and parameters \(facts.times)",
                object: facts.object, evidence: facts.evidence, impact: facts.impact, severity: facts.severity,
                fix: "It asks the same question every time: cache the answer per process (invalidated when the "
                    + "table changes) or at least once per request, instead of querying on every use.")
    }
}
