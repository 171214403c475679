import Foundation
import StrainContract

/// What `strain verify` measured: the run before a fix and its rerun after, side by side, judged with
/// the rank test of `strain compare`. Written as `verify.json`.
public struct VerifyResult: Codable, Sendable {
    public static let formatVersion = 1

    /// One side of the comparison.
    public struct Side: Codable, Sendable, Equatable {
        /// Latency from the intended send time over every step, in seconds.
        public var p50: Double?
        public var p99: Double?
        public var throughput: Double
        /// The fixed statement's mean execution time in the database, in seconds, when it ran.
        public var statementMeanSeconds: Double?
        /// The plan's scans of the fix's table; nil when the statement was not explained.
        public var plan: [String]?
        public var folder: String
    }

    public var format = VerifyResult.formatVersion
    public var kind = "verify"
    public var finding: Int
    public var title: String
    public var fix: String
    /// The statement that undid the fix, or nil when it was kept (`--keep`).
    public var rollback: String?
    public var before: Side
    public var after: Side
    public var comparison: [MetricDelta]
    /// Why the comparison is not a valid measurement: the self-check reasons of either run
    /// ("before: …", "after: …"); empty when both are valid.
    public var invalidity: [String]

    /// What the database showed of the fixed statement in one run, read from that run's evidence by
    /// the diagnoser (`GeneratedIndexFix`), so that this type needs only the two folders.
    public struct StatementObservation: Sendable, Equatable {
        /// Its mean execution time in the database, in seconds; nil when it did not run.
        public var meanSeconds: Double?
        /// The plan's scans of the fix's table; nil when the statement was not explained.
        public var plan: [String]?

        public init(meanSeconds: Double?, plan: [String]?) {
            self.meanSeconds = meanSeconds
            self.plan = plan
        }
    }

    /// `rollback` is the statement that undid the fix, nil when it was kept.
    public init(rank: Int, finding: Finding, fix: String, rollback: String?, before: RunFolder,
                beforeStatement: StatementObservation, after: RunFolder, afterStatement: StatementObservation) throws {
        self.finding = rank
        title = finding.title
        self.fix = fix
        self.rollback = rollback
        let beforeReport = try before.report(thresholds: .skip)
        let afterReport = try after.report(thresholds: .skip)
        self.before = Self.side(beforeReport, statement: beforeStatement, folder: before.url.path)
        self.after = Self.side(afterReport, statement: afterStatement, folder: after.url.path)
        comparison = RunComparison(base: beforeReport, new: afterReport).deltas
        invalidity = [("before", beforeReport), ("after", afterReport)].flatMap { side, report in
            report.artifact.validity.reasons.map { "\(side): \($0)" }
        }
    }

    static func side(_ report: RunReport, statement: StatementObservation, folder: String) -> Side {
        var latency = Histogram()
        for step in report.artifact.scenarios.flatMap(\.steps) { latency.merge(step.latency) }
        return Side(p50: latency.isEmpty ? nil : Double(latency.percentile(50)) / 1e6,
                    p99: latency.isEmpty ? nil : Double(latency.percentile(99)) / 1e6,
                    throughput: report.artifact.requestRate(of: report.artifact.scenarios) ?? 0,
                    statementMeanSeconds: statement.meanSeconds, plan: statement.plan, folder: folder)
    }

    /// Before and after, side by side.
    var sides: TextTable {
        func seconds(_ value: Double?) -> String { value.map { Format.duration(seconds: $0) } ?? "–" }
        var table = TextTable(["", "before", "after"])
        table.columns[0].alignment = .left
        table.append(["p50", seconds(before.p50), seconds(after.p50)])
        table.append(["p99", seconds(before.p99), seconds(after.p99)])
        table.append(["throughput", Format.rate(before.throughput), Format.rate(after.throughput)])
        table.append(["statement mean", seconds(before.statementMeanSeconds), seconds(after.statementMeanSeconds)])
        table.append(["plan", before.plan?.joined(separator: ", ") ?? "not explained", after.plan?.joined(separator: ", ") ?? "not explained"])
        return table
    }

    /// The changes the rank test judged significant, one line each.
    var judged: [String] {
        comparison.filter { $0.outcome == .improvement || $0.outcome == .regression }
            .map { "\($0.step) \($0.metric.rawValue): \($0.outcome.rawValue) \($0.changeText) (p=\($0.pValueText))" }
    }

    var rollbackText: String { rollback.map { "rolled back: \($0)" } ?? "kept the index (--keep)" }

    /// Said before any figure, as a run's own invalidity is.
    var invalidityText: String? {
        invalidity.isEmpty ? nil : "INVALID measurement, the generator's self-check failed: " + invalidity.joined(separator: "; ")
    }

    public var terminal: String {
        (["Verify finding #\(finding): \(title)"] + [invalidityText].compactMap { $0 } + ["fix: \(fix)"] + sides.plain(indent: "  ")
         + ["judged (\(ComparisonRule.method)): " + (judged.isEmpty ? "no significant change" : judged.joined(separator: "; ")),
            rollbackText]).joined(separator: "\n")
    }

    /// `verify.md`: the before/after section, then every step's comparison.
    public var markdown: String {
        (["# Verify finding #\(finding): \(Markdown.escapeCell(title))", ""]
         + (invalidityText.map { ["**⚠️ \(Markdown.escapeCell($0))**", ""] } ?? [])
         + ["Fix: \(Markdown.code(fix))", ""] + sides.markdown()
         + ["", "## Every step, judged with the \(ComparisonRule.method)", ""] + ComparisonReport.table(comparison).markdown()
         + ["", Markdown.escapeCell(rollbackText)]).joined(separator: "\n") + "\n"
    }

    /// `verify.html`: the same, self-contained.
    public var html: String {
        let heading = "Verify finding #\(finding): \(title)"
        let regressions = Set(comparison.indices.filter { comparison[$0].outcome == .regression })
        return HTMLReport.page(title: heading, body: [
            "<h1>\(Markup.escape(heading))</h1>",
            invalidityText.map { #"<section class="alert"><strong>\#(Markup.escape($0))</strong></section>"# } ?? "",
            #"<p class="meta">Fix: <code>\#(Markup.escape(fix))</code></p>"#,
            "<h2>Before and after</h2>", HTMLReport.table(sides),
            "<h2>Every step, judged with the \(Markup.escape(ComparisonRule.method))</h2>",
            HTMLReport.table(ComparisonReport.table(comparison), failingRows: regressions),
            #"<p class="meta">\#(Markup.escape(rollbackText))</p>"#,
        ])
    }
}
