import Foundation

/// Human-readable numbers for every renderer: durations in µs/ms/s/m, grouped counts, rates,
/// percentages and byte sizes. Three significant digits: more is noise for latency figures.
public enum Format {
    /// A duration given in seconds: "812µs", "1.23ms", "12.3s", "2m05s".
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        let micros = seconds * 1e6
        if micros < 10, micros != micros.rounded() { return fixed(micros, decimals: 1) + "µs" }
        if micros.rounded() < 1000 { return fixed(micros, decimals: 0) + "µs" }
        if let text = significant(micros / 1e3, below: 1000) { return text + "ms" }
        if let text = significant(seconds, below: 60) { return text + "s" }
        // Beyond a century (only a hostile or corrupt file says so), plain seconds: no Int can overflow.
        guard seconds < 3.2e9 else { return String(format: "%.3gs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m" + String(format: "%02ds", whole % 60) }
        return "\(whole / 3600)h" + String(format: "%02dm", whole % 3600 / 60)
    }

    /// A histogram value (microseconds).
    public static func micros(_ value: UInt64) -> String {
        duration(seconds: Double(value) / 1e6)
    }

    /// A histogram value (microseconds) given as a Double, e.g. a mean.
    public static func micros(_ value: Double) -> String {
        duration(seconds: value / 1e6)
    }

    /// "12,345".
    public static func count<Integer: BinaryInteger>(_ value: Integer) -> String {
        var digits = Array(String(value.magnitude))
        var grouped: [Character] = []
        while digits.count > 3 {
            grouped.insert(contentsOf: [","] + digits.suffix(3), at: 0)
            digits.removeLast(3)
        }
        return (value < 0 ? "-" : "") + String(digits + grouped)
    }

    /// Per second: "199.8/s", "0.25/s"; below 0.01/s, which would print as "0.00/s", per hour as a
    /// profile may write it ("0.36/h" for 0.0001/s).
    public static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite else { return "–" }
        if perSecond >= 100 { return fixed(perSecond, decimals: 1) + "/s" }
        let (value, unit) = perSecond == 0 || perSecond >= 0.01 ? (perSecond, "/s") : (perSecond * 3600, "/h")
        return value > 0 && value < 0.005 ? "<0.01/h" : (significant(value, below: .infinity) ?? "0") + unit
    }

    /// A fraction as a percentage: 0.0024 → "0.24%"; tiny non-zero shares keep enough digits to show.
    public static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        let percent = fraction * 100
        if percent == 0 { return "0%" }
        if abs(percent) >= 10 { return fixed(percent, decimals: 1) + "%" }
        if abs(percent) >= 0.01 { return fixed(percent, decimals: 2) + "%" }
        return String(format: "%.1g", percent) + "%"
    }

    /// A signed relative change: +12.3%, -4.0%.
    public static func signedPercent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        return (fraction >= 0 ? "+" : "-") + percent(abs(fraction))
    }

    /// How many times the baseline a value is: "64×", "2.5×", "0.52×", "<0.01×". Big changes read
    /// better as factors than as "+6,300%".
    public static func ratio(_ factor: Double) -> String {
        guard factor.isFinite, factor >= 0 else { return "–" }
        if factor >= 10 { return count(Int(min(factor, 1e15).rounded())) + "×" }
        if factor >= 1 { return fixed(factor, decimals: 1) + "×" }
        if factor >= 0.01 { return fixed(factor, decimals: 2) + "×" }
        return factor == 0 ? "0×" : "<0.01×"
    }

    /// A relative change as a percentage, with the factor beside it when the value moved by half or
    /// more either way: "+6,300% (64×)", "-48.0% (0.52×)", "+4.0%".
    public static func change(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "–" }
        let factor = 1 + fraction
        // Capped as `ratio` is: a corrupt file's 1e20 must not overflow an Int.
        let percentText = abs(fraction) >= 10 ? (fraction >= 0 ? "+" : "-") + count(Int(min(abs(fraction * 100), 1e15).rounded())) + "%"
            : signedPercent(fraction)
        return factor >= 1.5 || factor <= 2.0 / 3 ? "\(percentText) (\(ratio(factor)))" : percentText
    }

    /// Bytes in binary units: "512 B", "1.21 KiB", "34.5 MiB".
    public static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = Double(value)
        var unit = 0
        while scaled >= 1024, unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return (unit == 0 ? "\(value)" : significant(scaled, below: .infinity) ?? "0") + " " + units[unit]
    }

    /// A plain number with at most three decimals and no trailing zeros: 2, 0.5, 12.345.
    public static func number(_ value: Double) -> String {
        var text = fixed(value, decimals: 3)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// An instant in UTC, to the second: "2024-05-01 12:00:03Z".
    public static func instant(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateTimeSeparator: .space))
    }

    private static func fixed(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// Three significant digits, or nil when the rounded value reaches `limit` (the caller moves
    /// to the next unit, so 999.7ms becomes "1.00s" rather than "1000ms").
    private static func significant(_ value: Double, below limit: Double) -> String? {
        let decimals = value < 10 ? 2 : value < 100 ? 1 : 0
        let text = fixed(value, decimals: decimals)
        guard let rounded = Double(text), rounded < limit else { return nil }
        // 9.996 rounds to "10.00": four digits, so redo it with one decimal fewer.
        if decimals > 0, rounded >= (decimals == 2 ? 10 : 100) { return fixed(value, decimals: decimals - 1) }
        return text
    }
}
