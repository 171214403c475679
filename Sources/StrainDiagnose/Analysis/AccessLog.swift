import Foundation
import StrainContract

/// A web server's access log read for the diagnosis window: per-endpoint request counts and
/// latencies for incident mode (`strain diagnose --access-log`), where no load driver counted them.
///
/// Two line formats, told apart per line (a line starting with `{` is JSON):
/// - nginx/Apache "combined" with the request time appended as the last field:
///   nginx `log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status '
///   '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time';` (seconds, with a decimal
///   point), or Apache `LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D"`
///   (whole microseconds). A last field without a decimal point is read as microseconds.
/// - JSON lines, one object per line, with the fields in `AccessLog.jsonFields`.
///
/// A request belongs to the window when its logged time (when it ended, as nginx logs it) falls in it.
public enum AccessLog {
    /// One request as logged.
    public struct Entry: Equatable, Sendable {
        public var time: Date
        /// How precise `time` is: 1 s for `[$time_local]`, 0 for fractional timestamps.
        public var timeResolution: Double
        public var method: String
        public var path: String
        public var status: Int
        public var seconds: Double
    }

    /// The JSON field names accepted for each value, first match wins.
    public static let jsonFields = (
        time: ["time", "timestamp", "@timestamp", "ts"],
        method: ["method", "request_method"],
        path: ["path", "uri", "request_uri", "url"],
        status: ["status", "status_code"],
        /// In seconds; `duration_ms` in milliseconds.
        seconds: ["duration", "request_time"],
        milliseconds: ["duration_ms"]
    )

    /// Longer lines are skipped: no access log line needs them, and a hostile one must not cost memory.
    public static let maximumLineBytes = 16 * 1024
    /// Distinct endpoints kept; paths beyond (scanners, random URLs) count under `otherEndpoints`.
    public static let maximumEndpoints = 100
    public static let otherEndpoints = "(other paths)"
    /// A request longer than a day is a broken line, not a slow request.
    static let longestRequest = 86_400.0

    /// Parses one line, or says why it was skipped.
    public static func parse(_ line: Substring) -> Result<Entry, LineError> {
        guard line.utf8.count <= maximumLineBytes else { return .failure(LineError("longer than \(maximumLineBytes) bytes")) }
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        return trimmed.first == "{" ? parseJSON(trimmed) : parseCombined(trimmed)
    }

    /// Why a line was skipped.
    public struct LineError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Endpoints

