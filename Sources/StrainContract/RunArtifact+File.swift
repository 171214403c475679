import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a run artifact could not be read.
public enum ArtifactError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    /// Written by a newer Strain whose format this build does not know.
    case newerFormat(path: String, found: Int)
    /// Not JSON, not an artifact, or an artifact with a wrong or missing value.
    case notAnArtifact(path: String, detail: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            // A timeline beside it: the run was killed before its first checkpoint (or the file was removed).
            FileManager.default.fileExists(atPath: RunFile.timeline.url(in: URL(fileURLWithPath: path).deletingLastPathComponent()).path)
                ? "\(path): no such run artifact, though timeline.ndjson is there: the run was killed before its first "
                    + "checkpoint, or run.json was removed; its intervals are in the timeline, but a report needs run.json"
                : "\(path): no such run artifact"
        case .unreadable(let path, let reason):
            "\(path): cannot read run artifact: \(reason)"
        case .newerFormat(let path, let found):
            "\(path) was written by a newer Strain (artifact format \(found)); this build reads format \(RunArtifact.formatVersion) — upgrade strain"
        case .notAnArtifact(let path, let detail):
            "\(path): not a Strain run artifact: \(detail)"
        }
    }
}

extension RunArtifact {
    /// Names head the reports' sections; a profile cannot give one a control character, so a run
    /// file that has one was made by hand, and its escape sequences would drive the reader's terminal.
    var nameWithControlCharacter: String? {
        // Line feeds and tabs too: a name is one line.
        func control(in name: String) -> Unicode.Scalar? {
            name.unicodeScalars.first(where: TerminalText.isControlInOneLine)
        }
        var names = [("profile.name", profile?.name ?? "")]
        for (index, scenario) in scenarios.enumerated() {
            names.append(("scenarios[\(index)].name", scenario.name))
            names += scenario.steps.enumerated().map { ("scenarios[\(index)].steps[\($0.offset)].name", $0.element.name) }
        }
        for (key, name) in names {
            if let character = control(in: name) {
                return "\(key) holds a control character (\(TerminalText.codePoint(character)))"
            }
        }
        return nil
    }

    /// Counts and times no run can record: a report of them would print a failure rate of 2,500,000,000%
    /// or a run that ended before it began, so a file that holds them was made by hand.
    var impossibleValue: String? {
        if endedAt < startedAt { return "endedAt is before startedAt" }
        if host.cores < 1 { return "host.cores must be at least 1, found \(host.cores)" }
        var names = Set<String>()
        for (index, scenario) in scenarios.enumerated() {
            guard names.insert(scenario.name).inserted else { return "scenarios[\(index)].name: \"\(scenario.name)\" is given twice" }
            var stepNames = Set<String>()
            for (stepIndex, step) in scenario.steps.enumerated() {
                let key = "scenarios[\(index)].steps[\(stepIndex)]"
                // A profile names its steps apart, and `compare` matches steps by name.
                guard stepNames.insert(step.name).inserted else { return "\(key).name: \"\(step.name)\" is given twice in its scenario" }
                if let problem = Self.impossibleCounts(at: key, requests: step.requests, failures: step.failures,
                                                       histograms: [("latency", step.latency), ("service", step.service)]) {
                    return problem
                }
                // Every failure is counted under one error label.
                let labelled = step.errors.reduce(UInt64(0)) { $0.addingReportingOverflow($1.count).overflow ? .max : $0 + $1.count }
                if labelled > step.failures { return "\(key).errors: \(labelled) errors is more than its \(step.failures) failures" }
                let answered = step.statuses.values.reduce(UInt64(0)) { $0.addingReportingOverflow($1).overflow ? .max : $0 + $1 }
                if answered > step.requests { return "\(key).statuses: \(answered) answers is more than its \(step.requests) requests" }
            }
        }
        return nil
    }

    /// The rules a step's counts follow in a whole run and in each interval of its timeline alike:
    /// no more failures, and no more timed responses, than requests.
    static func impossibleCounts(at key: String, requests: UInt64, failures: UInt64, histograms: [(name: String, Histogram?)]) -> String? {
        if failures > requests { return "\(key).failures: \(failures) is more than its \(requests) requests" }
        for case let (name, histogram?) in histograms where histogram.count > requests {
            return "\(key).\(name): \(histogram.count) values is more than its \(requests) requests"
        }
        return nil
    }

    /// Stable, diffable JSON: sorted keys, pretty printed, ISO-8601 dates.
    public func encoded() throws -> Data {
        try JSONFormat.encoder(pretty: true).encode(self)
    }

    /// Writes the artifact atomically: readers see the previous file or this one, never half of it.
    public func write(to url: URL) throws {
        var data = try encoded()
        data.append(UInt8(ascii: "\n"))
        try AtomicFile.write(data, to: url)
    }

    public static func read(from url: URL) throws(ArtifactError) -> RunArtifact {
        let path = url.path
        let data: Data
        do {
            data = try InputFile.read(path, maxBytes: InputFile.maxRunFileBytes)
        } catch where error.errorNumber == ENOENT {
            throw .missingFile(path: path)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        return try decode(data, path: path)
    }

    /// Decodes artifact JSON; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String) throws(ArtifactError) -> RunArtifact {
        // Look at the format first, so a newer artifact is reported as such rather than as
        // whatever key it happens to have renamed.
        if let tooDeep = JSONNesting.firstTooDeep(in: data) {
            throw .notAnArtifact(path: path, detail: "\(JSONNesting.message) (line \(tooDeep.line), column \(tooDeep.column))")
        }
        struct Probe: Decodable {
            struct Scenario: Decodable { var steps: [StepCount.Skipped]? }
            var format: Int
            var scenarios: [Scenario]?
        }
        let decoder = JSONFormat.decoder()
        do {
            let probe = try decoder.decode(Probe.self, from: data)
            if probe.format > formatVersion { throw ArtifactError.newerFormat(path: path, found: probe.format) }
            guard probe.format == formatVersion else {
                throw ArtifactError.notAnArtifact(path: path, detail: "unknown artifact format \(probe.format)")
            }
            // Counted before the steps are read: reading them is what would take the memory.
            let steps = (probe.scenarios ?? []).reduce(0) { $0 + ($1.steps?.count ?? 0) }
            if steps > maxSteps {
                throw ArtifactError.notAnArtifact(path: path, detail: StepCount.tooMany(steps, at: "scenarios[].steps"))
            }
            let artifact = try decoder.decode(RunArtifact.self, from: data)
            if let problem = artifact.nameWithControlCharacter ?? artifact.impossibleValue {
                throw ArtifactError.notAnArtifact(path: path, detail: problem)
            }
            return artifact
        } catch let error as ArtifactError {
            throw error
        } catch let error as DecodingError {
            throw .notAnArtifact(path: path, detail: JSONFormat.describe(error, in: data, decoding: RunArtifact.self))
        } catch {
            throw .notAnArtifact(path: path, detail: String(describing: error))
        }
    }
}
