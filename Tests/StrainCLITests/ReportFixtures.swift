import Foundation
import StrainContract
import StrainProfile

/// Run folders and profiles on disk for the `strain report` / `strain compare` tests, with chosen
/// values so that each exit status is reached on purpose.
struct ReportFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-cli-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A profile with one HTTP scenario "shop" and step "buy", and `thresholds` (JSON5 members).
    @discardableResult
    func profile(_ name: String, thresholds: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try """
        {
          name: "shop",
          target: { baseURL: "http://127.0.0.1:1" },
          scenarios: [{ name: "shop", load: { rate: "100/s", duration: "10s" }, steps: [{ name: "buy", path: "/buy" }] }],
          thresholds: {
        \(thresholds)
          },
        }

        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A run folder of "shop.buy": ten one-second intervals of 100 requests each, all taking
    /// `latency` µs, `failures` of each interval failed. `profile` is recorded with its SHA-256 and its thresholds, as
    /// `strain run` records them.
    func run(_ name: String, latency: UInt64 = 1000, failures: UInt64 = 0, valid: Bool = true, profile: URL? = nil,
             step stepName: String = "buy") throws -> URL {
        let folder = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let timeline = try TimelineWriter(url: folder.appendingPathComponent("timeline.ndjson"))
        var step = StepResult(name: stepName)
        for second in 0..<10 {
            // A little variation between intervals, as in any real run.
            let interval = Histogram(recording: Array(repeating: latency + UInt64(second % 2) * latency / 20, count: 100))
            try timeline.append(TimelineInterval(start: Double(second), duration: 1, steps: [
                IntervalStep(scenario: "shop", step: stepName, requests: 100, failures: failures, latency: interval)]))
            step.requests += 100
            step.failures += failures
            step.latency.merge(interval)
            step.service.merge(interval)
        }
        timeline.close()
        let recorded = try profile.map { url in
            ProfileInfo(name: "shop", path: url.path, sha256: SHA256.hexDigest(try Data(contentsOf: url)))
        }
        let thresholds = try profile.map { try ProfileLoader.load(path: $0.path).thresholds.map(\.recorded) }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try RunArtifact(tool: ToolInfo(version: "test"), profile: recorded, host: HostInfo.current(), gitSHA: nil,
                        startedAt: start, endedAt: start.addingTimeInterval(10), status: .completed,
                        validity: Validity(valid: valid, reasons: valid ? [] : ["generator CPU at 100% for 8s"]),
                        scenarios: [ScenarioResult(name: "shop", kind: .http, iterations: step.requests, steps: [step])],
                        thresholds: thresholds)
            .write(to: folder.appendingPathComponent("run.json"))
        return folder
    }
}