    /// The endpoint a path belongs to: the query and fragment dropped, an absolute URL's scheme
    /// and host dropped, and segments that are ids — all digits, a UUID, or a long hex string with
    /// a digit (object ids, hashes) — replaced by `:id`, so /orders/17 and /orders/18 are one endpoint.
    public static func endpointPattern(_ path: String) -> String {
        var rest = Substring(path)
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            let host = rest.dropFirst(scheme.count)
            rest = host.firstIndex(of: "/").map { host[$0...] } ?? "/"
        }
        let segments = rest.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            isIdentifier(segment) ? ":id" : String(segment)
        }
        // A request target holds no control character or line break (they travel percent-encoded): one
        // in a log line is shown escaped, so that it cannot start a line of its own in a fix or a report.
        let pattern = TerminalText.visible(TerminalText.oneLine(segments.joined(separator: "/")))
        return pattern.isEmpty ? "/" : pattern
    }

    static func isIdentifier(_ segment: Substring) -> Bool {
        guard !segment.isEmpty else { return false }
        if segment.allSatisfy(\.isASCIIDigit) { return true }
        let hex = segment.filter { $0 != "-" }
        guard hex.allSatisfy(\.isHexDigitASCII) else { return false }
        let isUUID = segment.count == 36 && segment.split(separator: "-", omittingEmptySubsequences: false).map(\.count) == [8, 4, 4, 4, 12]
        return isUUID || (segment.count >= 16 && !segment.contains("-") && segment.contains(where: \.isASCIIDigit))
    }

    // MARK: Combined

    private static func parseCombined(_ line: Substring) -> Result<Entry, LineError> {
        guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else {
            return .failure(LineError("no [time] field: expected the combined format with the request time last"))
        }
        guard let time = combinedTime(line[line.index(after: open)..<close]) else {
            return .failure(LineError("the [time] field is not like [10/Oct/2026:13:55:36 +0000]"))
        }
        let afterTime = line[line.index(after: close)...].drop { $0 == " " }
        guard afterTime.first == "\"", let requestEnd = afterTime.dropFirst().firstIndex(of: "\"") else {
            return .failure(LineError("no quoted request line after the time"))
        }
        let request = afterTime[afterTime.index(after: afterTime.startIndex)..<requestEnd].split(separator: " ")
        guard request.count == 3, let method = validMethod(request[0]), request[1].first == "/" || request[1].hasPrefix("http") else {
            return .failure(LineError("request line is not METHOD PATH PROTOCOL"))
        }
        let tail = afterTime[afterTime.index(after: requestEnd)...].split(separator: " ")
        guard let statusText = tail.first, let status = Int(statusText), (100...599).contains(status) else {
            return .failure(LineError("no status code after the request line"))
        }
        guard tail.count >= 2, let last = tail.last, let value = Double(last) else {
            return .failure(LineError("the last field is not a request time (nginx $request_time or Apache %D)"))
        }
        // nginx's $request_time is seconds with a decimal point; Apache's %D is whole microseconds.
        let seconds = last.contains(".") ? value : value / 1_000_000
        return validDuration(seconds).map { seconds in
            Entry(time: time, timeResolution: 1, method: method, path: String(request[1]), status: status, seconds: seconds)
        }
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `10/Oct/2026:13:55:36 +0000` (nginx's $time_local, Apache's %t).
    static func combinedTime(_ text: Substring) -> Date? {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == ":" || $0 == " " })
        guard parts.count == 7, let day = Int(parts[0]), let month = months.firstIndex(of: String(parts[1])),
              let year = Int(parts[2]), let hour = Int(parts[3]), let minute = Int(parts[4]), let second = Int(parts[5]),
              parts[6].count == 5, let sign = parts[6].first, sign == "+" || sign == "-",
              let offset = Int(parts[6].dropFirst()),
              (1...31).contains(day), (1970...9999).contains(year), (0...23).contains(hour), (0...59).contains(minute),
              (0...60).contains(second) else { return nil }
        let offsetSeconds = (offset / 100 * 3600 + offset % 100 * 60) * (sign == "-" ? -1 : 1)
        let days = daysFromCivil(year: year, month: month + 1, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    // MARK: JSON

    private static func parseJSON(_ line: Substring) -> Result<Entry, LineError> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return .failure(LineError("not a JSON object"))
        }
        func value(_ names: [String]) -> (name: String, value: Any)? {
            names.lazy.compactMap { name in object[name].map { (name, $0) } }.first
        }
        guard let time = value(jsonFields.time) else { return .failure(LineError("no time field (\(jsonFields.time.joined(separator: ", ")))")) }
        guard let date = jsonTime(time.value) else {
            return .failure(LineError("\(time.name): expected seconds since 1970 or an ISO 8601 time"))
        }
        guard let methodValue = value(jsonFields.method), let methodText = methodValue.value as? String,
              let method = validMethod(Substring(methodText)) else {
            return .failure(LineError("no HTTP method (\(jsonFields.method.joined(separator: ", ")))"))
        }
        guard let pathValue = value(jsonFields.path), let path = pathValue.value as? String,
              path.first == "/" || path.hasPrefix("http") else {
            return .failure(LineError("no path starting with / (\(jsonFields.path.joined(separator: ", ")))"))
        }
        guard let statusValue = value(jsonFields.status), let status = integer(statusValue.value), (100...599).contains(status) else {
            return .failure(LineError("no status code 100–599 (\(jsonFields.status.joined(separator: ", ")))"))
        }
        let seconds: Double
        if let duration = value(jsonFields.seconds), let number = number(duration.value) {
            seconds = number
        } else if let duration = value(jsonFields.milliseconds), let number = number(duration.value) {
            seconds = number / 1000
        } else {
            return .failure(LineError("no duration (\((jsonFields.seconds + jsonFields.milliseconds).joined(separator: ", ")))"))
        }
        return validDuration(seconds).map { seconds in
            Entry(time: date, timeResolution: 0, method: method, path: path, status: status, seconds: seconds)
        }
    }

    private static func number(_ value: Any) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        return (value as? String).flatMap(Double.init)
    }

    private static func integer(_ value: Any) -> Int? {
        number(value).flatMap { $0.rounded() == $0 && abs($0) < 1e6 ? Int($0) : nil }
    }

    private static func jsonTime(_ value: Any) -> Date? {
        if let seconds = number(value), seconds.isFinite, seconds > 0, seconds < 253_402_300_800 {
            return Date(timeIntervalSince1970: seconds)
        }
        guard let text = value as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func validMethod(_ text: Substring) -> String? {
        (1...16).contains(text.count) && text.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "-") }) ? String(text) : nil
    }

    private static func validDuration(_ seconds: Double) -> Result<Double, LineError> {
        seconds.isFinite && seconds >= 0 && seconds <= longestRequest
            ? .success(seconds) : .failure(LineError("request time \(seconds) s is not between 0 and a day"))
    }

    // MARK: Summary

    /// The requests of one window, per endpoint ("GET /orders/:id"), with what was skipped.
    public struct WindowSummary: Sendable {
        public let source: String
        public let start: Date
        public let end: Date
        /// One endpoint's requests in the window.
        public struct Requests: Sendable {
            public var count: UInt64 = 0
            public var seconds = 0.0
            public var durations = Histogram()
        }

        public private(set) var endpoints: [String: Requests] = [:]
        /// Requests per endpoint in each second of the window (by the seconds since 1970 it began
        /// at), which tell which endpoint issues a statement as a load's timeline does.
        private var perSecond: [Int64: [String: UInt64]] = [:]
        public private(set) var linesRead = 0
        public private(set) var outsideWindow = 0
        public private(set) var skipped = 0
        /// The first few skipped lines as "FILE:LINE: reason".
        public private(set) var skippedExamples: [String] = []
        static let examplesKept = 3

        public init(source: String, start: Date, end: Date) {
            self.source = source
            self.start = start
            self.end = end
        }

        /// Counts line `number` (1-based) of the log; nil stands for a line too long to keep.
        public mutating func add(_ line: Substring?, number: Int) {
            linesRead += 1
            guard let line else { return skip(number: number, "longer than \(AccessLog.maximumLineBytes) bytes") }
            guard !line.allSatisfy(\.isWhitespace) else { return }
            switch AccessLog.parse(line) {
            case .failure(let error):
                skip(number: number, error.description)
            case .success(let entry):
                // A second-resolution time covers the whole second it names.
                guard entry.time.addingTimeInterval(entry.timeResolution) > start, entry.time <= end else {
                    outsideWindow += 1
                    return
                }
                var name = "\(entry.method) \(AccessLog.endpointPattern(entry.path))"
                if endpoints[name] == nil && endpoints.count >= AccessLog.maximumEndpoints - 1 { name = AccessLog.otherEndpoints }
                // Mutated in place: a copy of the histogram per line would cost its whole storage.
                endpoints[name, default: Requests()].count += 1
                endpoints[name, default: Requests()].seconds += entry.seconds
                endpoints[name, default: Requests()].durations.record(UInt64((entry.seconds * 1_000_000).rounded()))
                perSecond[Int64(entry.time.timeIntervalSince1970.rounded(.down)), default: [:]][name, default: 0] += 1
            }
        }

        private mutating func skip(number: Int, _ reason: String) {
            skipped += 1
            if skippedExamples.count < Self.examplesKept { skippedExamples.append("\(source):\(number): \(reason)") }
        }

        public var requests: UInt64 { endpoints.values.reduce(0) { $0 + $1.count } }

        /// The load the log shows, as the diagnoser's checks read a driver's; nil when no request fell in the window.
        public var load: LoadContext? {
            guard requests > 0 else { return nil }
            let endpoints = self.endpoints.sorted { $0.key < $1.key }.map { name, entry in
                LoadContext.Endpoint(scenario: LoadContext.accessLogScenario, step: name, kind: .http, requests: entry.count,
                                     totalSeconds: entry.seconds,
                                     fastTenthSeconds: Double(entry.durations.percentile(10)) / 1_000_000)
            }
            let intervals = perSecond.keys.sorted().map { second in
                LoadContext.RequestInterval(start: Date(timeIntervalSince1970: Double(second)), duration: 1,
                                            requests: Dictionary(uniqueKeysWithValues: perSecond[second]!.map {
                                                ("\(LoadContext.accessLogScenario)/\($0.key)", $0.value)
                                            }))
            }
            return LoadContext(endpoints: endpoints, source: description, requestIntervals: intervals)
        }

        /// What the counts came from, for the diagnosis: "access log FILE: 1,204 requests on 7 endpoints …".
        public var description: String {
            var text = "access log \(source): \(Format.count(requests)) requests on \(endpoints.count) endpoint"
                + "\(endpoints.count == 1 ? "" : "s") in the window (of \(Format.count(linesRead)) lines read, "
                + "\(Format.count(outsideWindow)) outside the window"
            if skipped > 0 { text += ", \(Format.count(skipped)) skipped: \(skippedExamples.joined(separator: "; "))" }
            return text + ")"
        }
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isHexDigitASCII: Bool { isASCII && isHexDigit }
}
