import Foundation
import StrainContract
import StrainCurl
import StrainProfile

/// A step's checks and extractions, ready to apply to responses: regular expressions compiled once.
/// Applying them is pure apart from rendering `${…}` through the iteration. A class, immutable: engines
/// reach it per response through their step, where a struct was copied field by field (a retain each).
final class ResponseExpectations {
    private let check: Check
    private let extractions: [(variable: String, source: Source)]

    private enum Source {
        case jsonPath(JSONPath)
        case header(String)
        case regex(NSRegularExpression)
    }

    /// What applying them found.
    struct Verdict: Equatable {
        var checks: UInt64 = 0
        var checkFailures: UInt64 = 0
        /// The step's failure: the first one, unless a later one ends the iteration (a missing value).
        var failure: StepFailure?

        /// Records a failure; the first one is the step's. `counted` is false for failures that are not checks.
        mutating func failed(_ failure: StepFailure, counted: Bool = true) {
            if counted { checkFailures += 1 }
            if self.failure == nil || (failure.endsIteration && self.failure?.endsIteration == false) {
                self.failure = failure
            }
        }
    }

    /// The response body decoded as JSON on first use, for the checks and extractions that need it.
    private struct LazyJSON {
        let body: [UInt8]
        private var decoded: JSONValue??

        init(body: [UInt8]) {
            self.body = body
        }

        /// Nil when the body is not JSON, or is nested too deep to decode safely (`whyNotJSON` says which).
        var value: JSONValue? {
            mutating get {
                if decoded == nil {
                    decoded = .some(JSONNesting.firstTooDeep(in: body) != nil
                        ? nil : try? JSONDecoder().decode(JSONValue.self, from: Data(body)))
                }
                return decoded!
            }
        }

        /// Why `value` is nil, for the failure's message.
        var whyNotJSON: String {
            guard let place = JSONNesting.firstTooDeep(in: body) else { return "the response body is not JSON" }
            return "the response body nests arrays and objects more than \(JSONNesting.limit) deep (line \(place.line), "
                + "column \(place.column)), deeper than a response is decoded"
        }
    }

    init(_ step: Step) {
        check = step.check
        extractions = step.extract.compactMap { extraction in
            switch extraction.source {
            case .jsonPath(let path): (extraction.variable, .jsonPath(path))
            case .header(let name): (extraction.variable, .header(name))
            // Validated when the profile was loaded, so compiling cannot fail here.
            case .regex(let pattern): (try? NSRegularExpression(pattern: pattern)).map { (extraction.variable, .regex($0)) }
            case .column: nil
            }
        }
    }

    /// Whether the body and headers must be kept (otherwise they are counted and dropped).
    var needsResponse: Bool {
        check.bodyContains != nil || !check.json.isEmpty || !extractions.isEmpty
    }

    /// Checks the response and stores extracted values in `iteration`. Every check is counted even after
    /// one fails; the first failure is the step's. `bodyTruncated`: `body` is only the start of a longer
    /// body (the step's `maxBodyBytes`), which failure messages say.
    func apply(status: Int, body: [UInt8], bodyTruncated: Bool = false, headers: [HTTPHeader],
               to iteration: Iteration) -> Verdict {
        var verdict = Verdict()
        let cut = bodyTruncated ? " (only the body's first \(body.count) bytes were kept: raise maxBodyBytes to check more)" : ""
        if let accepted = check.status {
            verdict.checks += 1
            if !accepted.contains(status) {
                let expected = accepted.map(String.init).joined(separator: ", ")
                verdict.failed(StepFailure(Self.label(forUnexpected: status), "status \(status), expected \(expected)"))
            }
        } else if status >= 400 {
            // No explicit status check: an error status fails the step but is not a check.
            verdict.failed(StepFailure(Self.label(forUnexpected: status), "status \(status)"), counted: false)
        }
        // The common load step checks nothing in the body: stop before any per-response work.
        guard needsResponse else { return verdict }
        if let bodyContains = check.bodyContains {
            verdict.checks += 1
            do {
                let needle = try iteration.render(bodyContains)
                if !needle.isEmpty, body.firstRange(of: Array(needle.utf8)) == nil {
                    verdict.failed(StepFailure(.checkFailed, "body does not contain \"\(needle)\"\(cut)"))
                }
            } catch {
                verdict.failed(error)
            }
        }
        var document = LazyJSON(body: body)
        for jsonCheck in check.json {
            verdict.checks += 1
            guard let root = document.value else {
                verdict.failed(StepFailure(.checkFailed, "json \(jsonCheck.path): \(document.whyNotJSON)\(cut)"))
                continue
            }
            do {
                let expected = try iteration.resolve(jsonCheck.expected)
                if let actual = jsonCheck.path.evaluate(in: root) {
                    if !Self.matches(actual, expected) {
                        verdict.failed(StepFailure(.checkFailed, "json \(jsonCheck.path): expected \(StepFailure.bounded(JSONText.of(expected))), found \(StepFailure.bounded(JSONText.of(actual)))"))
                    }
                } else {
                    verdict.failed(StepFailure(.checkFailed, "json \(jsonCheck.path): not in the response\(cut)"))
                }
            } catch {
                verdict.failed(error)
            }
        }
        for (variable, source) in extractions {
            switch Self.extract(source, body: body, headers: headers, json: &document) {
            case .found(let value):
                iteration.setVariable(variable, to: value)
            case .nothing:
                verdict.failed(StepFailure(.extractionFailed, "\(variable): \(Self.describe(source)) found nothing in the response\(cut)",
                                           endsIteration: true), counted: false)
            case .notJSON:
                verdict.failed(StepFailure(.extractionFailed, "\(variable): \(Self.describe(source)) found nothing: \(document.whyNotJSON)\(cut)",
                                           endsIteration: true), counted: false)
            case .tooSlow:
                verdict.failed(StepFailure(.extractionFailed, "\(variable): \(Self.describe(source)) was stopped after "
                                           + "\(TimeSpan(seconds: Self.regexTimeLimit)) on a "
                                           + "\(body.count)-byte body (it backtracks too much: make it match less ambiguously)",
                                           endsIteration: true), counted: false)
            }
        }
        return verdict
    }

