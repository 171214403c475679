import Foundation

/// A JSON object of the profile whose keys are fixed. `ObjectReader` rejects every other key (with a
/// "did you mean"), so no type checks its keys by hand; a test keeps `knownKeys` equal to the schema.
protocol ProfileObject: Sendable {
    /// The object's entry under `$defs` in `profiles/strain.schema.json`.
    static var schemaName: String { get }
    static var knownKeys: [String] { get }
}

/// One value of the document with its key path, read into typed values with "expected …, found …" errors.
struct Field {
    let path: ProfilePath
    let value: JSONValue
    let sourceMap: SourceMap

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
        return elements.enumerated().map { Field(path: path.appending($0.offset), value: $0.element, sourceMap: sourceMap) }
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
            members[key].map { (key, Field(path: path.appending(key), value: $0, sourceMap: sourceMap)) }
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

/// The members of an object whose keys `Shape.knownKeys` fixes. Construction fails on the first unknown key
/// in document order; `null` members read as absent.
struct ObjectReader {
    let field: Field
    private let members: [String: JSONValue]

    init<Shape: ProfileObject>(_ field: Field, as _: Shape.Type) throws(ProfileError) {
        guard case .object(let members) = field.value else { throw field.mismatch("an object") }
        let known = Shape.knownKeys
        for key in field.sourceMap.keys(of: field.path) ?? members.keys.sorted() where !known.contains(key) {
            let suggestion = Suggestion.closest(to: key, among: known)
            let message = suggestion == nil
                ? "unknown key \"\(key)\"; expected one of \(known.joined(separator: ", "))"
                : "unknown key \"\(key)\""
            throw ProfileError(keyPath: field.path.appending(key), message: message, suggestion: suggestion, anchor: .key)
        }
        self.field = field
        self.members = members.filter { $0.value != .null }
    }

    subscript(key: String) -> Field? {
        members[key].map { Field(path: field.path.appending(key), value: $0, sourceMap: field.sourceMap) }
    }

    func contains(_ key: String) -> Bool {
        members[key] != nil
    }

    func required(_ key: String) throws(ProfileError) -> Field {
        guard let member = self[key] else { throw field.error("missing required key \"\(key)\"") }
        return member
    }

    /// An error about `key` itself ("rate belongs to the open model"), pointing at the key.
    func keyError(_ key: String, _ message: String) -> ProfileError {
        ProfileError(keyPath: field.path.appending(key), message: message, anchor: .key)
    }
}
