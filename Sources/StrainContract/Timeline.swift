import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One interval (normally one second) of a run, as one NDJSON line of the timeline file.
public struct TimelineInterval: Codable, Sendable, Equatable {
    /// Seconds since the run started.
    public var start: Double
    /// Seconds covered, normally 1.
    public var duration: Double
    /// Shorter than a whole interval: the run ended (or was stopped) inside it. Its counts are over a
    /// sliver of time, so a rate from it is not comparable with whole intervals': keep it out of rate
    /// charts and noise estimates.
    public var partial: Bool
    public var steps: [IntervalStep]

    public init(start: Double, duration: Double, partial: Bool = false, steps: [IntervalStep]) {
        self.start = start
        self.duration = duration
        self.partial = partial
        self.steps = steps
    }

    private enum CodingKeys: String, CodingKey {
        case start, duration, partial, steps
    }

    /// Timelines written before `partial` existed read as whole intervals.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        start = try RunArtifact.decodeSeconds(container, .start)
        duration = try RunArtifact.decodeSeconds(container, .duration)
        partial = try container.decodeIfPresent(Bool.self, forKey: .partial) ?? false
        steps = try container.decode([IntervalStep].self, forKey: .steps)
    }
}

extension TimelineInterval {
    /// Counts no run can record in an interval (the rules `RunArtifact.impossibleValue` applies to a
    /// whole run): a step failing more requests than it made, or timing more responses than it had,
    /// or listed twice, was written by hand, and a comparison built on it would be wrong.
    var impossibleValue: String? {
        var seen = Set<[String]>()
        for (index, step) in steps.enumerated() {
            let key = "steps[\(index)]"
            guard seen.insert([step.scenario, step.step]).inserted else {
                return "\(key): step \"\(step.step)\" of scenario \"\(step.scenario)\" is listed twice in one interval"
            }
            if let problem = RunArtifact.impossibleCounts(at: key, requests: step.requests, failures: step.failures,
                                                          histograms: [("latency", step.latency), ("service", step.service)]) {
                return problem
            }
        }
        return nil
    }
}

/// What one step did during one interval.
public struct IntervalStep: Codable, Sendable, Equatable {
    public var scenario: String
    public var step: String
    public var requests: UInt64
    public var failures: UInt64
    public var latency: Histogram
    public var service: Histogram?
    /// Iterations of the step's scenario the open model's schedule asked for during the interval
    /// (this shard's part); nil for the closed model and in timelines written before it was kept.
    public var asked: Double?

    public init(scenario: String, step: String, requests: UInt64, failures: UInt64, latency: Histogram, service: Histogram? = nil,
                asked: Double? = nil) {
        self.scenario = scenario
        self.step = step
        self.requests = requests
        self.failures = failures
        self.latency = latency
        self.service = service
        self.asked = asked
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scenario = try container.decode(String.self, forKey: .scenario)
        step = try container.decode(String.self, forKey: .step)
        requests = try container.decode(UInt64.self, forKey: .requests)
        failures = try container.decode(UInt64.self, forKey: .failures)
        latency = try container.decode(Histogram.self, forKey: .latency)
        service = try container.decodeIfPresent(Histogram.self, forKey: .service)
        asked = try RunArtifact.decodeRateIfPresent(container, .asked)
    }
}

/// Streams a timeline to disk while the run goes on, one line per interval, each handed to the
/// kernel as soon as it is appended: a killed run keeps every interval up to the last.
public final class TimelineWriter: Sendable {
    public let url: URL
    private let descriptor: Mutex<Int32?>

    /// Creates (or truncates) the timeline file; a symbolic link in its place is refused rather than
    /// written through (the other files are renamed into place, which replaces a link).
    public init(url: URL) throws(FileIOError) {
        self.url = url
        descriptor = Mutex(try POSIXFile.open(url.path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW))
    }

    /// Appends `interval` as one line with a single write, so a kill can only truncate the last line.
    public func append(_ interval: TimelineInterval) throws {
        var line = try JSONFormat.encoder(pretty: false).encode(interval)
        line.append(UInt8(ascii: "\n"))
        try descriptor.withLock { descriptor throws(FileIOError) in
            guard let descriptor else { throw FileIOError(path: url.path, operation: "append after close", errorNumber: EBADF) }
            try POSIXFile.writeAll(line, to: descriptor, path: url.path)
        }
    }

