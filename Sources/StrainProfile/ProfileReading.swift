import Foundation
import StrainContract

/// A JSON object of the profile whose keys are fixed. `ObjectReader` rejects every other key (with a
/// "did you mean"), so no type checks its keys by hand; a test keeps `knownKeys` equal to the schema.
protocol ProfileObject: Sendable {
    /// The object's entry under `$defs` in `profiles/strain.schema.json`.
    static var schemaName: String { get }
    static var knownKeys: [String] { get }
}

/// The problems found in one profile so far, so that validation reports them all in one pass instead
/// of one per try. Reading recovers at independent parts (each unknown key, section, scenario, step,
/// threshold) and goes on; a part that depends on one that failed is skipped, not guessed at.
final class ProblemLog {
    /// Enough to fix in one go; a file of ten thousand unknown keys must not take minutes to list.
    static let limit = 100

    private(set) var problems: [ProfileError] = []
    /// Problems found beyond `limit`.
    private(set) var unlisted = 0

    /// Keeps `problem` unless the same one is already recorded (a part re-throws its first problem
    /// to stop its enclosing part).
    func record(_ problem: ProfileError) {
        guard !problems.contains(where: { $0.keyPath == problem.keyPath && $0.message == problem.message }) else { return }
        if problems.count < Self.limit {
            problems.append(problem)
        } else {
            unlisted += 1
        }
    }

    /// Reads one independent part; its problem is recorded and the reading goes on.
    func attempt<Value>(_ read: () throws(ProfileError) -> Value) -> Result<Value, ProfileError> {
        do {
            return .success(try read())
        } catch {
            record(error)
            return .failure(error)
        }
    }
}

/// One value of the document with its key path, read into typed values with "expected …, found …" errors.
struct Field {
    let path: ProfilePath
    let value: JSONValue
    let sourceMap: SourceMap
    /// Shared by every field of the document.
    let problems: ProblemLog

    /// The field at `path` (a member or element of this one, or below), with `value`.
    func field(at path: ProfilePath, _ value: JSONValue) -> Field {
        Field(path: path, value: value, sourceMap: sourceMap, problems: problems)
    }

    func error(_ message: String, suggestion: String? = nil, anchor: ProfileError.Anchor = .value) -> ProfileError {
        ProfileError(keyPath: path, message: message, suggestion: suggestion, anchor: anchor)
    }

    func error(_ problem: ValueError) -> ProfileError {
        error(problem.message, suggestion: problem.suggestion)
    }

    func mismatch(_ expected: String) -> ProfileError {
        error("expected \(expected), found \(value.foundDescription)")
    }

    func string() throws(ProfileError) -> String {
        guard case .string(let string) = value else { throw mismatch("a string") }
        return string
    }

    func nonEmptyString() throws(ProfileError) -> String {
        let string = try string()
        guard !string.trimmingCharacters(in: .whitespaces).isEmpty else { throw error("must not be empty") }
        return string
    }

    /// A profile's, scenario's or step's name (`nameProblem`'s rules).
    func name() throws(ProfileError) -> String {
        let name = try nonEmptyString()
        if let problem = Self.nameProblem(name) { throw error(problem) }
        return name
    }

