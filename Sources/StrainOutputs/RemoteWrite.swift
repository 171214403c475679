import StrainContract

/// Prometheus remote write 1.0's request (prometheus/prompb/remote.proto and types.proto): the
/// subset Strain sends.
///
///     message WriteRequest { repeated TimeSeries timeseries = 1; }
///     message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
///     message Label        { string name = 1; string value = 2; }
///     message Sample       { double value = 1; int64 timestamp = 2; }  // milliseconds since 1970
public struct TimeSeries: Sendable, Equatable {
    /// Name → value, including `__name__`; written sorted by name, as the protocol requires.
    public var labels: [String: String]
    public var samples: [Sample]

    public init(labels: [String: String], samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}

public struct Sample: Sendable, Equatable {
    public var value: Double
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64

    public init(value: Double, timestamp: Int64) {
        self.value = value
        self.timestamp = timestamp
    }
}

public enum RemoteWrite {
    /// The protobuf encoding of a WriteRequest holding `series`.
    public static func encode(_ series: [TimeSeries]) -> [UInt8] {
        var request = ProtobufWriter()
        for one in series {
            request.message(1) { timeSeries in
                for (name, value) in one.labels.sorted(by: { $0.key < $1.key }) {
                    timeSeries.message(1) { label in
                        label.string(1, name)
                        label.string(2, value)
                    }
                }
                for sample in one.samples {
                    timeSeries.message(2) { encoded in
                        encoded.double(1, sample.value)
                        encoded.int64(2, sample.timestamp)
                    }
                }
            }
        }
        return request.bytes
    }

    /// The HTTP body of a push: the WriteRequest, Snappy-compressed.
    public static func body(_ series: [TimeSeries]) -> [UInt8] {
        Snappy.encodeLiterals(encode(series))
    }

    /// The headers remote write 1.0 asks senders for.
    public static let headers: [(name: String, value: String)] = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
        ("X-Prometheus-Remote-Write-Version", "0.1.0"),
    ]
}

/// Turns a run's intervals into remote-write series (`PrometheusSeries`): per step, the request and
/// error counters as totals since the start, and the interval's latency and service-time quantiles.
/// Counters need the run so far, so one instance sees every interval of a run, in order.
public struct IntervalSeries: Sendable {
    /// Labels every series of the run carries (`run_id`, `profile`).
    public let runLabels: [String: String]
    private var totals: [StepKey: (requests: UInt64, errors: UInt64)] = [:]
    private var lastTimestamp = Int64.min

    private struct StepKey: Hashable {
        let scenario: String
        let step: String
    }

    public init(runID: String, profile: String) {
        runLabels = [PrometheusSeries.runIDLabel: runID, PrometheusSeries.profileLabel: profile]
    }

    /// The samples of one closed interval, stamped with its end: `runStart` plus its start and duration,
    /// at least a millisecond after the previous interval's (a run's last interval can be shorter than
    /// a millisecond, and Prometheus refuses a second value at a series' timestamp).
    public mutating func series(for interval: TimelineInterval, runStartMilliseconds runStart: Int64) -> [TimeSeries] {
        let end = runStart + Int64(((interval.start + interval.duration) * 1000).rounded())
        let timestamp = lastTimestamp == .min ? end : max(end, lastTimestamp + 1)
        lastTimestamp = timestamp
        var series: [TimeSeries] = []
        for step in interval.steps {
            let key = StepKey(scenario: step.scenario, step: step.step)
            var total = totals[key] ?? (0, 0)
            total.requests += step.requests
            total.errors += step.failures
            totals[key] = total

            var labels = runLabels
            labels[PrometheusSeries.scenarioLabel] = step.scenario
            labels[PrometheusSeries.stepLabel] = step.step
            func add(_ name: String, _ value: Double, extra: [String: String] = [:]) {
                var named = labels.merging(extra) { _, new in new }
                named["__name__"] = name
                series.append(TimeSeries(labels: named, samples: [Sample(value: value, timestamp: timestamp)]))
            }
            add(PrometheusSeries.name(.requests), Double(total.requests))
            add(PrometheusSeries.name(.errors), Double(total.errors))
            for (name, histogram) in [(PrometheusSeries.name(.latency), step.latency), (PrometheusSeries.name(.serviceTime), step.service)] {
                guard let histogram, !histogram.isEmpty else { continue }
                for quantile in PrometheusSeries.quantiles {
                    add(name, Double(histogram.percentile(quantile.percentile)) / 1e6,
                        extra: [PrometheusSeries.quantileLabel: quantile.label])
                }
            }
        }
        return series
    }
}
