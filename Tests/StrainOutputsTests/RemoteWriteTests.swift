import StrainContract
import Testing
@testable import StrainOutputs

/// Encodings worked out by hand from the protobuf wire format: a key is field << 3 | wire type
/// (0 varint, 1 fixed64, 2 length-delimited), strings and messages are prefixed by their length.
struct RemoteWriteTests {
    @Test(arguments: [
        (Int64(0), [0x10, 0x00]),
        (1000, [0x10, 0xE8, 0x07]),
        (1_733_400_000_000, [0x10, 0x80, 0xEC, 0xC3, 0xB5, 0xB9, 0x32]),
        (-1, [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] as [(Int64, [UInt8])])
    func int64IsAVarint(value: Int64, expected: [UInt8]) {
        var writer = ProtobufWriter()
        writer.int64(2, value)
        #expect(writer.bytes == expected)
    }

    @Test(arguments: [
        (1.0, [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]),
        (0.25, [0x09, 0, 0, 0, 0, 0, 0, 0xD0, 0x3F]),
        (-2.0, [0x09, 0, 0, 0, 0, 0, 0, 0x00, 0xC0]),
    ] as [(Double, [UInt8])])
    func doubleIsEightLittleEndianBytes(value: Double, expected: [UInt8]) {
        var writer = ProtobufWriter()
        writer.double(1, value)
        #expect(writer.bytes == expected)
    }

    @Test func writeRequestWithOneSeries() {
        let series = TimeSeries(labels: ["__name__": "x"], samples: [Sample(value: 1, timestamp: 1000)])
        let label: [UInt8] = [0x0A, 0x08] + Array("__name__".utf8) + [0x12, 0x01, UInt8(ascii: "x")]
        let sample: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xE8, 0x07]
        let timeSeries: [UInt8] = [0x0A, 0x0D] + label + [0x12, 0x0C] + sample
        #expect(RemoteWrite.encode([series]) == [0x0A, 0x1D] + timeSeries)
    }

    @Test func labelsAreWrittenSortedByName() {
        let series = TimeSeries(labels: ["step": "s", "__name__": "n", "run_id": "r"], samples: [])
        let labels: [UInt8] = [
            0x0A, 0x0D, 0x0A, 0x08] + Array("__name__".utf8) + [0x12, 0x01, UInt8(ascii: "n"),
            0x0A, 0x0B, 0x0A, 0x06] + Array("run_id".utf8) + [0x12, 0x01, UInt8(ascii: "r"),
            0x0A, 0x09, 0x0A, 0x04] + Array("step".utf8) + [0x12, 0x01, UInt8(ascii: "s")]
        #expect(RemoteWrite.encode([series]) == [0x0A, UInt8(labels.count)] + labels)
    }

    @Test func stringsAreUTF8WithTheirByteLength() {
        var writer = ProtobufWriter()
        writer.string(2, "é")
        #expect(writer.bytes == [0x12, 0x02, 0xC3, 0xA9])
    }

    @Test func intervalsBecomeCountersAndQuantiles() throws {
        var builder = IntervalSeries(runID: "run-1", profile: "shop")
        let first = TimelineInterval(start: 0, duration: 1, steps: [
            IntervalStep(scenario: "browse", step: "home", requests: 3, failures: 1,
                         latency: Histogram(recording: [1000, 2000, 400_000]), service: Histogram(recording: [900])),
        ])
        let second = TimelineInterval(start: 1, duration: 0.5, partial: true, steps: [
            IntervalStep(scenario: "browse", step: "home", requests: 2, failures: 0, latency: Histogram()),
        ])
        let start: Int64 = 1_700_000_000_000
        let one = builder.series(for: first, runStartMilliseconds: start)
        let two = builder.series(for: second, runStartMilliseconds: start)

        func value(_ series: [TimeSeries], _ name: String, quantile: String? = nil) -> Sample? {
            series.first { $0.labels["__name__"] == name && $0.labels["quantile"] == quantile }?.samples.first
        }
        #expect(value(one, "strain_requests_total") == Sample(value: 3, timestamp: start + 1000))
        #expect(value(one, "strain_errors_total") == Sample(value: 1, timestamp: start + 1000))
        #expect(value(one, "strain_latency_seconds", quantile: "1") == Sample(value: 0.4, timestamp: start + 1000))
        #expect(value(one, "strain_latency_seconds", quantile: "0.5")?.value == 0.002)
        #expect(value(one, "strain_service_time_seconds", quantile: "0.99")?.value == 0.0009)
        // Counters are totals since the start; an interval without responses has no quantiles.
        #expect(value(two, "strain_requests_total") == Sample(value: 5, timestamp: start + 1500))
        #expect(value(two, "strain_errors_total")?.value == 1)
        #expect(two.count == 2)
        let labels = try #require(one.first?.labels)
        #expect(labels["run_id"] == "run-1" && labels["profile"] == "shop")
        #expect(labels["scenario"] == "browse" && labels["step"] == "home")
    }

    @Test(arguments: [
        "ftp://127.0.0.1/api/v1/write", "127.0.0.1:9090/api/v1/write", "http://", "http:///x",
        "http://host/a b", "http://host/\r\nX-Evil: 1", "file:///etc/passwd", "",
    ])
    func refusesURLsThatAreNotHTTP(url: String) {
        #expect(throws: OutputOptionError.self) { try PrometheusOutput.validatedURL(url) }
    }

    @Test(arguments: ["http://127.0.0.1:9090/api/v1/write", "HTTPS://prometheus.example/api/v1/write?tenant=a"])
    func acceptsHTTPAndHTTPS(url: String) throws {
        #expect(try PrometheusOutput.validatedURL(url).absoluteString == url)
    }
}