    static func label(forUnexpected status: Int) -> ErrorLabel {
        switch status {
        case 500...: .status5xx
        case 400..<500: .status4xx
        default: .checkFailed
        }
    }

    /// Equal values, or an expected string written for a number, boolean or null (`"${id}"` for 42).
    static func matches(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
        if actual == expected { return true }
        switch (actual, expected) {
        case (.number, .string(let text)), (.bool, .string(let text)), (.null, .string(let text)):
            return JSONText.of(actual) == text
        default:
            return false
        }
    }

    private enum Extracted {
        case found(String)
        case nothing
        /// A JSON path on a body that could not be decoded as JSON.
        case notJSON
        /// A regex that backtracked past `regexTimeLimit`.
        case tooSlow
    }

    /// The longest a regex extraction may run on one response, in seconds. A pattern like `(a+)+$` backtracks
    /// exponentially on a body it nearly matches; unbounded, it held its worker (and every request
    /// of it) for good, past the step's timeout and the first Ctrl-C.
    static let regexTimeLimit = 0.1

    private static func extract(_ source: Source, body: [UInt8], headers: [HTTPHeader], json: inout LazyJSON) -> Extracted {
        switch source {
        case .jsonPath(let path):
            guard let root = json.value else { return .notJSON }
            guard let value = path.evaluate(in: root) else { return .nothing }
            if case .string(let text) = value { return .found(text) }
            return .found(JSONText.of(value))
        case .header(let name):
            return headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map { .found($0.value) } ?? .nothing
        case .regex(let expression):
            let text = String(decoding: body, as: UTF8.self)
            let deadline = ContinuousClock.now + .seconds(regexTimeLimit)
            var match: NSTextCheckingResult?
            var stopped = false
            // With reportProgress ICU calls back during a long match, where it can be stopped.
            expression.enumerateMatches(in: text, options: .reportProgress, range: NSRange(text.startIndex..., in: text)) { result, _, stop in
                if let result {
                    match = result
                    stop.pointee = true
                } else if ContinuousClock.now > deadline {
                    stopped = true
                    stop.pointee = true
                }
            }
            guard let match else { return stopped ? .tooSlow : .nothing }
            let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
            return Range(group, in: text).map { .found(String(text[$0])) } ?? .nothing
        }
    }

    private static func describe(_ source: Source) -> String {
        switch source {
        case .jsonPath(let path): "JSON path \(path)"
        case .header(let name): "header \(name)"
        case .regex(let expression): "regex \(expression.pattern)"
        }
    }
}

/// Compact JSON text of a decoded value: what an extracted object or array becomes, and how values
/// read in check messages. Whole numbers print without a fraction.
enum JSONText {
    static func of(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let bool): return bool ? "true" : "false"
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): return quoted(text)
        case .array(let elements): return "[" + elements.map(of).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + of($0.value) }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // Encoding a String cannot fail.
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\(text)\""
    }
}
