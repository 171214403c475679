import Foundation
import StrainCurl
import StrainContract
import StrainProfile
import Synchronization

/// `strain run --output prometheus=URL`: pushes each interval to a Prometheus remote-write endpoint
/// as it closes, like k6's experimental-prometheus-rw output.
///
/// Pushes run on a thread of their own: the coordinator only appends to a queue. Each push sends
/// every interval queued since the last one (so a slow endpoint gets fewer, larger pushes and the
/// queue stays as short as a push's timeout); a failed push is counted and its intervals dropped,
/// never retried, so a failing Prometheus costs the run nothing but the gap in its graphs.
public final class PrometheusOutput: RunOutput {
    /// One push's limit: a Prometheus that stalls costs a push, not the run.
    static let pushTimeoutMilliseconds = 5_000
    static let connectTimeoutMilliseconds = 2_000

    private let url: URL
    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    private struct State {
        var series: IntervalSeries
        var queue: [TimelineInterval] = []
        var runStartMilliseconds: Int64 = 0
        var finishing = false
        var summary: OutputSummary
    }

    /// Starts the pushing thread; `url` must have passed `PrometheusOutput.validatedURL`.
    public init(url: URL, runID: String, profile: String) {
        self.url = url
        state = Mutex(State(series: IntervalSeries(runID: runID, profile: profile),
                            summary: OutputSummary(kind: "prometheus", destination: URLText.redacted(url.absoluteString),
                                                   intervals: 0, delivered: 0, pushes: 0, failedPushes: 0, firstError: nil)))
        let thread = Thread { [self] in pushUntilFinished() }
        thread.name = "strain-prometheus"
        thread.start()
    }

    public func intervalClosed(_ interval: TimelineInterval, runStartedAt: Date) {
        state.withLock {
            $0.runStartMilliseconds = Int64((runStartedAt.timeIntervalSince1970 * 1000).rounded())
            $0.queue.append(interval)
            $0.summary.intervals += 1
        }
        wake.signal()
    }

    /// Waits for the last push, at most one push's timeout and a second; a push still going then is
    /// counted as failed.
    public func finish() -> OutputSummary {
        state.withLock { $0.finishing = true }
        wake.signal()
        let deadline = DispatchTime.now() + .milliseconds(Self.pushTimeoutMilliseconds + 1_000)
        let drained = exited.wait(timeout: deadline) == .success
        return state.withLock { state in
            var summary = state.summary
            if !drained {
                summary.failedPushes += 1
                summary.firstError = summary.firstError ?? "the last push did not finish in time"
            }
            return summary
        }
    }

    private func pushUntilFinished() {
        defer { exited.signal() }
        let curl: CurlEasy
        do {
            curl = try CurlEasy()
        } catch {
            state.withLock { $0.summary.firstError = "cannot create a curl handle: \(error)" }
            return
        }
        while true {
            wake.wait()
            let (batch, series, finishing) = state.withLock { state in
                let batch = state.queue
                state.queue.removeAll()
                var series: [TimeSeries] = []
                for interval in batch {
                    series += state.series.series(for: interval, runStartMilliseconds: state.runStartMilliseconds)
                }
                return (batch.count, series, state.finishing)
            }
            if batch > 0 {
                let error = push(series, with: curl)
                state.withLock { state in
                    state.summary.pushes += error == nil ? 1 : 0
                    state.summary.delivered += error == nil ? batch : 0
                    state.summary.failedPushes += error == nil ? 0 : 1
                    state.summary.firstError = state.summary.firstError ?? error
                }
            }
            if finishing, state.withLock({ $0.queue.isEmpty }) { return }
        }
    }

    /// Sends one write request; nil when Prometheus accepted it, else why not.
    private func push(_ series: [TimeSeries], with curl: CurlEasy) -> String? {
        do {
            try curl.reset()
            try curl.setURL(url.absoluteString)
            try curl.setBody(RemoteWrite.body(series))
            try curl.setMethod("POST")
            try curl.setHeaders(RemoteWrite.headers.map { HTTPHeader(name: $0.name, value: $0.value) })
            try curl.setTimeouts(totalMilliseconds: Self.pushTimeoutMilliseconds,
                                 connectMilliseconds: Self.connectTimeoutMilliseconds)
            curl.setResponseSink(.collect(limit: 512))
            try curl.perform()
            let status = try curl.transferInfo().responseCode
            guard (200..<300).contains(status) else {
                let answer = String(decoding: curl.responseBody, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return "HTTP \(status)" + (answer.isEmpty ? "" : ": \(answer)")
            }
            return nil
        } catch {
            return URLText.redacted(String(describing: error))
        }
    }

    /// The URL of `--output prometheus=URL`: http or https, with a host.
    public static func validatedURL(_ text: String) throws(OutputOptionError) -> URL {
        let problem = "expected an http:// or https:// URL of a remote-write endpoint (e.g. http://127.0.0.1:9090/api/v1/write), found \"\(text)\""
        guard !text.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }),
              let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              let url = components.url else {
            throw OutputOptionError(description: "--output prometheus=URL: \(problem)")
        }
        return url
    }
}

/// A bad `--output` value; the CLI exits with bad input.
public struct OutputOptionError: Error, CustomStringConvertible {
    public let description: String

    /// One line: the value it quotes may hold line feeds.
    public init(description: String) {
        self.description = TerminalText.oneLine(description)
    }
}
