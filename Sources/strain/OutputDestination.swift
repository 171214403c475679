import Foundation
import StrainContract
import StrainOutputs

/// One `strain run --output KIND=WHERE`. Only `prometheus=URL` exists so far.
struct OutputDestination {
    let prometheusURL: URL

    init(_ text: String) throws(OutputOptionError) {
        guard let equals = text.firstIndex(of: "="), text[..<equals] == "prometheus" else {
            throw OutputOptionError(description: "--output: expected prometheus=URL (the only output so far), found \"\(text)\"")
        }
        prometheusURL = try PrometheusOutput.validatedURL(String(text[text.index(after: equals)...]))
    }

    func start(runID: String, profile: String) -> any RunOutput {
        PrometheusOutput(url: prometheusURL, runID: runID, profile: profile)
    }

    /// "prometheus: 15 of 15 intervals delivered to http://…/api/v1/write in 15 pushes, 0 failed".
    static func describe(_ summary: OutputSummary) -> String {
        let failures = summary.failedPushes == 0 ? "0 failed"
            : "\(summary.failedPushes) failed (first: \(summary.firstError ?? "unknown"))"
        return "\(summary.kind): \(summary.delivered) of \(summary.intervals) intervals delivered to \(summary.destination) "
            + "in \(summary.pushes) push\(summary.pushes == 1 ? "" : "es"), \(failures)"
    }
}
