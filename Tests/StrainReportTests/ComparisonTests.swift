import Foundation
import FoundationXML
import StrainContract
import StrainReport
import StrainTestSupport
import Synchronization
import Testing

/// Runs with chosen per-interval values, written and read back as real run folders, so the noise
/// band can be checked against numbers worked out by hand.
enum ChosenRun {
    /// One step, "shop.buy"; interval `i` lasts one second (the last one `lastDuration`) and holds
    /// `perInterval` requests all taking `latencies[i]` µs (below 2048 µs, where the histogram is
    /// exact), `failures[i]` of them failed.
    static func report(latencies: [UInt64], perInterval: Int = 100, failures: [UInt64]? = nil, valid: Bool = true,
                       lastDuration: Double = 1, step name: String = "buy", asked: [Double]? = nil,
                       requests: [Int]? = nil) throws -> RunReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-chosen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let writer = try TimelineWriter(url: folder.appendingPathComponent(RunFile.timeline.name))
        var step = StepResult(name: name)
        for (index, latency) in latencies.enumerated() {
            let count = requests?[index] ?? perInterval
            let interval = Histogram(recording: Array(repeating: latency, count: count))
            let failed = failures?[index] ?? 0
            try writer.append(TimelineInterval(start: Double(index), duration: index == latencies.count - 1 ? lastDuration : 1, steps: [
                IntervalStep(scenario: "shop", step: name, requests: UInt64(count), failures: failed, latency: interval,
                             asked: asked?[index])]))
            step.requests += UInt64(count)
            step.failures += failed
            step.latency.merge(interval)
            step.service.merge(interval)
        }
        writer.close()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try RunArtifact(tool: ToolInfo(version: "test"), profile: nil, host: HostInfo.current(), gitSHA: nil, startedAt: start,
                        endedAt: start.addingTimeInterval(Double(latencies.count)), status: .completed,
                        validity: Validity(valid: valid, reasons: valid ? [] : ["generator CPU saturated"]),
                        scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: step.requests, steps: [step])])
            .write(to: folder.appendingPathComponent(RunFile.artifact.name))
        return try RunFolder(url: folder).report(thresholds: .skip)
    }

    /// 800 and 1400 µs alternating over ten intervals, shifted by `shift` µs.
    static func alternating(shiftedBy shift: UInt64 = 0) -> [UInt64] {
        (0..<10).map { index in (index.isMultiple(of: 2) ? 800 : 1400) + shift }
    }
}

struct RankTestTests {
    /// Reference values: scipy.stats.mannwhitneyu(…, alternative="less") and, with ties, the full
    /// permutation distribution of the rank sum enumerated by brute force (50 of 924 subsets).
    @Test(arguments: [
        ([1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10], 1.0 / 252),
        ([1.0, 2, 2, 3, 3, 3], [2.0, 3, 3, 4, 4, 5], 50.0 / 924),
        ([6.0, 7, 8, 9, 10], [1.0, 2, 3, 4, 5], 1.0),
    ])
    func exactPValues(first: [Double], second: [Double], expected: Double) {
        #expect(abs(RankTest.pValueSecondLarger(first, second) - expected) < 1e-9)
    }

    /// Above the exact limit: the normal approximation with tie and continuity corrections
    /// (scipy's asymptotic method gives 0.0379095).
    @Test func largeSamplesUseTheNormalApproximation() {
        let first = (0..<30).map { Double($0 % 7) }
        let second = (0..<30).map { Double($0 % 7 + 1) }
        #expect(abs(RankTest.pValueSecondLarger(first, second) - 0.0379095) < 1e-6)
    }

    @Test func midRanksShareTies() {
        #expect(RankTest.midRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(RankTest.pValueSecondLarger([], [1]) == 1)
    }
}

struct ComparisonRuleTests {
    private func outcome(_ comparison: RunComparison, _ metric: MetricDelta.Metric) throws -> MetricDelta {
        try #require(comparison.deltas.first { $0.metric == metric })
    }

