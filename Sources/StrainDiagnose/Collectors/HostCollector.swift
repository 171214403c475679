import Foundation
import StrainCurl
import StrainContract
#if canImport(Glibc)
import Glibc
#endif

/// Reads host counters once per call: this machine's /proc, or a node exporter's /metrics.
/// Not Sendable: a node-exporter collector owns a curl handle; it lives on the sampling thread.
final class HostCollector {
    private enum Source {
        case proc(ticksPerSecond: Double)
        case nodeExporter(CurlEasy, url: URL)
    }

    private let source: Source
    let sourceName: String
    private(set) var cores: Int
    private(set) var lastError: String?

    /// Samples this machine's /proc.
    init() {
        source = .proc(ticksPerSecond: Double(max(sysconf(Int32(_SC_CLK_TCK)), 1)))
        sourceName = "/proc"
        cores = HostInfo.current().cores
    }

    /// The largest node-exporter page read: a real one is a few hundred KiB; a larger or endless
    /// one fails the sample instead of filling memory (a cut page would give wrong figures).
    static let maxNodeExporterPageBytes = 16 << 20

    /// Samples a node exporter; the URL's user information is kept out of reports.
    init(nodeExporter url: URL) throws {
        let curl = try CurlEasy()
        try curl.setURL(url.absoluteString)
        try curl.setTimeouts(totalMilliseconds: 2000, connectMilliseconds: 1000)
        curl.setResponseSink(.collectWhole(limit: Self.maxNodeExporterPageBytes))
        source = .nodeExporter(curl, url: url)
        sourceName = RedactedURL.string(url)
        cores = 0
    }

    /// One sample, or nil (with `lastError` set) when the source could not be read.
    func sample() -> HostSample? {
        switch source {
        case .proc(let ticksPerSecond):
            var texts: [String: String] = [:]
            for path in ProcFiles.paths {
                texts[path] = try? String(contentsOfFile: "/proc/\(path)", encoding: .utf8)
            }
            return ProcFiles(texts: texts, ticksPerSecond: ticksPerSecond).sample(at: Date())
        case .nodeExporter(let curl, _):
            do {
                try curl.perform()
                let status = try curl.transferInfo().responseCode
                guard status == 200 else {
                    lastError = "\(sourceName) answered HTTP \(status)"
                    return nil
                }
                let metrics = try PrometheusMetrics(parsing: String(decoding: curl.responseBody, as: UTF8.self))
                cores = metrics.cores ?? cores
                return metrics.hostSample(at: Date())
            } catch {
                lastError = "\(sourceName): \(error)"
                return nil
            }
        }
    }
}

/// URLs as reports show them: without user name and password.
enum RedactedURL {
    static func string(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              components.user != nil || components.password != nil else { return url.absoluteString }
        components.user = nil
        components.password = nil
        return components.string ?? url.absoluteString
    }
}
