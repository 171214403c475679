import Foundation
import Testing
@testable import StrainProfile

/// Validation reports every problem of a profile in one pass, in document order, each with its
/// line:column, key path and what was expected; a problem that only follows from another is not repeated.
struct ProblemCollectionTests {
    /// Seven mistakes in one file; `strain validate` reports the same lines (ValidateTests).
    static let severalMistakes = MalformedCorpusTests.directory.appendingPathComponent("49-several-mistakes.json5").path

    static func problems(_ text: String) throws -> ProfileError {
        try #require(throws: ProfileError.self) {
            try ProfileLoader.parse(text, path: "five.json5", baseDirectory: URL(fileURLWithPath: "/"))
        }
    }

    @Test func everyProblemIsReportedInDocumentOrder() throws {
        let error = try #require(throws: ProfileError.self) { try ProfileLoader.load(path: Self.severalMistakes) }
        #expect(error.description.split(separator: "\n").map(String.init) == Self.expectedLines(for: Self.severalMistakes),
                "\(error.description)")
        #expect(error.others.count == 6)
        #expect(error.keyPath.description == "targt")
    }

    /// What `strain validate` prints for `severalMistakes` (named as `path`).
    static func expectedLines(for path: String) -> [String] {
        [
            #":4:3: targt: unknown key "targt"; did you mean "target"?"#,
            #":7:37: scenarios[0].load.rate: expected a rate like "200/s", "12000/m" or "3600/h", found "fast""#,
            #":7:86: scenarios[0].steps[0].tiemout: unknown key "tiemout"; did you mean "timeout"?"#,
            #":8:71: scenarios[1].load.duration: expected a duration like "30s", "750ms" or "1m30s", found "10" (the number needs a unit)"#,
            #":9:7: scenarios[1].stpes: unknown key "stpes"; did you mean "steps"?"#,
            #":11:17: thresholds.latncy: unknown metric "latncy"; use one of latency, service_time, dns, connect, tls, ttfb, pool_wait, errors, requests, checks, dropped; did you mean "latency"?"#,
            #":11:52: thresholds.errors[0]: errors rate is compared with a percentage like "0.1%" or a fraction like 0.001, found "lots""#,
        ].map { path + $0 }
    }

    /// Scope names are checked only when every scenario read: the scenario with a problem may be the one named.
    @Test func aThresholdOnAScenarioWithAProblemIsNotAProblemItself() throws {
        let error = try Self.problems("""
        { name: "t", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/", method: 7 }] }],
          thresholds: { "a.latency": ["p(99) < 1s"], "b.latency": ["p(99) < 1s"] } }
        """)
        #expect(error.others.isEmpty, "\(error.description)")
        #expect(error.keyPath.description == "scenarios[0].steps[0].method")
    }

    /// A later step using what a step with a problem extracts is not reported as an unknown variable.
    @Test func aStepWithAProblemStillDeclaresWhatItExtracts() throws {
        let error = try Self.problems("""
        { name: "t", target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "a", load: { rate: "1/s", duration: "1s" }, steps: [
            { path: "/login", timeout: "soon", extract: { token: "$.token" } },
            { path: "/me", headers: { Authorization: "Bearer ${token}" } },
          ] }] }
        """)
        #expect(error.others.isEmpty, "\(error.description)")
        #expect(error.keyPath.description == "scenarios[0].steps[0].timeout")
    }
}
