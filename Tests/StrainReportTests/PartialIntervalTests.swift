import Foundation
import StrainContract
import StrainReport
import Testing

/// A run's last interval is usually a sliver (a few milliseconds): its count over that sliver is no
/// rate to put next to whole seconds. A flat 200/s run must not chart as ending in a spike.
struct PartialIntervalTests {
    static func digest(lastDuration: Double, lastRequests: UInt64) throws -> TimelineDigest {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("timeline.ndjson")
        let writer = try TimelineWriter(url: url)
        func interval(_ start: Double, _ duration: Double, _ requests: UInt64) -> TimelineInterval {
            TimelineInterval(start: start, duration: duration, partial: duration < 1, steps: [
                IntervalStep(scenario: "browse", step: "home", requests: requests, failures: 0,
                             latency: Histogram(recording: Array(repeating: 500, count: Int(requests))))])
        }
        for second in 0..<3 { try writer.append(interval(Double(second), 1, 200)) }
        try writer.append(interval(3, lastDuration, lastRequests))
        writer.close()
        return try TimelineDigest(reading: url)
    }

    @Test func theDigestMarksTheLastSliverPartial() throws {
        let digest = try Self.digest(lastDuration: 0.001, lastRequests: 2)
        #expect(digest.total.map(\.partial) == [false, false, false, true])
        #expect(digest.steps["browse.home"]?.map(\.partial) == [false, false, false, true])
    }

    @Test func theThroughputChartPlotsWholeIntervalsOnly() throws {
        let digest = try Self.digest(lastDuration: 0.001, lastRequests: 2)
        let html = HTMLReport.render(RunReport(artifact: KnownRun.artifact, timeline: digest))
        let chart = try #require(html.components(separatedBy: "<svg ").first { $0.contains(#"aria-label="Throughput and errors""#) })
        let path = try #require(chart.firstMatch(of: /<path class="series" d="([^"]+)"/)?.1)
        // Three whole seconds at 200/s: three points, no spike to 2,000/s at the end.
        #expect(path.split(separator: "L").count == 3)
        #expect(!chart.contains("2.0k") && !chart.contains("2,000"))
    }
}