    @Test func theSameRunTwiceIsNoChange() throws {
        let base = try ChosenRun.report(latencies: ChosenRun.alternating())
        let same = RunComparison(base: base, new: try ChosenRun.report(latencies: ChosenRun.alternating()))
        #expect(same.verdict == .noRegression)
        #expect(same.deltas.allSatisfy { $0.outcome == .withinNoise && $0.change == 0 })
        #expect(abs(same.level - 0.05 / 5) < 1e-12)
    }

    /// +1000 µs on every interval is significant and beyond the floor; +100 µs is below the 500 µs
    /// floor however consistent; the other way round is an improvement.
    @Test func aSignificantChangeCountsOnlyBeyondTheFloor() throws {
        let base = try ChosenRun.report(latencies: ChosenRun.alternating())
        let slightly = RunComparison(base: base, new: try ChosenRun.report(latencies: ChosenRun.alternating(shiftedBy: 100)))
        #expect(slightly.verdict == .noRegression)
        #expect(try outcome(slightly, .p50).outcome == .withinNoise)
        let slower = try ChosenRun.report(latencies: ChosenRun.alternating(shiftedBy: 1000))
        let clearly = RunComparison(base: base, new: slower)
        #expect(clearly.verdict == .regression)
        let p50 = try outcome(clearly, .p50)
        #expect(p50.outcome == .regression)
        #expect(abs(try #require(p50.relativeChange) - 1.25) < 1e-9)
        #expect(try #require(p50.pValue) < clearly.level)
        #expect(p50.intervals == [10, 10])
        let faster = RunComparison(base: slower, new: base)
        #expect(faster.verdict == .noRegression)
        #expect(try outcome(faster, .p50).outcome == .improvement)
    }

    /// A shift the intervals' own spread swallows is not significant, though beyond the floor.
    @Test func aChangeWithinTheSpreadIsNotSignificant() throws {
        let base = try ChosenRun.report(latencies: [800, 1900, 800, 1900, 800, 1900, 800, 1900])
        let new = try ChosenRun.report(latencies: [1400, 1900, 800, 1900, 1400, 1900, 800, 1900])
        let comparison = RunComparison(base: base, new: new)
        #expect(try outcome(comparison, .p50).outcome == .withinNoise)
        #expect(try #require(try outcome(comparison, .p50).pValue) > comparison.level)
    }

    /// The last interval of a run is cut short: a 1 ms sliver with the same requests would be a
    /// rate 1000× the others. It never enters the test.
    @Test func aPartialLastIntervalIsLeftOut() throws {
        let base = try ChosenRun.report(latencies: Array(repeating: 500, count: 6))
        let new = try ChosenRun.report(latencies: Array(repeating: 500, count: 7), lastDuration: 0.001)
        let throughput = try outcome(RunComparison(base: base, new: new), .throughput)
        #expect(throughput.intervals == [6, 6])
    }

