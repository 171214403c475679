import Foundation
import StrainContract

/// A pass/fail condition on a run's results: `"browse-and-buy.latency": ["p(99) < 300ms"]`.
public struct Threshold: Sendable, Equatable, CustomStringConvertible {
    public let scope: ThresholdScope
    public let metric: Metric
    public let aggregation: Aggregation
    public let comparison: Comparison
    /// Stop the run as soon as the threshold fails rather than at the end.
    public let abortOnFail: Bool

    /// Canonical form, e.g. `browse-and-buy.latency: p(99) < 300ms`.
    public var description: String {
        let key = scope == .all ? metric.rawValue : "\(scope).\(metric.rawValue)"
        return "\(key): \(aggregation) \(comparison)"
    }
}

/// Which measurements a threshold looks at.
public enum ThresholdScope: Sendable, Equatable, CustomStringConvertible {
    /// Everything in the run (a key without a scope, like `"errors"`).
    case all
    case http
    case postgres
    case scenario(String)
    case step(scenario: String, step: String)

    public var description: String {
        switch self {
        case .all: ""
        case .http: "http"
        case .postgres: "postgres"
        case .scenario(let name): name
        case .step(let scenario, let step): "\(scenario).\(step)"
        }
    }
}

public enum Aggregation: Sendable, Equatable, CustomStringConvertible {
    /// p(99) → 99.
    case percentile(Double)
    case average
    case minimum
    case maximum
    case median
    /// Per second for `requests`; a fraction of all requests for `errors`; for `checks`, the fraction
    /// of checks that passed (as in k6).
    case rate
    case count

    public var description: String {
        switch self {
        case .percentile(let percent): "p(\(QuantityText.number(percent)))"
        case .average: "avg"
        case .minimum: "min"
        case .maximum: "max"
        case .median: "med"
        case .rate: "rate"
        case .count: "count"
        }
    }
}

public struct Comparison: Sendable, Equatable, CustomStringConvertible {
    public let op: ComparisonOperator
    public let limit: ThresholdValue

    /// Whether an observed aggregate, in the limit's base unit (seconds, a fraction, a count or per second), passes.
    public func holds(observed: Double) -> Bool {
        let limit = limit.magnitude
        return switch op {
        case .less: observed < limit
        case .lessOrEqual: observed <= limit
        case .greater: observed > limit
        case .greaterOrEqual: observed >= limit
        case .equal: observed == limit
        case .notEqual: observed != limit
        }
    }

    public var description: String {
        "\(op.rawValue) \(limit)"
    }
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case equal = "=="
    case notEqual = "!="
}

public enum ThresholdValue: Sendable, Equatable, CustomStringConvertible {
    case duration(TimeSpan)
    /// Written as "0.1%" or 0.001.
    case fraction(Double)
    case count(Double)
    case rate(Rate)

    /// In base units: seconds, a fraction, a count, or per second.
    public var magnitude: Double {
        switch self {
        case .duration(let span): span.seconds
        case .fraction(let fraction): fraction
        case .count(let count): count
        case .rate(let rate): rate.perSecond
        }
    }

    public var description: String {
        switch self {
        case .duration(let span): span.description
        case .fraction(let fraction): QuantityText.number(fraction * 100) + "%"
        case .count(let count): QuantityText.number(count)
        case .rate(let rate): rate.description
        }
    }
}

// MARK: Parsing

extension Threshold {
    /// What `scope` names among the scenarios and their steps, said for an error ("scenario \"a.b\"",
    /// "step \"c\" of scenario \"a.b\"").
    static func meanings(of scope: String, in scenarios: [Scenario]) -> [String] {
        scenarios.flatMap { scenario in
            (scenario.name == scope ? ["scenario \"\(scenario.name)\""] : [])
                + scenario.steps.filter { "\(scenario.name).\($0.name)" == scope }.map { "step \"\($0.name)\" of scenario \"\(scenario.name)\"" }
        }
    }

