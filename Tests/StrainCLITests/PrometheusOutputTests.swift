import Foundation
import StrainCurl
import StrainContract
import StrainTestSupport
import Testing

/// `strain run --output prometheus=URL` against the real Prometheus scripts/test starts (remote-write
/// receiver on): what it stores must be what run.json says, and a Prometheus that fails or stalls
/// must not change the load.
@Suite("strain run --output prometheus", .serialized, .oneLoadAtATime)
struct PrometheusOutputTests {
    /// Prometheus's answer to an instant query: each series' labels and value.
    static func query(_ promQL: String) throws -> [(labels: [String: String], value: Double)] {
        let encoded = try #require(promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let curl = try CurlEasy()
        try curl.setURL(TestServers.prometheusURL + "/api/v1/query?query=" + encoded)
        try curl.setTimeouts(totalMilliseconds: 10_000, connectMilliseconds: 2_000)
        try curl.perform()
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Series: Decodable {
                    let metric: [String: String]
                    let value: [ValuePart]
                }
                let result: [Series]
            }
            let status: String
            let data: Data
        }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(curl.responseBody))
        #expect(answer.status == "success")
        return try answer.data.result.map { series in
            guard series.value.count == 2, case .text(let text) = series.value[1], let value = Double(text) else {
                throw Unexpected(description: "value \(series.value)")
            }
            return (series.metric, value)
        }
    }

    /// A `[timestamp, "value"]` pair's parts.
    enum ValuePart: Decodable {
        case number(Double)
        case text(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }
    }

    struct Unexpected: Error, CustomStringConvertible {
        let description: String
    }

    @Test func pushedSeriesMatchTheRunArtifact() throws {
        let out = RunCommandTests.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let runID = out.lastPathComponent
        let outcome = try StrainProcess.run([
            "run", "--url", TestServers.httpURL + "/index.html", "--rate", "50/s", "-d", "3s", "--quiet", "--out", out.path,
            "--output", "prometheus=" + TestServers.prometheusURL + "/api/v1/write",
        ], timeLimit: 120)
        let artifact = try RunCommandTests.artifact(in: out)
        #expect(outcome.status == 0, "\(outcome.stderr) \(artifact.validity.reasons)")
        let step = try #require(artifact.scenarios.first?.steps.first)
        let summary = try #require(artifact.outputs?.first)
        let timeline = try TimelineReader.read(from: out.appendingPathComponent("timeline.ndjson"))
        #expect(summary.kind == "prometheus")
        #expect(summary.failedPushes == 0, "\(summary.firstError ?? "")")
        #expect(summary.intervals == timeline.count && summary.delivered == summary.intervals)
        #expect(outcome.stdout.contains("prometheus: \(summary.delivered) of \(summary.intervals) intervals delivered"))

        let selector = "{run_id=\"\(runID)\",scenario=\"\(try #require(artifact.scenarios.first?.name))\"}"
        let requests = try Self.query("strain_requests_total" + selector)
        #expect(requests.count == 1)
        #expect(requests.first?.value == Double(step.requests))
        #expect(requests.first?.labels["step"] == step.name)
        #expect(requests.first?.labels["profile"] == "adhoc")
        #expect(try Self.query("strain_errors_total" + selector).first?.value == Double(step.failures))
        // Every interval's maximum was pushed, so the largest of them is the run's maximum.
        let maximum = try Self.query("max_over_time(strain_latency_seconds{run_id=\"\(runID)\",quantile=\"1\"}[10m])")
        #expect(maximum.first.map { abs($0.value - Double(step.latency.max) / 1e6) < 1e-9 } == true, "\(maximum)")
        let quantiles = try Self.query("strain_latency_seconds" + selector).compactMap { $0.labels["quantile"] }
        #expect(Set(quantiles) == ["0.5", "0.9", "0.99", "1"])
        // One sample per interval with responses: the samples came in as the run went, not at the end.
        let samples = try Self.query("count_over_time(strain_requests_total\(selector)[10m])")
        #expect(samples.first?.value == Double(timeline.filter { !$0.steps.isEmpty }.count))

        // The shipped Grafana dashboard's every query finds this run's series.
        for expression in try Self.dashboardQueries() {
            let concrete = expression.replacing("$run_id", with: runID).replacing("$scenario", with: ".*")
                .replacing("$__rate_interval", with: "1m").replacing("$__range", with: "10m")
            #expect(try !Self.query(concrete).isEmpty, "no data for the dashboard query \(expression)")
        }
    }

    /// The `expr` of every panel of scripts/grafana/strain.json.
    static func dashboardQueries() throws -> [String] {
        struct Dashboard: Decodable {
            struct Panel: Decodable {
                struct Target: Decodable { let expr: String }
                let targets: [Target]
            }
            let panels: [Panel]
        }
        let file = StrainProcess.packageRoot.appendingPathComponent("scripts/grafana/strain.json")
        let queries = try JSONDecoder().decode(Dashboard.self, from: Data(contentsOf: file)).panels.flatMap(\.targets).map(\.expr)
        #expect(queries.count >= 9)
        return queries
    }

    @Test(arguments: [LoopbackHTTPServer.Behavior.silent, .reset])
    func aFailingPrometheusDoesNotChangeTheLoad(behavior: LoopbackHTTPServer.Behavior) throws {
        let prometheus = try LoopbackHTTPServer(behavior)
        defer { prometheus.stop() }
        let out = RunCommandTests.outputFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try StrainProcess.run([
            "run", "--url", TestServers.httpURL + "/index.html", "--rate", "50/s", "-d", "3s", "--quiet", "--out", out.path,
            "--output", "prometheus=\(prometheus.url)api/v1/write",
        ], timeLimit: 120)
        let artifact = try RunCommandTests.artifact(in: out)
        #expect(outcome.status == 0, "\(outcome.stderr) \(artifact.validity.reasons)")
        #expect(artifact.scenarios.first?.steps.first?.requests == 150)
        let summary = try #require(artifact.outputs?.first)
        #expect(summary.delivered == 0 && summary.pushes == 0)
        #expect(summary.failedPushes >= 1)
        #expect(summary.firstError != nil)
        #expect(outcome.stdout.contains("failed (first: "))
    }

    @Test(arguments: [
        (["--output", "prometheus=ftp://127.0.0.1/api/v1/write"], "expected an http:// or https:// URL"),
        (["--output", "prometheus="], "expected an http:// or https:// URL"),
        (["--output", "prometheus=http://127.0.0.1:9/a\r\nX: y"], "expected an http:// or https:// URL"),
        (["--output", "influxdb=http://127.0.0.1:8086"], "expected prometheus=URL"),
    ])
    func badOutputsExitTwoBeforeAnyLoad(arguments: [String], message: String) throws {
        let outcome = try StrainProcess.run(["run", "--url", TestServers.httpURL + "/index.html", "-d", "1s"] + arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("results in"))
    }
}
