import Foundation
import StrainCurl

/// Probes one downstream endpoint with a GET and libcurl's phase timings.
/// Not Sendable: it owns a curl handle; each prober lives on its own thread.
final class DependencyProber {
    let target: DiagnoseSettings.DependencyTarget
    private let curl: CurlEasy
    private(set) var probes: [DependencyEvidence.Probe] = []

    init(_ target: DiagnoseSettings.DependencyTarget) throws {
        self.target = target
        curl = try CurlEasy()
        try curl.setURL(target.url.absoluteString)
        try curl.setMethod("GET")
        try curl.setTimeouts(totalMilliseconds: 5000, connectMilliseconds: 2000)
        curl.setResponseSink(.discard)
    }

    func probe() {
        let at = Date()
        do {
            try curl.perform()
            let info = try curl.transferInfo()
            probes.append(DependencyEvidence.Probe(at: at, status: info.responseCode, timings: Self.phaseTimes(info.timings),
                                                   error: nil))
        } catch {
            let timings = (try? curl.transferInfo()).map { Self.phaseTimes($0.timings) }
            let message = target.url.password.map { String(describing: error).replacing($0, with: "***") }
                ?? String(describing: error)
            probes.append(DependencyEvidence.Probe(at: at, status: 0, timings: timings, error: message))
        }
    }

    var evidence: DependencyEvidence {
        DependencyEvidence(name: target.name, url: RedactedURL.string(target.url), probes: probes)
    }

    static func phaseTimes(_ timings: CurlTimings) -> DependencyEvidence.PhaseTimes {
        DependencyEvidence.PhaseTimes(nameLookup: Double(timings.nameLookup) / 1_000_000,
                                      connect: Double(timings.connect) / 1_000_000,
                                      tls: Double(timings.appConnect) / 1_000_000,
                                      firstByte: Double(timings.startTransfer) / 1_000_000,
                                      total: Double(timings.total) / 1_000_000)
    }
}
