import StrainReport
import Testing

struct FormatTests {
    @Test(arguments: [
        (0.0, "0µs"), (3.5e-6, "3.5µs"), (812e-6, "812µs"), (999.4e-6, "999µs"), (999.7e-6, "1.00ms"),
        (1.234e-3, "1.23ms"), (12.34e-3, "12.3ms"), (123.4e-3, "123ms"), (0.9996, "1.00s"), (1.5, "1.50s"),
        (59.4, "59.4s"), (125, "2m05s"), (3725, "1h02m"),
    ])
    func durations(seconds: Double, text: String) {
        #expect(Format.duration(seconds: seconds) == text)
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1_000, "1,000"), (1_234_567, "1,234,567"), (-1_200, "-1,200")])
    func counts(value: Int, text: String) {
        #expect(Format.count(value) == text)
    }

    @Test(arguments: [(0.0, "0%"), (0.0024, "0.24%"), (0.5, "50.0%"), (1.0, "100.0%"), (0.00001, "0.001%")])
    func percents(fraction: Double, text: String) {
        #expect(Format.percent(fraction) == text)
    }

    @Test(arguments: [(512 as UInt64, "512 B"), (1_536, "1.50 KiB"), (35 << 20, "35.0 MiB"), (3 << 30, "3.00 GiB")])
    func bytes(value: UInt64, text: String) {
        #expect(Format.bytes(value) == text)
    }

    @Test(arguments: [(199.84, "199.8/s"), (40, "40.0/s"), (0.25, "0.25/s"), (0.01, "0.01/s"), (0, "0.00/s"), (0.005, "18.0/h"), (0.0001, "0.36/h"), (1e-9, "<0.01/h")])
    func rates(perSecond: Double, text: String) {
        #expect(Format.rate(perSecond) == text)
    }
}

/// Changes between runs as factors beside the percentages, where the factor reads better.
struct ChangeFormatTests {
    @Test(arguments: [
        (64.0, "64×"), (1_234.4, "1,234×"), (10.0, "10×"), (2.5, "2.5×"), (1.0, "1.0×"), (0.52, "0.52×"), (0.004, "<0.01×"),
        (0.0, "0×"), (-1.0, "–"), (Double.infinity, "–"),
    ])
    func ratios(factor: Double, text: String) {
        #expect(Format.ratio(factor) == text)
    }

    @Test(arguments: [
        (63.0, "+6,300% (64×)"), (-0.48, "-48.0% (0.52×)"), (0.6, "+60.0% (1.6×)"), (0.04, "+4.00%"), (-0.2, "-20.0%"),
        (-1.0, "-100.0% (0×)"), (0.0, "+0%"),
        // A corrupt or hostile run file's factor (it crashed compare): capped, never an Int overflow.
        (1e20, "+1,000,000,000,000,000% (1,000,000,000,000,000×)"),
    ])
    func changes(fraction: Double, text: String) {
        #expect(Format.change(fraction) == text)
    }
}
