import Foundation

/// A length of time written as "250us", "750ms", "30s", "2m", "1h", "1m30s" or "1.5s"; held in seconds.
/// (Named `TimeSpan` so it never competes with `Swift.Duration`.)
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public static let zero = TimeSpan(seconds: 0)

    static let expectedForm = #"a duration like "30s", "750ms" or "1m30s""#
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("h", 3600), ("m", 60), ("s", 1),
    ]

    /// Parses one or more `<number><unit>` groups ("1m30s"); a bare number has no unit and is rejected.
    public init(parsing text: String) throws(ValueError) {
        let groups = try QuantityText.groups(in: text, expected: Self.expectedForm)
        var total = 0.0
        var previousScale = Double.infinity
        for (number, unit) in groups {
            guard let scale = Self.units.first(where: { $0.suffix == unit })?.seconds else {
                throw ValueError(
                    "unknown unit \"\(unit)\" in \"\(text)\"; use h, m, s, ms or us",
                    suggestion: unit.isEmpty ? nil : Suggestion.closest(to: unit, among: ["h", "m", "s", "ms", "us"]))
            }
            // "1m1m" or "30s1m" is a slip more often than a sum: each unit once, largest first.
            guard scale < previousScale else {
                throw ValueError("\"\(text)\" repeats a unit or puts a smaller one before a larger; write each unit once, "
                                 + "largest first, like \"1h30m\" or \"1m30s\"")
            }
            previousScale = scale
            total += number * scale
        }
        guard total <= Limits.durationSeconds else {
            throw ValueError("\"\(text)\" is longer than the longest duration allowed, 31 days (744h)")
        }
        // Runs keep time in whole microseconds: a shorter duration would become 0 and slip past
        // every "must be longer than 0s".
        guard total == 0 || total >= 1e-6 else {
            throw ValueError("\"\(text)\" is shorter than 1us, the finest time Strain keeps")
        }
        seconds = total
    }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool {
        lhs.seconds < rhs.seconds
    }

    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(seconds: lhs.seconds + rhs.seconds)
    }

    /// The shortest profile spelling: "250µs", "1.5ms", "30s", "2m", "1m30s", "1h5m".
    public var description: String {
        let value = seconds
        if value == 0 { return "0s" }
        if value < 1e-3 { return QuantityText.number(value * 1e6) + "µs" }
        if value < 1 { return QuantityText.number(value * 1e3) + "ms" }
        if value < 60 { return QuantityText.number(value) + "s" }
        let hours = Int(value / 3600)
        let minutes = Int((value - Double(hours) * 3600) / 60)
        let rest = value - Double(hours) * 3600 - Double(minutes) * 60
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest >= 0.001 { text += QuantityText.number(rest) + "s" }
        return text
    }
}

/// Arrivals per unit of time written as "200/s", "12000/m" or "3600/h"; held per second.
public struct Rate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var perSecond: Double

    public init(perSecond: Double) {
        self.perSecond = perSecond
    }

    public static let zero = Rate(perSecond: 0)

    static let expectedForm = #"a rate like "200/s", "12000/m" or "3600/h""#
    private static let units: [(suffix: String, seconds: Double)] = [("s", 1), ("m", 60), ("h", 3600)]

    public init(parsing text: String) throws(ValueError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("-") {
            throw ValueError("must not be negative; expected \(Self.expectedForm), found \"\(text)\"")
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let number = QuantityText.plainNumber(parts[0]) else {
            let hint = QuantityText.plainNumber(Substring(trimmed)) == nil ? "" : " (the number needs a unit like /s)"
            throw ValueError("expected \(Self.expectedForm), found \"\(text)\"\(hint)")
        }
        let unit = String(parts[1])
        guard let seconds = Self.units.first(where: { $0.suffix == unit })?.seconds else {
            throw ValueError("unknown unit \"/\(unit)\" in \"\(text)\"; use /s, /m or /h",
                             suggestion: Suggestion.closest(to: unit, among: ["s", "m", "h"]).map { "/\($0)" })
        }
        guard number / seconds <= Limits.ratePerSecond else {
            throw ValueError("\"\(text)\" is above the highest rate allowed, 10,000,000/s")
        }
        perSecond = number / seconds
    }

    public static func < (lhs: Rate, rhs: Rate) -> Bool {
        lhs.perSecond < rhs.perSecond
    }

    /// Per second unless that would need a fraction below one: "200/s", "30/m", "2/h".
    public var description: String {
        if perSecond == 0 || perSecond >= 1 { return QuantityText.number(perSecond) + "/s" }
        if perSecond * 60 >= 1 { return QuantityText.number(perSecond * 60) + "/m" }
        return QuantityText.number(perSecond * 3600) + "/h"
    }
}

/// Shared reading and writing of "<number><unit>" text.
enum QuantityText {
    /// Splits "1m30.5s" into [(1, "m"), (30.5, "s")]. Rejects signs, bare numbers and empty text.
    static func groups(in text: String, expected: String) throws(ValueError) -> [(number: Double, unit: String)] {
        let scalars = Array(text.trimmingCharacters(in: .whitespaces).unicodeScalars)
        if scalars.first == "-" {
            throw ValueError("must not be negative; expected \(expected), found \"\(text)\"")
        }
        func isNumeric(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) || scalar == "." }
        var groups: [(Double, String)] = []
        var index = 0
        while index < scalars.count {
            let numberStart = index
            while index < scalars.count, isNumeric(scalars[index]) { index += 1 }
            let unitStart = index
            while index < scalars.count, !isNumeric(scalars[index]) { index += 1 }
            guard let number = plainNumber(Substring(String(String.UnicodeScalarView(scalars[numberStart..<unitStart])))) else {
                throw ValueError("expected \(expected), found \"\(text)\"")
            }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            if unit.isEmpty {
                throw ValueError("expected \(expected), found \"\(text)\" (the number needs a unit)")
            }
            groups.append((number, unit))
        }
        guard !groups.isEmpty else {
            throw ValueError("expected \(expected), found \"\(text)\"")
        }
        return groups
    }

    /// Digits with an optional fraction ("30", "1.5"): no sign, exponent or leading dot.
    static func plainNumber(_ text: Substring) -> Double? {
        guard let first = text.unicodeScalars.first, ("0"..."9").contains(first),
              text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }) else { return nil }
        return Double(text)
    }

    /// Up to three decimals, trailing zeros dropped, never locale-dependent: 1.5, 200, 0.001. A value
    /// too small for three decimals keeps three significant digits ("0.00036"), never reading as a
    /// zero it is not; no exponent, so the text reads back as a profile value.
    static func number(_ value: Double) -> String {
        let magnitude = value.magnitude
        // Past 2^53 a Double no longer holds every integer: 9223372036854775807 was read as …808, and
        // printing all the digits would claim one that was not written (and 1e300 would take 301).
        if magnitude >= 0x1p53, magnitude.isFinite { return String(format: "%.3g", value) }
        let decimals = magnitude == 0 || magnitude >= 0.0005 || !magnitude.isFinite ? 3 : Int(-log10(magnitude)) + 3
        var text = String(format: "%.\(decimals)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// An integer with thousands separators: 39,000.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return value < 0 ? "-" + text : text
    }
}
