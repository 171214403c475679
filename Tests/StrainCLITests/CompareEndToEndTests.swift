import Foundation
import StrainTestSupport
import Testing

/// `strain run` twice against one target, then `strain report` and `strain compare` on what it
/// wrote: the whole pipeline through the built binary. The steps have a known cost (the 200 ms
/// delay server): the promise is about one system measured twice under the same conditions, and
/// sub-millisecond static files on a machine busy with other tests are not that.
@Suite("strain run → report → compare")
struct CompareEndToEndTests {
    @Test func theSameSystemTwiceIsNoRegression() async throws {
        let fixtures = try ReportFixtures()
        defer { fixtures.remove() }
        let profile = fixtures.directory.appendingPathComponent("nginx.json5")
        try """
        {
          name: "nginx-twice",
          target: { baseURL: "\(TestServers.delayURL)" },
          scenarios: [{ name: "web", load: { rate: "20/s", duration: "8s" },
                        steps: [{ name: "home", path: "/200" }, { name: "user", path: "/200?user" }] }],
          thresholds: { "web.latency": ["p(99) < 2s"], "http.errors": ["rate < 1%"] },
        }
        """.write(to: profile, atomically: true, encoding: .utf8)

        // Both runs at once, so they share whatever else this machine is doing: the comparison is
        // about the system under test, not about the neighbours.
        let folders = ["base", "new"].map { fixtures.directory.appendingPathComponent($0) }
        let runs = try await withThrowingTaskGroup(of: StrainProcess.Outcome.self) { group in
            for folder in folders {
                group.addTask { try StrainProcess.run(["run", "--quiet", "--workers", "1", "--out", folder.path, profile.path]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // On a machine busy with other work the generator's self-check may fail (exit 4): then the
        // run is reported invalid, and a comparison with it refuses to judge.
        let valid = runs.map { $0.status == 0 }
        for run in runs {
            #expect(run.status == 0 || run.status == 4, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        }

        // The report finds the recorded profile (unchanged) and evaluates its thresholds.
        let report = try StrainProcess.run(["report", folders[0].path])
        #expect(report.status == runs[0].status, "stderr: \(report.stderr)")
        #expect(report.stdout.contains("Thresholds: all 2 passed"))

        // Two runs of one system are called a regression with at most the false-alarm rate (what
        // `strain compare` promises, measured by scripts/bench-compare): at 0.1% this test does
        // not depend on luck.
        let compare = try StrainProcess.run(["compare", folders[0].path, folders[1].path, "--false-alarm-rate", "0.001"])
        if valid.allSatisfy({ $0 }) {
            #expect(compare.status == 0, "stdout: \(compare.stdout)\nstderr: \(compare.stderr)")
            #expect(compare.stdout.contains("no regression (10 metrics)"))
        } else {
            #expect(compare.status == 4)
            #expect(compare.stdout.contains("cannot compare: the "))
        }
    }
}