    /// Why `name` cannot name a profile, scenario, step or dependency; nil when it can: a name is
    /// non-empty, one line without control characters, and at most `Limits.nameCharacters` long. Names
    /// reach terminals (escape sequences), folder names and run.json, whose readers refuse them (found
    /// only after the load was sent, the run's reports could not be written), and every report repeats them.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if let control = name.unicodeScalars.first(where: TerminalText.isControlInOneLine) {
            return "must not contain control characters (line breaks, tabs, NUL, escapes), found \(TerminalText.codePoint(control))"
        }
        guard name.count <= Limits.nameCharacters else {
            return "expected a name of at most \(Limits.nameCharacters) characters, found one of \(name.count)"
        }
        return nil
    }

    func bool() throws(ProfileError) -> Bool {
        guard case .bool(let bool) = value else { throw mismatch("true or false") }
        return bool
    }

    func integer(in range: ClosedRange<Int>) throws(ProfileError) -> Int {
        guard case .number(let number) = value, number == number.rounded() else {
            throw mismatch("a whole number")
        }
        // Compared as Double first: 1e300 has no Int.
        guard number >= Double(range.lowerBound) else {
            throw error("must be at least \(range.lowerBound), found \(QuantityText.number(number))")
        }
        guard number <= Double(range.upperBound) else {
            throw error("must be at most \(QuantityText.grouped(range.upperBound)), found \(QuantityText.number(number))")
        }
        return Int(number)
    }

    func array() throws(ProfileError) -> [Field] {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        return elements.enumerated().map { field(at: path.appending($0.offset), $0.element) }
    }

    /// An array of at most `limit` elements (`what` names them in the error).
    func array(atMost limit: Int, of what: String) throws(ProfileError) -> [Field] {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        guard elements.count <= limit else {
            throw error("has \(QuantityText.grouped(elements.count)) elements; at most \(QuantityText.grouped(limit)) \(what) are allowed")
        }
        return try array()
    }

    /// A free-form object (headers, feeders, thresholds …): its members in the order they were written.
    func members() throws(ProfileError) -> [(key: String, field: Field)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        let order = sourceMap.keys(of: path) ?? members.keys.sorted()
        return order.compactMap { key in
            members[key].map { (key, field(at: path.appending(key), $0)) }
        }
    }

    /// One of an enum's raw values, with a "did you mean" for misspellings.
    func choice<Option: RawRepresentable & CaseIterable>(_: Option.Type) throws(ProfileError) -> Option where Option.RawValue == String {
        let names = Option.allCases.map(\.rawValue)
        let expected = "one of " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = try parsedString(or: expected)
        guard let option = Option(rawValue: text) else {
            throw error("expected \(expected), found \"\(text)\"", suggestion: Suggestion.closest(to: text, among: names))
        }
        return option
    }

    func timeSpan(allowingZero: Bool = false) throws(ProfileError) -> TimeSpan {
        let span = try parsed(TimeSpan.expectedForm, TimeSpan.init(parsing:))
        guard allowingZero || span.seconds > 0 else {
            throw error("must be longer than 0s; expected \(TimeSpan.expectedForm)")
        }
        return span
    }

    func rate(allowingZero: Bool = false) throws(ProfileError) -> Rate {
        let rate = try parsed(Rate.expectedForm, Rate.init(parsing:))
        guard allowingZero || rate.perSecond > 0 else {
            throw error("must be above 0/s; expected \(Rate.expectedForm)")
        }
        return rate
    }

    func template(in scope: ReferenceScope) throws(ProfileError) -> Template {
        try parsed("a string") { (text) throws(ValueError) in try Template(parsing: text, in: scope) }
    }

    /// A string read by `parse`; a value of another JSON type is reported as not being `expected`.
    func parsed<Value>(_ expected: String, _ parse: (String) throws(ValueError) -> Value) throws(ProfileError) -> Value {
        let text = try parsedString(or: expected)
        do {
            return try parse(text)
        } catch {
            throw self.error(error)
        }
    }

    private func parsedString(or expected: String) throws(ProfileError) -> String {
        guard case .string(let text) = value else { throw mismatch(expected) }
        return text
    }
}

/// The members of an object whose keys `Shape.knownKeys` fixes. Every unknown key is recorded as a
/// problem (reading goes on with the known ones); `null` members read as absent.
struct ObjectReader {
    let field: Field
    private let members: [String: JSONValue]
    /// Unknown keys by the known key they are likely a misspelling of.
    private var misspellings: [String: ProfileError] = [:]

    init<Shape: ProfileObject>(_ field: Field, as _: Shape.Type) throws(ProfileError) {
        guard case .object(let members) = field.value else { throw field.mismatch("an object") }
        let known = Shape.knownKeys
        for key in field.sourceMap.keys(of: field.path) ?? members.keys.sorted() where !known.contains(key) {
            let suggestion = Suggestion.closest(to: key, among: known)
            let message = suggestion == nil
                ? "unknown key \"\(key)\"; expected one of \(known.joined(separator: ", "))"
                : "unknown key \"\(key)\""
            let problem = ProfileError(keyPath: field.path.appending(key), message: message, suggestion: suggestion, anchor: .key)
            field.problems.record(problem)
            if let suggestion { misspellings[suggestion] = problem }
        }
        self.field = field
        self.members = members.filter { $0.value != .null }
    }

    subscript(key: String) -> Field? {
        members[key].map { field.field(at: field.path.appending(key), $0) }
    }

    func contains(_ key: String) -> Bool {
        members[key] != nil
    }

    func required(_ key: String) throws(ProfileError) -> Field {
        // A misspelled required key is one problem, already recorded, not two.
        if self[key] == nil, let misspelling = misspellings[key] { throw misspelling }
        guard let member = self[key] else { throw field.error("missing required key \"\(key)\"") }
        return member
    }

    /// An error about `key` itself ("rate belongs to the open model"), pointing at the key.
    func keyError(_ key: String, _ message: String) -> ProfileError {
        ProfileError(keyPath: field.path.appending(key), message: message, anchor: .key)
    }
}
