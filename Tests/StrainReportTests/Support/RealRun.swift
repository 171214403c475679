import Foundation
import StrainCurl
import StrainContract
import StrainReport
import StrainTestSupport

/// Builds run artifacts from real HTTP requests: each step is a request to a loopback server sent
/// with StrainCurl on an open-model schedule, measured into histograms the way the driver does
/// (latency from the intended start, service time from the actual send, curl's phases), so the
/// renderers are tested on real measurements rather than invented numbers.
struct RealRun {
    struct Step {
        let name: String
        let url: String
    }

    var scenario = "browse"
    var steps: [Step]
    var iterations = 60
    /// Iterations per second asked for.
    var rate = 300.0
    /// Length of one timeline interval; short so tests stay quick while the timeline has many points.
    var interval = 0.05

    /// nginx steps: a page, a JSON document and a deliberate 500.
    static func nginx(iterations: Int = 60) -> RealRun {
        let base = TestServers.httpURL
        return RealRun(steps: [Step(name: "home", url: base + "/index.html"), Step(name: "user", url: base + "/user.json"),
                               Step(name: "broken", url: base + "/status/500")], iterations: iterations)
    }

    /// Sends the requests and returns the artifact; with `folder`, also writes `run.json` and
    /// `timeline.ndjson` there, as `strain run` does.
    @discardableResult
    func record(into folder: URL? = nil) throws -> RunArtifact {
        var results = steps.map { StepResult(name: $0.name) }
        var intervals: [TimelineInterval] = []
        // Every interval of the open-model schedule asks `rate × interval` iterations of each step.
        var current = steps.map {
            IntervalStep(scenario: scenario, step: $0.name, requests: 0, failures: 0, latency: Histogram(), service: Histogram(),
                         asked: rate * interval)
        }
        var intervalIndex = 0
        let easy = try CurlEasy()
        let startedAt = Date()
        let clock = ContinuousClock()
        let origin = clock.now

        func closeIntervals(upTo index: Int) {
            while intervalIndex < index {
                intervals.append(TimelineInterval(start: Double(intervalIndex) * interval, duration: interval, steps: current))
                for position in current.indices {
                    current[position].requests = 0
                    current[position].failures = 0
                    current[position].latency.reset()
                    current[position].service?.reset()
                }
                intervalIndex += 1
            }
        }

        for iteration in 0..<iterations {
            let intended = origin + .microseconds(Int64(Double(iteration) / rate * 1e6))
            if clock.now < intended { Thread.sleep(forTimeInterval: seconds(intended - clock.now)) }
            closeIntervals(upTo: Int(seconds(intended - origin) / interval))
            for (position, step) in steps.enumerated() {
                let sent = clock.now
                let outcome = send(step.url, with: easy)
                let done = clock.now
                let latency = micros(done - intended), service = micros(done - sent)
                record(outcome, latency: latency, service: service, into: &results[position])
                current[position].requests += 1
                current[position].latency.record(latency)
                current[position].service?.record(service)
                if Self.failed(outcome) { current[position].failures += 1 }
            }
        }
        closeIntervals(upTo: intervalIndex + 1)

        let artifact = RunArtifact(
            tool: ToolInfo(version: "test"), profile: nil, host: HostInfo.current(), gitSHA: nil,
            startedAt: startedAt, endedAt: startedAt.addingTimeInterval(Double(intervals.count) * interval),
            status: .completed, validity: Validity(valid: true),
            scenarios: [ScenarioResult(name: scenario, kind: .http, iterations: UInt64(iterations), steps: results)])
        if let folder {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try artifact.write(to: folder.appendingPathComponent("run.json"))
            let writer = try TimelineWriter(url: folder.appendingPathComponent("timeline.ndjson"))
            for interval in intervals { try writer.append(interval) }
            writer.close()
        }
        return artifact
    }

    /// What curl returned, or the transport error (connection refused, timeout …).
    private typealias Outcome = Result<CurlTransferInfo, any Error>

    private func send(_ url: String, with easy: CurlEasy) -> Outcome {
        Result {
            try easy.setURL(url)
            try easy.perform()
            return try easy.transferInfo()
        }
    }

    private static func failed(_ outcome: Outcome) -> Bool {
        guard case .success(let info) = outcome else { return true }
        return info.responseCode >= 400
    }

    private func record(_ outcome: Outcome, latency: UInt64, service: UInt64, into step: inout StepResult) {
        step.requests += 1
        step.latency.record(latency)
        step.service.record(service)
        step.counters[Counter.checks.name, default: 0] += 1
        if Self.failed(outcome) {
            step.failures += 1
            step.counters[Counter.checkFailures.name, default: 0] += 1
        }
        let info: CurlTransferInfo
        switch outcome {
        case .success(let transfer): info = transfer
        case .failure(let error):
            tally("transport", String(describing: error), into: &step)
            return
        }
        let timings = info.timings
        step.statuses[String(info.responseCode), default: 0] += 1
        if info.responseCode >= 400 { tally("status", "HTTP \(info.responseCode) from \(step.name)", into: &step) }
        // Each phase on its own (see Phase); curl's times are cumulative from the start.
        var phases: [(String, Int64)] = [
            (Phase.dns.name, timings.nameLookup), (Phase.connect.name, timings.connect - timings.nameLookup),
            (Phase.ttfb.name, timings.startTransfer - timings.preTransfer), (Phase.total.name, timings.total),
        ]
        if timings.appConnect > 0 { phases.append((Phase.tls.name, timings.appConnect - timings.connect)) }
        for (name, value) in phases {
            step.phases[name, default: Histogram()].record(UInt64(max(0, value)))
        }
        step.counters[Counter.bytesIn.name, default: 0] += UInt64(max(0, info.bytesDownloaded))
        step.counters[Counter.newConnections.name, default: 0] += UInt64(info.newConnections)
    }

    private func tally(_ label: String, _ example: String, into step: inout StepResult) {
        if let index = step.errors.firstIndex(where: { $0.label == label }) {
            step.errors[index].count += 1
        } else {
            step.errors.append(ErrorTally(label: label, count: 1, example: example))
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func micros(_ duration: Duration) -> UInt64 {
        UInt64(max(0, seconds(duration) * 1e6))
    }
}
