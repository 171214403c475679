import Foundation
import Testing
@testable import StrainContract

@Suite struct RunArtifactTests {
    static func sampleArtifact() -> RunArtifact {
        var dns = Histogram()
        dns.record(120, count: 30)
        let step = StepResult(
            name: "login", requests: 1_000, failures: 3,
            latency: Histogram(recording: Distribution.logNormal.values.prefix(1_000)),
            service: Histogram(recording: Distribution.uniform.values.prefix(1_000)),
            phases: ["dns": dns, "ttfb": Histogram(recording: [900, 1_200, 40_000])],
            counters: ["bytesIn": 123_456, "missed": 2],
            statuses: ["200": 997, "503": 3],
            errors: [ErrorTally(label: "http.status", count: 3, example: "503 Service Unavailable")]
        )
        return RunArtifact(
            tool: ToolInfo(version: "0.1.0"),
            profile: ProfileInfo(name: "checkout", path: "profiles/checkout.json5", sha256: SHA256.hexDigest(Array("{}".utf8))),
            host: HostInfo(hostname: "loadgen-1", cores: 8, memoryBytes: 16 << 30, os: "Linux 6.8.0", arch: "x86_64"),
            gitSHA: "0123456789abcdef0123456789abcdef01234567",
            // Artifact dates keep milliseconds; a binary-exact fraction makes equality meaningful.
            startedAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            endedAt: Date(timeIntervalSince1970: 1_700_000_060.5),
            status: .completed,
            validity: Validity(valid: false, reasons: ["generator CPU above 90%"]),
            scenarios: [
                ScenarioResult(name: "browse", kind: .http, iterations: 500, steps: [step]),
                ScenarioResult(name: "reports", kind: .postgres, iterations: 0, steps: []),
            ]
        )
    }