    /// Reads a key `[scope.]metric`, where scope is `http`, `postgres`, a scenario or `scenario.step`.
    static func target(ofKey key: String, scenarios: [Scenario]) throws(ValueError) -> (ThresholdScope, Metric) {
        let scopeText: String?
        let metricName: String
        if let dot = key.lastIndex(of: ".") {
            scopeText = String(key[..<dot])
            metricName = String(key[key.index(after: dot)...])
        } else {
            scopeText = nil
            metricName = key
        }
        let prefix = scopeText.map { "\($0)." } ?? ""
        guard let metric = Metric(rawValue: metricName) else {
            let names = Metric.allCases.map(\.rawValue)
            throw ValueError("unknown metric \"\(metricName)\"; use one of \(names.joined(separator: ", "))",
                             suggestion: Suggestion.closest(to: metricName, among: names).map { prefix + $0 })
        }
        guard let scopeText else { return (.all, metric) }

        let scope: ThresholdScope
        let kind: ScenarioKind?
        if scopeText == "http" || scopeText == "postgres" {
            scope = scopeText == "http" ? .http : .postgres
            kind = scopeText == "http" ? .http : .postgres
        } else if case let meanings = Self.meanings(of: scopeText, in: scenarios), meanings.count > 1 {
            // Names may hold dots: "a.b.c" can be scenario "a.b" or scenario "a"'s step "b.c".
            throw ValueError("\"\(scopeText)\" could mean \(meanings.joined(separator: " or ")); rename one so that a threshold "
                             + "names one of them")
        } else if let scenario = scenarios.first(where: { $0.name == scopeText }) {
            scope = .scenario(scenario.name)
            kind = scenario.kind
        } else if let scenario = scenarios.first(where: { scenario in
                      scopeText.hasPrefix(scenario.name + ".")
                          && scenario.steps.contains { $0.name == scopeText.dropFirst(scenario.name.count + 1) }
                  }) ?? scenarios.first(where: { scopeText.hasPrefix($0.name + ".") }) {
            let stepName = String(scopeText.dropFirst(scenario.name.count + 1))
            let stepNames = scenario.steps.map(\.name)
            guard stepNames.contains(stepName) else {
                throw ValueError(
                    "scenario \"\(scenario.name)\" has no step \"\(stepName)\" (its steps: \(stepNames.joined(separator: ", ")))",
                    suggestion: Suggestion.closest(to: stepName, among: stepNames).map { "\(scenario.name).\($0).\(metric.rawValue)" })
            }
            scope = .step(scenario: scenario.name, step: stepName)
            kind = scenario.kind
        } else {
            let scopes = ["http", "postgres"] + scenarios.flatMap { scenario in
                [scenario.name] + scenario.steps.map { "\(scenario.name).\($0.name)" }
            }
            throw ValueError(
                "unknown scope \"\(scopeText)\"; use http, postgres, a scenario name or scenario.step",
                suggestion: Suggestion.closest(to: scopeText, among: scopes).map { "\($0).\(metric.rawValue)" })
        }
        if let only = metric.measuredOnly, let kind, kind != only {
            throw ValueError("\(metric.rawValue) is only measured for \(only.displayName) scenarios, but \"\(scopeText)\" is \(kind.displayName)")
        }
        return (scope, metric)
    }

    static let expectedForm = #"a threshold like "p(99) < 300ms", "avg < 100ms" or "rate < 0.1%""#

    /// Reads an expression `<aggregation> <operator> <value>` for `metric`.
    init(scope: ThresholdScope, metric: Metric, expression: String, abortOnFail: Bool) throws(ValueError) {
        guard let operatorStart = expression.firstIndex(where: { "<>=!".contains($0) }) else {
            throw ValueError("expected \(Self.expectedForm), found \"\(expression)\"")
        }
        let afterOperator = expression[operatorStart...].prefix { "<>=!".contains($0) }
        guard let op = ComparisonOperator(rawValue: String(afterOperator)) else {
            throw ValueError("unknown comparison \"\(afterOperator)\" in \"\(expression)\"; use <, <=, >, >=, == or !=")
        }
        let aggregationText = expression[..<operatorStart].trimmingCharacters(in: .whitespaces)
        let valueText = expression[afterOperator.endIndex...].trimmingCharacters(in: .whitespaces)
        let aggregation = try Self.aggregation(aggregationText, for: metric)
        self.scope = scope
        self.metric = metric
        self.aggregation = aggregation
        self.comparison = Comparison(op: op, limit: try Self.limit(valueText, metric: metric, aggregation: aggregation))
        self.abortOnFail = abortOnFail
    }

