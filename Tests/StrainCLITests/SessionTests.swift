import Foundation
import StrainContract
import StrainTestSupport
import Testing

/// Cookies per iteration and compressed responses, as k6 users expect them, through the built binary
/// against the test nginx (`/session/login` sets a cookie that `/session/page` needs;
/// `/compressible.txt` is gzipped for clients that ask).
@Suite("cookies and compression", .serialized)
struct SessionTests {
    /// Runs a closed load of 2 connections × 10 iterations through `steps` and returns the run's steps.
    static func run(steps: String, target extra: String = "") throws -> [StepResult] {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("strain-session-\(UUID().uuidString).json5")
        let out = RunCommandTests.outputFolder()
        defer { for url in [profile, out] { try? FileManager.default.removeItem(at: url) } }
        try """
        {
          name: "session",
          target: { baseURL: "\(TestServers.httpURL)"\(extra) },
          scenarios: [{ name: "browse", load: { model: "closed", connections: 2, iterations: 10 }, steps: [\(steps)] }],
        }
        """.write(to: profile, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["run", profile.path, "--quiet", "--out", out.path], timeLimit: 120)
        #expect([0, 4].contains(outcome.status), "\(outcome.stderr)")
        return try #require(try RunCommandTests.artifact(in: out).scenarios.first?.steps)
    }

    static let loginThenPage = #"{ name: "login", path: "/session/login" }, { name: "page", path: "/session/page" }"#

    /// Lean engine (plain http) and libcurl (chosen by `redirects`): both keep the cookie.
    @Test(arguments: ["", ", redirects: 1"])
    func aCookieSetByOneStepIsSentByTheNext(target: String) throws {
        let steps = try Self.run(steps: Self.loginThenPage, target: target)
        #expect(steps.map(\.name) == ["login", "page"])
        #expect(steps[1].statuses == ["200": 10], "\(steps[1].statuses)")
        #expect(steps[1].failures == 0)
    }

    @Test(arguments: ["", ", redirects: 1"])
    func eachIterationStartsWithAnEmptyJar(target: String) throws {
        let steps = try Self.run(steps: #"{ name: "before", path: "/session/page" }, "# + Self.loginThenPage, target: target)
        #expect(steps[0].statuses == ["403": 10], "the previous iteration's cookie leaked: \(steps[0].statuses)")
        #expect(steps[2].statuses == ["200": 10])
    }

    @Test(arguments: ["", ", redirects: 1"])
    func cookiesFalseSendsNone(target: String) throws {
        let steps = try Self.run(steps: Self.loginThenPage, target: ", cookies: false" + target)
        #expect(steps[1].statuses == ["403": 10])
    }

    @Test func compressionAsksForGzipAndDecodesOnLibcurl() throws {
        let step = #"{ name: "text", path: "/compressible.txt", check: { status: [200], bodyContains: "line 0400 of compressible test text" } }"#
        let compressed = try #require(try Self.run(steps: step, target: #", compression: "gzip""#).first)
        let plain = try #require(try Self.run(steps: step).first)
        #expect(compressed.failures == 0 && plain.failures == 0)
        #expect(compressed.counters["checkFailures"] ?? 0 == 0)
        // The whole text, 18,400 bytes, arrives as it is without compression and far smaller with it.
        #expect(plain.counters["bytesIn"] == 10 * 18_400)
        let compressedBytes = try #require(compressed.counters["bytesIn"])
        #expect(compressedBytes < 10 * 18_400 / 4, "\(compressedBytes) bytes received")
        // libcurl measures name resolution; the lean engine resolves once and reports none.
        #expect(compressed.phases["dns"] != nil && plain.phases["dns"] == nil)
    }
}