    @Test("write then read gives back the same artifact")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("run.json")
            let artifact = Self.sampleArtifact()
            try artifact.write(to: url)
            #expect(try RunArtifact.read(from: url) == artifact)
        }
    }

    @Test("dates keep millisecond precision")
    func datePrecision() throws {
        var artifact = Self.sampleArtifact()
        artifact.startedAt = Date(timeIntervalSince1970: 1_700_000_000.123_456)
        let decoded = try RunArtifact.decode(try artifact.encoded(), path: "memory")
        #expect(abs(decoded.startedAt.timeIntervalSince(artifact.startedAt)) < 0.001)
    }

    @Test("the encoding is stable: sorted keys, ISO-8601 dates with fractions, same bytes every time")
    func stableEncoding() throws {
        let artifact = Self.sampleArtifact()
        let json = String(decoding: try artifact.encoded(), as: UTF8.self)
        #expect(try artifact.encoded() == artifact.encoded())
        #expect(json.contains(#""startedAt" : "2023-11-14T22:13:20.250Z""#))
        let topLevelKeys = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(topLevelKeys == ["endedAt", "format", "gitSHA", "host", "profile", "scenarios", "startedAt", "status", "tool", "validity"])
    }

    @Test("writing replaces an existing file and leaves no temporary file behind")
    func atomicReplace() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("run.json")
            try Data("old content".utf8).write(to: url)
            let artifact = Self.sampleArtifact()
            try artifact.write(to: url)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["run.json"])
            #expect(try RunArtifact.read(from: url) == artifact)
        }
    }

    @Test("writing into a missing directory fails naming the destination")
    func writeIntoMissingDirectory() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("absent/run.json")
            let error = #expect(throws: FileIOError.self) { try Self.sampleArtifact().write(to: url) }
            #expect(error?.description == "\(url.path): open failed: No such file or directory")
        }
    }

    @Test("an artifact from a newer Strain is rejected with an upgrade hint")
    func newerFormat() throws {
        var artifact = Self.sampleArtifact()
        artifact.format = 2
        let error = #expect(throws: ArtifactError.self) {
            try RunArtifact.decode(try artifact.encoded(), path: "runs/new.json")
        }
        #expect(error?.description == "runs/new.json was written by a newer Strain (artifact format 2); this build reads format 1 — upgrade strain")
    }

    @Test("a name with a control character is refused: only a hand-made file has one, and it would drive the terminal")
    func controlCharactersInNames() throws {
        var artifact = Self.sampleArtifact()
        artifact.scenarios[0].steps[0].name = "step\u{1B}]0;pwned\u{7}"
        let error = #expect(throws: ArtifactError.self) {
            try RunArtifact.decode(try artifact.encoded(), path: "runs/hostile.json")
        }
        #expect(error?.description == "runs/hostile.json: not a Strain run artifact: scenarios[0].steps[0].name holds a control character (U+001B)")
    }

    /// Values no run records: the report would print them as figures (a failure rate of 2.5 × 10⁹ %).
    @Test("counts and times no run can record are refused, naming the key", arguments: [
        "scenarios[0].steps[0].failures: 1001 is more than its 1000 requests",
        "scenarios[0].steps[0].statuses: 2000 answers is more than its 1000 requests",
        "scenarios[0].steps[0].service: 1000 values is more than its 999 requests",
        "endedAt is before startedAt",
        "host.cores must be at least 1, found 0",
        "scenarios[1].name: \"browse\" is given twice",
        "scenarios[0].steps[1].name: \"login\" is given twice in its scenario",
        "scenarios[0].steps[0].errors: 18446744073709551615 errors is more than its 3 failures",
    ])
    func impossibleValues(message: String) throws {
        var artifact = Self.sampleArtifact()
        switch message {
        case let text where text.contains(".errors:"):
            // Two counts whose sum overflows: read as the most there can be, not wrapped round to 1.
            artifact.scenarios[0].steps[0].errors += [ErrorTally(label: "connect.refused", count: .max, example: "refused"),
                                                      ErrorTally(label: "timeout", count: 2, example: "timed out")]
        case let text where text.contains("failures"): artifact.scenarios[0].steps[0].failures = 1_001
        case let text where text.contains("statuses"): artifact.scenarios[0].steps[0].statuses["200"] = 1_997
        case let text where text.contains("service"):
            artifact.scenarios[0].steps[0].requests = 999
            artifact.scenarios[0].steps[0].statuses = ["200": 996, "503": 3]
            artifact.scenarios[0].steps[0].latency = Histogram()
        case let text where text.contains("endedAt"): artifact.endedAt = artifact.startedAt.addingTimeInterval(-1)
        case let text where text.contains("cores"): artifact.host.cores = 0
        case let text where text.contains("in its scenario"): artifact.scenarios[0].steps.append(artifact.scenarios[0].steps[0])
        default: artifact.scenarios[1].name = "browse"
        }
        let error = #expect(throws: ArtifactError.self) { try RunArtifact.decode(try artifact.encoded(), path: "runs/made.json") }
        #expect(error?.description == "runs/made.json: not a Strain run artifact: \(message)")
    }

    /// Each step's histograms take memory: the steps are counted before they are read.
    @Test func aRunFileWithMoreStepsThanARunHoldsIsRefusedBeforeItsStepsAreRead() throws {
        var artifact = Self.sampleArtifact()
        artifact.scenarios[1].steps = (0..<RunArtifact.maxSteps).map { StepResult(name: "s\($0)", requests: 0, failures: 0, latency: Histogram()) }
        let error = #expect(throws: ArtifactError.self) { try RunArtifact.decode(try artifact.encoded(), path: "runs/many.json") }
        #expect(error?.description == "runs/many.json: not a Strain run artifact: scenarios[].steps: 1001 steps, more than a run holds (at most 1000)")
        artifact.scenarios[1].steps.removeLast()
        #expect(try RunArtifact.decode(try artifact.encoded(), path: "runs/many.json").scenarios[1].steps.count == 999)
    }

    @Test("a file that is not an artifact is rejected with the path and what is wrong", arguments: [
        (#"{"format": 1}"#, "runs/bad.json: not a Strain run artifact: missing key 'tool'"),
        (#"{"tool": "strain"}"#, "runs/bad.json: not a Strain run artifact: missing key 'format'"),
        ("{\n  \"format\": 1,\n    x\n}", "runs/bad.json: not a Strain run artifact: invalid JSON around line 3, column 5"),
        ("", "runs/bad.json: not a Strain run artifact: the file is empty"),
        ("[1, 2]", "runs/bad.json: not a Strain run artifact: wrong type at 'top level'"),
        (#"{"format": 0}"#, "runs/bad.json: not a Strain run artifact: unknown artifact format 0"),
    ])
    func notAnArtifact(json: String, expectedMessage: String) {
        let error = #expect(throws: ArtifactError.self) { try RunArtifact.decode(Data(json.utf8), path: "runs/bad.json") }
        #expect(error?.description.hasPrefix(expectedMessage) == true, "\(String(describing: error))")
    }

    @Test("a damaged artifact is rejected naming the key path", arguments: [
        ("\"scenarios\"", "\"scenes\"", "missing key 'scenarios'"),
        ("\"iterations\" : 500", "\"iterations\" : \"many\"", "wrong type at 'scenarios[0].iterations'"),
        ("\"name\" : \"login\",", "", "missing key 'name' in scenarios[0].steps[0]"),
        ("\"status\" : \"completed\"", "\"status\" : \"exploded\"", "invalid value at 'status'"),
        ("2023-11-14T22:13:20.250Z", "yesterday", "invalid value at 'startedAt': expected an ISO-8601 date"),
        ("\"n\" : 30", "\"n\" : 31", "invalid value at 'scenarios[0].steps[0].phases.dns.n': n is 31 but the bucket counts add up to 30"),
        // Times and rates no run has: their sums and quotients would be infinite.
        ("\"iterations\" : 500", "\"iterations\" : 500, \"askedRate\" : 1e308",
         "invalid value at 'scenarios[0].askedRate': expected 0.0 to 1000000000000.0 per second, found 1e+308"),
        ("\"iterations\" : 500", "\"iterations\" : 500, \"rateSeconds\" : -1",
         "invalid value at 'scenarios[0].rateSeconds': expected 0.0 to 100000000.0 seconds, found -1.0"),
    ])
    func damagedArtifact(original: String, replacement: String, expectedDetail: String) throws {
        let json = String(decoding: try Self.sampleArtifact().encoded(), as: UTF8.self)
        #expect(json.contains(original))
        let damaged = Data(json.replacingOccurrences(of: original, with: replacement).utf8)
        let error = #expect(throws: ArtifactError.self) { try RunArtifact.decode(damaged, path: "runs/bad.json") }
        let expectedMessage = "runs/bad.json: not a Strain run artifact: \(expectedDetail)"
        #expect(error?.description.hasPrefix(expectedMessage) == true, "\(String(describing: error))")
    }

    @Test("a missing file is reported as such")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("nothing.json")
            let error = #expect(throws: ArtifactError.self) { try RunArtifact.read(from: url) }
            #expect(error?.description == "\(url.path): no such run artifact")
        }
    }

    @Test("byte offsets map to 1-based line and column", arguments: [
        (0, 1, 1), (3, 1, 4), (4, 2, 1), (6, 2, 3), (8, 3, 1), (9, 4, 1),
    ])
    func lineAndColumn(offset: Int, line: Int, column: Int) {
        let text = Data("abc\nxyz\n\nq".utf8)
        #expect(JSONFormat.lineAndColumn(ofByteOffset: offset, in: text) == (line, column))
    }
}
