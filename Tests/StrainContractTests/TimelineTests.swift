import Foundation
import Testing
@testable import StrainContract

@Suite struct TimelineTests {
    static func interval(_ second: Int) -> TimelineInterval {
        let values = Distribution.logNormal.values.dropFirst(second * 100).prefix(100)
        return TimelineInterval(start: Double(second), duration: 1, steps: [
            IntervalStep(scenario: "browse", step: "login", requests: 100, failures: UInt64(second),
                         latency: Histogram(recording: values), service: Histogram(recording: values.map { $0 / 2 })),
            IntervalStep(scenario: "reports", step: "query", requests: 0, failures: 0, latency: Histogram()),
        ])
    }

    static let intervals = (0..<3).map(interval)

    static func writeTimeline(_ intervals: [TimelineInterval], to url: URL) throws {
        let writer = try TimelineWriter(url: url)
        for interval in intervals { try writer.append(interval) }
        writer.close()
    }

    @Test("appended intervals read back equal, one line each")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            try Self.writeTimeline(Self.intervals, to: url)
            #expect(try TimelineReader.read(from: url) == Self.intervals)
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.split(separator: "\n").count == Self.intervals.count)
            #expect(text.hasSuffix("\n"))
        }
    }

    @Test("a partial interval reads back partial; a line written before the field existed is whole")
    func partialIntervals() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            var last = Self.interval(3)
            last.duration = 0.004
            last.partial = true
            try Self.writeTimeline(Self.intervals + [last], to: url)
            #expect(try TimelineReader.read(from: url).map(\.partial) == [false, false, false, true])
            try Data(#"{"start":0,"duration":1,"steps":[]}"#.utf8 + [10]).write(to: url)
            #expect(try TimelineReader.read(from: url).map(\.partial) == [false])
        }
    }

    @Test("each appended line is on disk before close, so a killed run keeps it")
    func appendReachesTheFileImmediately() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            let writer = try TimelineWriter(url: url)
            try writer.append(Self.intervals[0])
            #expect(try TimelineReader.read(from: url) == [Self.intervals[0]])
            writer.close()
        }
    }

    @Test("a last line cut off mid-write is skipped", arguments: [1, 40, 200])
    func truncatedLastLine(keptBytes: Int) throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            try Self.writeTimeline(Self.intervals, to: url)
            let partial = try JSONFormat.encoder(pretty: false).encode(Self.interval(3)).prefix(keptBytes)
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            try handle.write(contentsOf: partial)
            try handle.close()
            #expect(try TimelineReader.read(from: url) == Self.intervals)
        }
    }

    @Test("a corrupt line is reported with its line number", arguments: [
        (1, "{\"start\": 0}\n"), (2, "not json\n"), (3, "{\"start\": \"soon\", \"duration\": 1, \"steps\": []}\n"),
    ])
    func corruptLine(lineNumber: Int, badLine: String) throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            try Self.writeTimeline(Self.intervals, to: url)
            var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[lineNumber - 1] = String(badLine.dropLast())
            try Data(lines.joined(separator: "\n").utf8).write(to: url)
            let error = #expect(throws: TimelineError.self) { try TimelineReader.read(from: url) }
            #expect(error?.line == lineNumber)
            #expect(error?.description.hasPrefix("\(url.path):\(lineNumber): corrupt timeline line: ") == true)
        }
    }

    /// Foundation says only "not valid JSON" for a number its key's type cannot hold: the reader finds it.
    @Test("a count that is negative, fractional or too large is named by its key", arguments: [
        ("-4", "invalid value at 'steps[0].requests': -4 (the number does not fit its key's type)"),
        ("18446744073709551616", "invalid value at 'steps[0].requests': "),
        ("4.5", "invalid value at 'steps[0].requests': 4.5"),
    ])
    func countOutOfRange(requests: String, detail: String) throws {
        let line = #"{"start":0,"duration":1,"steps":[{"scenario":"s","step":"a","requests":"# + requests
            + #","failures":0,"latency":{"b":"","max":0,"min":0,"n":0,"v":1}}]}"# + "\n"
        let error = #expect(throws: TimelineError.self) { try TimelineReader.parse(Data(line.utf8), path: "t.ndjson") { _ in } }
        #expect(error?.description.hasPrefix("t.ndjson:1: corrupt timeline line: \(detail)") == true, "\(error?.description ?? "")")
    }

    /// Set to 0 to find it, a histogram's max or min breaks the histogram's own rules (max below min,
    /// max outside the highest bucket): it is named all the same.
    @Test("a histogram's extreme that no count can be is named by its key", arguments: [
        (#""max":-1,"min":245"#, "invalid value at 'steps[0].latency.max': -1 (the number does not fit its key's type)"),
        (#""max":245,"min":-245"#, "invalid value at 'steps[0].latency.min': -245 (the number does not fit its key's type)"),
    ])
    func histogramExtremeOutOfRange(extremes: String, detail: String) throws {
        let line = #"{"start":0,"duration":1,"steps":[{"scenario":"s","step":"a","requests":1,"failures":0,"latency":{"b":"245:1","# + extremes
            + #","n":1,"v":1}}]}"# + "\n"
        let error = #expect(throws: TimelineError.self) { try TimelineReader.parse(Data(line.utf8), path: "t.ndjson") { _ in } }
        #expect(error?.description == "t.ndjson:1: corrupt timeline line: \(detail)", "\(error?.description ?? "")")
    }

    /// A line is read whole: one listing a million steps would take all the memory. Counted first.
    @Test func aLineWithMoreStepsThanARunHoldsIsRefused() throws {
        func step(_ index: Int) -> String {
            #"{"scenario":"s","step":"a"# + String(index) + #"","requests":0,"failures":0,"latency":{"b":"","max":0,"min":0,"n":0,"v":1}}"#
        }
        func line(steps: Int) -> String { #"{"start":0,"duration":1,"steps":["# + (0..<steps).map(step).joined(separator: ",") + "]}\n" }
        let error = #expect(throws: TimelineError.self) {
            try TimelineReader.parse(Data((line(steps: 1) + line(steps: RunArtifact.maxSteps + 1)).utf8), path: "t.ndjson") { _ in }
        }
        #expect(error?.description == "t.ndjson:2: corrupt timeline line: steps: 1001 steps, more than a run holds (at most 1000)")
        var read = 0
        try TimelineReader.parse(Data(line(steps: RunArtifact.maxSteps).utf8), path: "t.ndjson") { read += $0.steps.count }
        #expect(read == RunArtifact.maxSteps)
    }

    /// Times and rates no run has would make infinite rates and unwritable reports downstream.
    @Test("a time or a rate out of any run's range is named by its key", arguments: [
        (#""start":1e300,"duration":1"#, "", "invalid value at 'start': expected 0.0 to 100000000.0 seconds, found 1e+300"),
        (#""start":0,"duration":-1"#, "", "invalid value at 'duration': expected 0.0 to 100000000.0 seconds, found -1.0"),
        (#""start":0,"duration":1"#, #","asked":1.7e308"#, "invalid value at 'steps[0].asked': expected 0.0 to 1000000000000.0 per second"),
    ])
    func timeOrRateOutOfRange(times: String, asked: String, detail: String) throws {
        let line = "{" + times + #","steps":[{"scenario":"s","step":"a","requests":1,"failures":0"# + asked
            + #","latency":{"b":"","max":0,"min":0,"n":0,"v":1}}]}"# + "\n"
        let error = #expect(throws: TimelineError.self) { try TimelineReader.parse(Data(line.utf8), path: "t.ndjson") { _ in } }
        #expect(error?.description.hasPrefix("t.ndjson:1: corrupt timeline line: \(detail)") == true, "\(error?.description ?? "")")
    }

    /// What run.json refuses for a whole run, a timeline refuses per interval: a comparison's tests
    /// read the intervals, and an interval failing more requests than it made would decide them.
    @Test("an interval with counts no run records is named by its key", arguments: [
        (#""requests":3,"failures":4"#, #"{"b":"","max":0,"min":0,"n":0,"v":1}"#, 1,
         "steps[0].failures: 4 is more than its 3 requests"),
        (#""requests":0,"failures":0"#, #"{"b":"245:1","max":245,"min":245,"n":1,"v":1}"#, 1,
         "steps[0].latency: 1 values is more than its 0 requests"),
        (#""requests":1,"failures":0"#, #"{"b":"","max":0,"min":0,"n":0,"v":1}"#, 2,
         #"steps[1]: step "a" of scenario "s" is listed twice in one interval"#),
    ])
    func impossibleCounts(counts: String, latency: String, copies: Int, detail: String) throws {
        let step = #"{"scenario":"s","step":"a","# + counts + #","latency":"# + latency + "}"
        let line = #"{"start":0,"duration":1,"steps":["# + Array(repeating: step, count: copies).joined(separator: ",") + "]}\n"
        let error = #expect(throws: TimelineError.self) {
            try TimelineReader.parse(Data((line + line).utf8), path: "t.ndjson") { _ in }
        }
        #expect(error?.description == "t.ndjson:1: corrupt timeline line: \(detail)", "\(error?.description ?? "")")
    }

    @Test func aTimelineIsNotWrittenThroughALink() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strain-link-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("timeline.ndjson"), withDestinationURL: target)
        #expect(throws: FileIOError.self) { try TimelineWriter(url: folder.appendingPathComponent("timeline.ndjson")) }
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    /// A negative number the format allows (a query id) is not blamed for a count that does not fit.
    @Test func theNumberThatDoesNotFitIsFoundAmongOnesThatDo() throws {
        struct Statement: Decodable { var queryID: Int64; var calls: UInt64 }
        struct Document: Decodable { var statements: [Statement] }
        let json = #"{"statements": [{"queryID": -898600, "calls": 3}, {"queryID": -12, "calls": 1.5}, {"queryID": 7, "calls": -1}]}"#
        let error = #expect(throws: DecodingError.self) { try JSONFormat.decoder().decode(Document.self, from: Data(json.utf8)) }
        let described = JSONFormat.describe(try #require(error), in: Data(json.utf8), decoding: Document.self)
        #expect(described.hasPrefix("invalid value at 'statements[2].calls': -1"), "\(described)")
    }

    @Test("appending after close fails instead of writing to a recycled descriptor")
    func appendAfterClose() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("timeline.ndjson")
            let writer = try TimelineWriter(url: url)
            writer.close()
            writer.close()
            #expect(throws: FileIOError.self) { try writer.append(Self.intervals[0]) }
        }
    }

    @Test("a missing timeline is reported with its path")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("absent.ndjson")
            let error = #expect(throws: TimelineError.self) { try TimelineReader.read(from: url) }
            #expect(error?.line == nil)
            #expect(error?.description.hasPrefix("\(url.path): cannot read timeline") == true)
        }
    }
}