    @Test func tooFewIntervalsAreNotJudged() throws {
        let base = try ChosenRun.report(latencies: Array(repeating: 500, count: 4))
        let comparison = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 1900, count: 4)))
        #expect(comparison.verdict == .tooShort)
        #expect(comparison.deltas.allSatisfy { $0.outcome == .tooFewIntervals && $0.pValue == nil })
        #expect(try ComparisonReport.render(comparison, as: .terminal).contains("cannot compare: too few whole intervals"))
    }

    @Test func runsWithNoStepInCommonCannotBeCompared() throws {
        let comparison = RunComparison(base: try ChosenRun.report(latencies: ChosenRun.alternating()),
                                       new: try ChosenRun.report(latencies: ChosenRun.alternating(), step: "pay"))
        #expect(comparison.verdict == .nothingInCommon)
        #expect(comparison.unmatched == ["shop.buy (base only)", "shop.pay (new only)"])
    }

    @Test func errorRateAndThroughput() throws {
        let base = try ChosenRun.report(latencies: Array(repeating: 500, count: 5))
        // 1% errors against none: beyond the 0.1-point floor.
        let failing = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 500, count: 5),
                                                                           failures: Array(repeating: 1, count: 5)))
        #expect(failing.regressions.map(\.metric) == [.errorRate])
        // Throughput is worse when it goes down: 80/s against 100/s is beyond the 10% floor.
        let slower = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 500, count: 5), perInterval: 80))
        #expect(slower.regressions.map(\.metric) == [.throughput])
        let busier = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 500, count: 5), perInterval: 120))
        #expect(try outcome(busier, .throughput).outcome == .improvement)
    }

    /// Open-model runs: throughput is the share of what was asked, so a run asked twice the rate is
    /// not an "improvement", and one that achieved 70% of what it was asked is a regression.
    @Test func throughputIsJudgedAgainstWhatWasAsked() throws {
        let base = try ChosenRun.report(latencies: Array(repeating: 500, count: 6), asked: Array(repeating: 100, count: 6))
        let twice = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 500, count: 6), perInterval: 200,
                                                                         asked: Array(repeating: 200, count: 6)))
        let same = try outcome(twice, .throughput)
        #expect(same.againstAsked && same.outcome == .withinNoise && same.base == 1 && same.new == 1)
        let short = RunComparison(base: base, new: try ChosenRun.report(latencies: Array(repeating: 500, count: 6), perInterval: 70,
                                                                         asked: Array(repeating: 100, count: 6)))
        let fell = try outcome(short, .throughput)
        #expect(fell.outcome == .regression && abs(fell.new - 0.7) < 1e-9)
        #expect(try ComparisonReport.render(short, as: .terminal).contains("70.0% of asked"))
    }

    /// Two ramps to different peaks, with latency that grows with the rate the same way in both:
    /// compared at matching asked rates they agree; set side by side whole, the steeper ramp's busy
    /// seconds would read as a regression.
    @Test func rampedRunsAreComparedAtMatchingRates() throws {
        let slope = { (rate: Double) in UInt64(400 + rate * 8) }
        let baseRates = (1...10).map { Double($0) * 10 }, newRates = (1...10).map { Double($0) * 20 }
        let base = try ChosenRun.report(latencies: baseRates.map(slope), asked: baseRates, requests: baseRates.map { Int($0) })
        let new = try ChosenRun.report(latencies: newRates.map(slope), asked: newRates, requests: newRates.map { Int($0) })
        let p50 = try outcome(RunComparison(base: base, new: new), .p50)
        #expect(p50.intervals == [9, 5], "the common range, 20–100/s (±5%): base 20, 30 … 100; new 20, 40 … 100")
        #expect(p50.outcome == .withinNoise)
    }

    /// Step names come from profiles, which allow any printable text: the notes quote them escaped.
    @Test func stepNamesInTheMarkdownNotesOpenNoTagOrLink() throws {
        let comparison = RunComparison(base: try ChosenRun.report(latencies: ChosenRun.alternating()),
                                       new: try ChosenRun.report(latencies: ChosenRun.alternating(), step: "<b onmouseover=alert(3)>s</b> [l](javascript:x)"))
        let markdown = try ComparisonReport.render(comparison, as: .markdown)
        #expect(markdown.contains("Not compared: shop.&lt;b onmouseover=alert(3)&gt;s&lt;/b&gt; \\[l\\](javascript:x) (new only)."), "\(markdown)")
        #expect(!markdown.contains("<b "))
    }

    @Test func anInvalidRunCannotBeCompared() throws {
        let comparison = RunComparison(base: try ChosenRun.report(latencies: ChosenRun.alternating()),
                                       new: try ChosenRun.report(latencies: ChosenRun.alternating(shiftedBy: 1000), valid: false))
        #expect(comparison.verdict == .invalid)
        let text = try ComparisonReport.render(comparison, as: .terminal)
        #expect(text.contains("cannot compare: the new run is invalid (3 apparent regressions)"))
        #expect(text.contains("The new run is invalid: generator CPU saturated"))
    }
}

