import Foundation

/// A dependency's probes in numbers.
struct ProbeSummary {
    let name: String
    let url: String
    let count: Int
    let failures: Int
    let firstError: String?
    let medianTotal: Double?
    /// The 10th percentile of the probes' total time: the dependency's fast answers.
    let fastTenthTotal: Double?
    let medianConnect: Double?
    let medianTLS: Double?
    let medianFirstByte: Double?
    let slowest: Double?
    let totalSeconds: Double
    let failedSeconds: Double

    init(_ dependency: DependencyEvidence) {
        name = dependency.name
        url = dependency.url
        count = dependency.probes.count
        let failed = dependency.probes.filter { $0.error != nil || $0.status == 0 || $0.status >= 500 }
        failures = failed.count
        firstError = failed.first.map { $0.error ?? "HTTP \($0.status)" }
        let timings = dependency.probes.filter { $0.error == nil }.compactMap(\.timings)
        medianTotal = Self.median(timings.map(\.total))
        fastTenthTotal = Self.tenthPercentile(timings.map(\.total))
        medianConnect = Self.median(timings.map(\.connect))
        medianTLS = Self.median(timings.map(\.tls))
        medianFirstByte = Self.median(timings.map(\.firstByte))
        slowest = timings.map(\.total).max()
        totalSeconds = dependency.probes.compactMap(\.timings?.total).reduce(0, +)
        failedSeconds = failed.compactMap(\.timings?.total).reduce(0, +)
    }

    /// The nearest-rank 10th percentile.
    static func tenthPercentile(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[max(0, Int((Double(values.count) * 0.1).rounded(.up)) - 1)]
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    var evidence: [String] {
        var lines = ["\(count) probes of \(url), \(failures) failed"]
        if let medianTotal, let medianConnect, let medianFirstByte {
            var phases = "median: connect \(Format.duration(medianConnect))"
            if let medianTLS, medianTLS > 0 { phases += ", TLS done \(Format.duration(medianTLS))" }
            phases += ", first byte \(Format.duration(medianFirstByte)), total \(Format.duration(medianTotal))"
            lines.append(phases)
        }
        if let slowest { lines.append("slowest probe \(Format.duration(slowest))") }
        return lines
    }

    var description: String {
        "\(name): \(count) probes, median \(medianTotal.map(Format.duration) ?? "n/a"), \(failures) failed"
    }
}