    /// Closes the file; later appends fail. Safe to call more than once.
    public func close() {
        descriptor.withLock { descriptor in
            if let open = descriptor { _ = Glibc.close(open) }
            descriptor = nil
        }
    }

    deinit { close() }
}

/// A timeline line that is not a valid interval.
public struct TimelineError: Error, CustomStringConvertible, Equatable {
    public var path: String
    /// 1-based line number, or nil when the file itself could not be read.
    public var line: Int?
    public var detail: String

    public var description: String {
        if let line { "\(path):\(line): corrupt timeline line: \(detail)" } else { "\(path): cannot read timeline: \(detail)" }
    }
}

public enum TimelineReader {
    /// All intervals of a timeline file.
    ///
    /// A last line without its newline was cut off by a killed run and is skipped when it does
    /// not parse; a bad line anywhere else is an error naming the line.
    public static func read(from url: URL) throws(TimelineError) -> [TimelineInterval] {
        var intervals: [TimelineInterval] = []
        try read(from: url) { intervals.append($0) }
        return intervals
    }

    /// Calls `body` with each interval in order, so a long run's timeline can be reduced
    /// (e.g. to percentiles) without holding every histogram in memory at once.
    public static func read(from url: URL, each body: (TimelineInterval) -> Void) throws(TimelineError) {
        var cursor = try TimelineCursor(url: url)
        while let interval = try cursor.next() { body(interval) }
    }

    /// Calls `body` with each interval in a timeline's bytes; `path` names it in errors.
    public static func parse(_ data: Data, path: String, each body: (TimelineInterval) -> Void) throws(TimelineError) {
        var cursor = try TimelineCursor(data: data, path: path)
        while let interval = try cursor.next() { body(interval) }
    }
}

/// A timeline's intervals one at a time, in the file's order: its bytes are held (a run file is at
/// most 1 GiB), and an interval is decoded only when asked for, so that several timelines can be
/// walked side by side (`strain merge`) without holding their histograms.
///
/// A last line without its newline was cut off by a killed run and is skipped when it does not
/// parse; a bad line anywhere else is an error naming the line.
public struct TimelineCursor {
    private let path: String
    private let lines: [Data]
    private var offset = 0
    private let decoder = JSONFormat.decoder()

    public init(url: URL) throws(TimelineError) {
        let data: Data
        do {
            data = try InputFile.read(url.path, maxBytes: InputFile.maxRunFileBytes)
        } catch {
            throw TimelineError(path: url.path, line: nil, detail: error.reason)
        }
        try self.init(data: data, path: url.path)
    }

    /// `path` names the bytes in errors.
    public init(data: Data, path: String) throws(TimelineError) {
        if let tooDeep = JSONNesting.firstTooDeep(in: data) {
            throw TimelineError(path: path, line: tooDeep.line, detail: JSONNesting.message)
        }
        self.path = path
        lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    /// The next interval, or nil after the last.
    public mutating func next() throws(TimelineError) -> TimelineInterval? {
        while offset < lines.count {
            let index = offset
            offset += 1
            let line = lines[index]
            guard !line.isEmpty else { continue }
            do {
                // A line too short to hold more steps than a run has needs no count.
                if line.count > StepCount.smallestBytes(ofSteps: RunArtifact.maxSteps) {
                    struct Probe: Decodable { var steps: [StepCount.Skipped] }
                    let steps = try decoder.decode(Probe.self, from: line).steps.count
                    if steps > RunArtifact.maxSteps {
                        throw TimelineError(path: path, line: index + 1, detail: StepCount.tooMany(steps, at: "steps"))
                    }
                }
                let interval = try decoder.decode(TimelineInterval.self, from: line)
                if let problem = interval.impossibleValue { throw TimelineError(path: path, line: index + 1, detail: problem) }
                return interval
            } catch let error as TimelineError {
                throw error
            } catch {
                // Only the final piece can lack its newline (the file ended mid-line).
                if index == lines.count - 1 { return nil }
                let detail = (error as? DecodingError).map { JSONFormat.describe($0, in: line, decoding: TimelineInterval.self) } ?? String(describing: error)
                throw TimelineError(path: path, line: index + 1, detail: detail)
            }
        }
        return nil
    }
}
