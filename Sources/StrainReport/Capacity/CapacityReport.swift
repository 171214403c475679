import Foundation
import StrainContract

/// What `strain capacity` found, written as `capacity.json` and rendered for the terminal and as
/// HTML (rate against latency and errors, the knee marked).
public struct CapacityReport: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public enum Verdict: String, Codable, Sendable {
        /// The SLO held at `sustainableRate` and failed at `failingRate`.
        case sustainable
        /// The SLO held up to `sustainableRate`; `limit` says why the search went no higher.
        case atLeast = "at_least"
        /// Even the lowest step failed.
        case noneHeld = "none_held"
    }

    public var format = CapacityReport.formatVersion
    public var kind = "capacity"
    public var profile: ProfileInfo
    /// The SLO each step was judged by, canonical text.
    public var slo: [String]
    /// Seconds of each step left out at its start, then measured.
    public var warmUpSeconds: Double
    public var measuredSeconds: Double
    public var verdict: Verdict
    /// The highest rate at which every SLO held (total arrivals per second); zero when none held.
    public var sustainableRate: Double
    /// The lowest rate at which an SLO failed.
    public var failingRate: Double?
    public var limit: CapacitySearch.Limit?
    /// The diagnoser's top finding at the failing rate nearest the knee: what saturated first.
    public var limitedBy: String?
    /// In the order they were measured.
    public var steps: [CapacityStep]
    /// Why the search ended before it was done (interrupted, or a step that could not run); nil when it finished.
    public var stoppedEarly: String?

    public init(profile: ProfileInfo, slo: [String], warmUpSeconds: Double, measuredSeconds: Double,
                outcome: CapacitySearch.Outcome, limitedBy: String?, steps: [CapacityStep], stoppedEarly: String? = nil) {
        self.profile = profile
        self.slo = slo
        self.warmUpSeconds = warmUpSeconds
        self.measuredSeconds = measuredSeconds
        self.limitedBy = limitedBy
        self.steps = steps
        self.stoppedEarly = stoppedEarly
        switch outcome {
        case .sustainable(let rate, let failing):
            (verdict, sustainableRate, failingRate) = (.sustainable, rate, failing)
        case .atLeast(let rate, let limit):
            (verdict, sustainableRate, self.limit) = (.atLeast, rate, limit)
            failingRate = steps.filter { $0.verdict == .failed }.map(\.rate).min()
        case .noneHeld(let lowest):
            (verdict, sustainableRate, failingRate) = (.noneHeld, 0, lowest)
        }
    }

    /// One line: "capacity 480/s (fails at 500/s), limited by …".
    public var headline: String {
        let limited = limitedBy.map { ", limited by \($0)" } ?? ""
        // A search cut short says so in its one line, whatever it had found.
        let stopped = stoppedEarly.map { "; the search stopped early: \($0)" } ?? ""
        switch verdict {
        case .sustainable:
            return "capacity \(Format.rate(sustainableRate)) (the SLO fails at \(Format.rate(failingRate ?? 0)))\(limited)\(stopped)"
        case .noneHeld:
            return "no capacity: the SLO failed even at the lowest step, \(Format.rate(failingRate ?? 0))\(limited)\(stopped)"
        case .atLeast:
            let reason = switch limit {
            case .generatorBound?: "generator-bound: the generator's self-check failed at the next step"
            case .maxRate?: "the SLO held up to --max-rate"
            case .stopped?: "the search stopped early: \(stoppedEarly ?? "")"
            case .budget?, nil: "--max-duration allowed no more steps"
            }
            return "capacity ≥ \(Format.rate(sustainableRate)), \(reason)"
        }
    }

    /// Steps by rate, for tables and charts.
    var stepsByRate: [CapacityStep] { steps.sorted { $0.rate < $1.rate } }

    public func terminal() -> String {
        (["Capacity of \(profile.name) under \(slo.joined(separator: ", "))",
                 "each step: \(Format.duration(seconds: warmUpSeconds)) warm-up, then \(Format.duration(seconds: measuredSeconds)) measured"]
                + stepTable.plain(indent: "  ") + [headline]).joined(separator: "\n")
    }

    /// One row per step, by rate; the SLO column says which failed and by how much.
    var stepTable: TextTable {
        let titles = ["rate", "throughput", "p50", "p99", "errors", "in flight"]
        var table = TextTable(columns: titles.map { TextTable.Column(title: $0, alignment: .right) }
                              + [TextTable.Column(title: "SLO", alignment: .left)])
        for step in stepsByRate { table.append(Self.cells(step)) }
        return table
    }

    /// A step as one progress line: "400/s: 399.8/s, p50 1.2ms, p99 3.4ms, errors 0%, held".
    public static func progressLine(_ step: CapacityStep) -> String {
        let cells = cells(step)
        return "\(cells[0]): \(cells[1]), p50 \(cells[2]), p99 \(cells[3]), errors \(cells[4]), in flight \(cells[5]), \(cells[6])"
    }

    static func cells(_ step: CapacityStep) -> [String] {
        let verdict = switch step.verdict {
        case .held: "held"
        case .failed: "failed: " + step.slo.filter { !$0.passed }.map { "\($0.threshold) (\($0.observedText))" }.joined(separator: "; ")
        // Which self-check failed: a busy machine and a generator at its limit read differently.
        case .generatorBound: (["generator-bound"] + step.invalidReasons).joined(separator: ": ")
        }
        return [Format.rate(step.rate), Format.rate(step.throughput), step.p50.map { Format.duration(seconds: $0) } ?? "–",
                step.p99.map { Format.duration(seconds: $0) } ?? "–", Format.percent(step.errorRate),
                Format.number(step.inFlight), verdict]
    }

    public func html() -> String {
        let steps = stepsByRate
        let knee = verdict == .noneHeld ? [] : [(x: sustainableRate, label: "knee \(Format.rate(sustainableRate))")]
        let latency = LineChart(
            title: "Latency by rate (corrected, measured part of each step)",
            series: [LineChart.Series(name: "p50", points: steps.compactMap { step in step.p50.map { (step.rate, $0) } }),
                     LineChart.Series(name: "p99", points: steps.compactMap { step in step.p99.map { (step.rate, $0) } })],
            xLabel: "arrival rate (per second)", formatY: { Format.duration(seconds: $0) }, markers: knee)
        let errors = LineChart(
            title: "Error rate by rate",
            series: [LineChart.Series(name: "errors", points: steps.map { ($0.rate, $0.errorRate) }, colorIndex: 1)],
            xLabel: "arrival rate (per second)", formatY: { Format.percent($0) }, markers: knee)
        let failing = Set(steps.indices.filter { !steps[$0].passed })
        let status = verdict == .noneHeld ? "failed" : verdict == .sustainable && stoppedEarly == nil ? "passed" : "invalid"
        return HTMLReport.page(title: "Capacity of \(profile.name)", body: [
            "<h1>Capacity of \(Markup.escape(profile.name))</h1>",
            #"<p class="verdict \#(status)">\#(Markup.escape(headline))</p>"#,
            #"<p class="meta">SLO: \#(Markup.escape(slo.joined(separator: ", "))); each step \#(Format.duration(seconds: warmUpSeconds)) warm-up, then \#(Format.duration(seconds: measuredSeconds)) measured</p>"#,
            latency.svg, errors.svg,
            "<h2>Steps</h2>", HTMLReport.table(stepTable, failingRows: failing),
        ])
    }
}