/// Comparisons of real runs: the test nginx twice, and a loopback server without and with a delay.
struct RealComparisonTests {
    /// A target with a known 50 ms cost, recorded twice at once: the machine's scheduling noise
    /// is far below the practical floor, so only a false alarm of the test could call it a regression.
    @Test func theSameSystemTwiceIsNotARegression() throws {
        let server = try LoopbackHTTPServer(.answer(after: .milliseconds(50)))
        defer { server.stop() }
        let run = RealRun(scenario: "api", steps: [.init(name: "get", url: server.url), .init(name: "again", url: server.url)],
                          iterations: 40, rate: 5, interval: 0.5)
        let both = try recordedTogether([run, run])
        let comparison = RunComparison(base: both[0], new: both[1])
        let text = try ComparisonReport.render(comparison, as: .terminal)
        #expect(comparison.verdict == .noRegression, "\(text)")
        #expect(comparison.deltas.count == 2 * MetricDelta.Metric.allCases.count)
        #expect(comparison.deltas.allSatisfy { $0.outcome != .tooFewIntervals }, "\(text)")
        #expect(comparison.unmatched.isEmpty)
    }

    @Test func aSlowedTargetIsARegression() throws {
        let fast = try LoopbackHTTPServer(.answer(after: .zero))
        let slow = try LoopbackHTTPServer(.answer(after: .milliseconds(100)))
        defer {
            fast.stop()
            slow.stop()
        }
        // Slow enough a pace that the client keeps up with the slowed server.
        func run(_ server: LoopbackHTTPServer) -> RealRun {
            RealRun(scenario: "api", steps: [.init(name: "get", url: server.url)], iterations: 15, rate: 5, interval: 0.5)
        }
        let both = try recordedTogether([run(fast), run(slow)])
        let comparison = RunComparison(base: both[0], new: both[1])
        #expect(comparison.verdict == .regression)
        // Every format says so.
        let terminal = try ComparisonReport.render(comparison, as: .terminal)
        // Which percentiles clear the band depends on how steady this machine is; latency does, errors do not.
        let regressed = Set(comparison.regressions.map(\.metric))
        #expect(!regressed.isEmpty && regressed.isSubset(of: [.p50, .p90, .p99]), "\(terminal)")
        #expect(comparison.regressions.allSatisfy { $0.step == "api.get" && $0.new - $0.base > 0.05 })
        #expect(terminal.contains("REGRESSION in "))
        #expect(terminal.split(separator: "\n").contains { $0.hasPrefix("  api.get  p") && $0.hasSuffix("REGRESSION") })
        let markdown = try ComparisonReport.render(comparison, as: .markdown)
        #expect(markdown.contains("**❌ REGRESSION in "))
        #expect(markdown.contains("| step | metric | base | new | change | floor | p | verdict |"))
        let json = try JSONSerialization.jsonObject(with: Data(try ComparisonReport.render(comparison, as: .json).utf8)) as? [String: Any]
        #expect(json?["kind"] as? String == "comparison")
        #expect(json?["verdict"] as? String == "regression")
        #expect((json?["deltas"] as? [Any])?.count == MetricDelta.Metric.allCases.count)
        let html = try ComparisonReport.render(comparison, as: .html)
        #expect(html.contains(#"aria-label="Latency percentiles: new and base (dashed)""#))
        #expect(html.contains(#"stroke-dasharray="6 4""#))
        #expect(html.contains(#"<tr class="fail">"#))
        #expect(!html.contains("<script"))
        let junit = try JUnitReportTests.Cases(try ComparisonReport.render(comparison, as: .junit)).cases
        #expect(junit.filter { $0.suite == "comparison" }.count == MetricDelta.Metric.allCases.count)
        #expect(junit.filter(\.failed).map(\.name).sorted() == comparison.regressions.map(\.metric.rawValue).sorted())
    }

    /// Records the runs at the same time, so they share whatever else this machine is doing (other
    /// tests, other builds): the comparison is about the systems under test, not the neighbours.
    private func recordedTogether(_ runs: [RealRun]) throws -> [RunReport] {
        let reports = Mutex<[Int: Result<RunReport, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: runs.count) { index in
            let report = Result { try recorded(runs[index]) }
            reports.withLock { $0[index] = report }
        }
        return try reports.withLock { results in try runs.indices.map { try results[$0]!.get() } }
    }

    private func recorded(_ run: RealRun) throws -> RunReport {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-compare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try run.record(into: folder)
        return try RunFolder(url: folder).report(thresholds: .skip)
    }
}