    private static func aggregation(_ text: String, for metric: Metric) throws(ValueError) -> Aggregation {
        let allowed = "\(metric.rawValue) takes \(metric.aggregations.joined(separator: ", "))"
        let aggregation: Aggregation
        switch text {
        case "avg": aggregation = .average
        case "min": aggregation = .minimum
        case "max": aggregation = .maximum
        case "med": aggregation = .median
        case "rate": aggregation = .rate
        case "count": aggregation = .count
        case _ where text.hasPrefix("p"):
            // p(99), p(99.9); p99 is accepted as a shorthand.
            var number = text.dropFirst()
            if number.hasPrefix("("), number.hasSuffix(")") { number = number.dropFirst().dropLast() }
            guard let percent = Double(number), percent > 0, percent <= 100 else {
                throw ValueError("expected a percentile like p(99) or p(99.9) (above 0, at most 100), found \"\(text)\"")
            }
            aggregation = .percentile(percent)
        default:
            throw ValueError("unknown aggregation \"\(text)\"; \(allowed)",
                             suggestion: Suggestion.closest(to: text, among: metric.aggregations))
        }
        let fits = switch aggregation {
        case .percentile, .average, .minimum, .maximum, .median: metric.isTrend
        case .rate: metric.aggregations.contains("rate")
        case .count: metric.aggregations.contains("count")
        }
        guard fits else {
            throw ValueError("\(allowed), not \(aggregation)")
        }
        return aggregation
    }

    private static func limit(_ text: String, metric: Metric, aggregation: Aggregation) throws(ValueError) -> ThresholdValue {
        let name = metric.rawValue
        if metric.isTrend {
            do {
                return .duration(try TimeSpan(parsing: text))
            } catch {
                throw ValueError("\(name) is compared with a duration like \"300ms\", found \"\(text)\"")
            }
        }
        switch (metric, aggregation) {
        case (.requests, .rate):
            do {
                return .rate(try Rate(parsing: text))
            } catch {
                throw ValueError("requests rate is compared with a rate like \"100/s\", found \"\(text)\"")
            }
        case (_, .rate):
            let fraction: Double? = if text.hasSuffix("%") {
                QuantityText.plainNumber(text.dropLast()).map { $0 / 100 }
            } else {
                QuantityText.plainNumber(Substring(text))
            }
            guard let fraction, fraction <= 1 else {
                throw ValueError("\(name) rate is compared with a percentage like \"0.1%\" or a fraction like 0.001, found \"\(text)\"")
            }
            return .fraction(fraction)
        default:
            guard let count = QuantityText.plainNumber(Substring(text)), count == count.rounded() else {
                throw ValueError("\(name) count is compared with a whole number like 10, found \"\(text)\"")
            }
            // Beyond 2^53 a count is not held exactly: the threshold would compare with another number.
            // Checked on the digits too: as a Double, 2^53 + 1 has already become 2^53.
            guard count <= 9_007_199_254_740_992, UInt64(text).map({ $0 <= 9_007_199_254_740_992 }) ?? true else {
                throw ValueError("\(name) count is compared with a whole number up to 9007199254740992, found \"\(text)\"")
            }
            return .count(count)
        }
    }
}

// MARK: Recorded in the run artifact

extension Threshold {
    /// What the run artifact keeps of this threshold.
    public var recorded: RecordedThreshold {
        let (scope, scenario, step): (RecordedThreshold.Scope, String?, String?) = switch self.scope {
        case .all: (.all, nil, nil)
        case .http: (.http, nil, nil)
        case .postgres: (.postgres, nil, nil)
        case .scenario(let name): (.scenario, name, nil)
        case .step(let scenario, let step): (.step, scenario, step)
        }
        return RecordedThreshold(scope: scope, scenario: scenario, step: step, metric: metric.rawValue,
                                 condition: "\(aggregation) \(comparison)", abortOnFail: abortOnFail)
    }

    /// The threshold a run artifact recorded; throws when a file was edited into something that
    /// is not one (the message says what).
    public init(recorded: RecordedThreshold) throws(ValueError) {
        guard let metric = Metric(rawValue: recorded.metric) else {
            throw ValueError("unknown metric \"\(recorded.metric)\" in a recorded threshold")
        }
        let scope: ThresholdScope
        switch (recorded.scope, recorded.scenario, recorded.step) {
        case (.all, _, _): scope = .all
        case (.http, _, _): scope = .http
        case (.postgres, _, _): scope = .postgres
        case (.scenario, let scenario?, _): scope = .scenario(scenario)
        case (.step, let scenario?, let step?): scope = .step(scenario: scenario, step: step)
        default: throw ValueError("a recorded \(recorded.scope.rawValue) threshold without its scenario or step")
        }
        try self.init(scope: scope, metric: metric, expression: recorded.condition, abortOnFail: recorded.abortOnFail)
    }
}
