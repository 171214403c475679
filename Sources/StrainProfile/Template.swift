import Foundation

/// Text with `${…}` references ("Bearer ${token}", "/v1/orders?customer=${users.id}"), parsed when the
/// profile is validated so that a run never meets an unknown name. `$${` writes a literal `${`.
public struct Template: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case reference(Reference)
    }

    public let parts: [Part]
    /// The text as written in the profile.
    public let description: String

    public var references: [Reference] {
        parts.compactMap { part in
            if case .reference(let reference) = part { reference } else { nil }
        }
    }

    /// The text itself when it contains no references.
    public var literalText: String? {
        switch parts.count {
        case 0: ""
        case 1: if case .literal(let text) = parts[0] { text } else { nil }
        default: nil
        }
    }

    /// The one reference the text consists of (e.g. `${random(1, 100)}` alone), whose value is the
    /// whole rendering: no text to assemble around it.
    public var soleReference: Reference? {
        if parts.count == 1, case .reference(let reference) = parts[0] { reference } else { nil }
    }

    /// Substitutes every reference with the text `resolve` gives for it.
    public func render<Failure: Error>(_ resolve: (Reference) throws(Failure) -> String) throws(Failure) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .reference(let reference): text += try resolve(reference)
            }
        }
        return text
    }
}

/// What a `${…}` stands for.
public enum Reference: Sendable, Equatable, CustomStringConvertible {
    /// `${env.NAME}`: read from the environment when the run starts (so secrets stay out of the profile).
    case environment(String)
    /// `${users.email}`: a column of the current row of a declared CSV feeder.
    case feeder(name: String, column: String)
    /// `${token}`: a value extracted by an earlier step of the same scenario iteration.
    case variable(String)
    /// `${random(1, 100)}`, `${sequence()}`, `${uuid()}`, `${pick(a, b)}`: a fresh value per use.
    case generator(Generator)

    public var description: String {
        switch self {
        case .environment(let name): "env.\(name)"
        case .feeder(let name, let column): "\(name).\(column)"
        case .variable(let name): name
        case .generator(let generator): generator.description
        }
    }
}

public enum Generator: Sendable, Equatable, CustomStringConvertible {
    /// A uniformly distributed integer in `min...max`.
    case random(min: Int, max: Int)
    /// `start`, `start + 1`, … across the whole run.
    case sequence(start: Int)
    /// A random version-4 UUID.
    case uuid
    /// One of the listed values, uniformly.
    case pick([String])

    static let names = ["random", "sequence", "uuid", "pick"]

    public var description: String {
        switch self {
        case .random(let min, let max): "random(\(min), \(max))"
        case .sequence(let start): "sequence(\(start))"
        case .uuid: "uuid()"
        case .pick(let values): "pick(\(values.joined(separator: ", ")))"
        }
    }
}

/// The names a template may refer to at one place in the profile.
struct ReferenceScope {
    enum Allowed {
        /// Connection strings and diagnose settings: resolved once, before any iteration runs.
        case environmentOnly
        /// `defaults`: shared by every step, so no step's variables exist yet.
        case noVariables
        case everything
    }

    var allowed: Allowed
    /// Feeder name → its CSV header columns.
    var feeders: [String: [String]] = [:]
    /// Variables extracted by earlier steps of the scenario.
    var variables: [String] = []
    /// Variables only a later step extracts → that step's name (to explain the ordering mistake).
    var laterVariables: [String: String] = [:]
}

extension Template {
    /// Profile text that a template reads back as exactly `literal`: each `${` written `$${`. What the
    /// command line and a targets file give is sent as written, as wrk, hey and vegeta send it.
    public static func escaping(_ literal: String) -> String {
        literal.replacing("${", with: "$${")
    }

    init(parsing text: String, in scope: ReferenceScope) throws(ValueError) {
        let scalars = Array(text.unicodeScalars)
        var parts: [Part] = []
        var literal = String.UnicodeScalarView()
        var index = 0
        func starts(with prefix: String, at position: Int) -> Bool {
            Array(prefix.unicodeScalars).enumerated().allSatisfy { offset, scalar in
                position + offset < scalars.count && scalars[position + offset] == scalar
            }
        }
        while index < scalars.count {
            if starts(with: "$${", at: index) {
                literal.append(contentsOf: "${".unicodeScalars)
                index += 3
            } else if starts(with: "${", at: index) {
                guard let close = Self.closingBrace(in: scalars, from: index + 2) else {
                    throw ValueError("unterminated \"${\" in \"\(text)\"; close it with \"}\" (write \"$${\" for a literal \"${\")")
                }
                if !literal.isEmpty {
                    parts.append(.literal(String(literal)))
                    literal = String.UnicodeScalarView()
                }
                let expression = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
                parts.append(.reference(try Self.reference(expression, in: scope, template: text)))
                index = close + 1
            } else {
                literal.append(scalars[index])
                index += 1
            }
        }
        if !literal.isEmpty {
            parts.append(.literal(String(literal)))
        }
        self.parts = parts
        self.description = text
    }

    /// The `}` closing a reference, skipping quoted generator arguments like `pick("a}", b)`.
    private static func closingBrace(in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var quote: Unicode.Scalar?
        for index in start..<scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == "}" {
                return index
            }
        }
        return nil
    }

    private static func reference(_ rawExpression: String, in scope: ReferenceScope, template: String) throws(ValueError) -> Reference {
        let expression = rawExpression.trimmingCharacters(in: .whitespaces)
        let shown = "\"${\(rawExpression)}\""
        if expression.isEmpty {
            throw ValueError("empty reference \(shown) in \"\(template)\"")
        }
        if let open = expression.firstIndex(of: "(") {
            guard scope.allowed != .environmentOnly else {
                throw ValueError("only ${env.NAME} references can be used here, found \(shown)")
            }
            guard expression.hasSuffix(")") else {
                throw ValueError("expected a generator call like \"random(1, 100)\", found \(shown)")
            }
            let name = expression[..<open].trimmingCharacters(in: .whitespaces)
            let arguments = try Self.arguments(String(expression[expression.index(after: open)..<expression.index(before: expression.endIndex)]), of: shown)
            return .generator(try Self.generator(name, arguments, shown: shown))
        }
        // A generator's quoted argument may hold a literal "${"; a name never does.
        if expression.contains("${") {
            throw ValueError("references do not nest: \(shown) in \"\(template)\" holds another \"${\"; write \"$${\" for a literal \"${\"")
        }
        if let dot = expression.firstIndex(of: ".") {
            let head = String(expression[..<dot])
            let rest = String(expression[expression.index(after: dot)...])
            if head == "env" {
                guard rest.isIdentifier else {
                    throw ValueError("expected an environment variable name like ${env.API_TOKEN}, found \(shown)")
                }
                return .environment(rest)
            }
            guard scope.allowed != .environmentOnly else {
                throw ValueError("only ${env.NAME} references can be used here, found \(shown)")
            }
            guard let columns = scope.feeders[head] else {
                let suggestion = Suggestion.closest(to: head, among: Array(scope.feeders.keys).sorted() + ["env"])
                throw ValueError("unknown feeder \"\(head)\" in \(shown); declare it under feeders or use ${env.NAME}",
                                 suggestion: suggestion.map { "\($0).\(rest)" })
            }
            guard columns.contains(rest) else {
                throw ValueError(
                    "feeder \"\(head)\" has no column \"\(rest)\" (its CSV header has \(columns.prefix(20).joined(separator: ", "))"
                        + (columns.count > 20 ? " and \(columns.count - 20) more)" : ")"),
                    suggestion: Suggestion.closest(to: rest, among: columns).map { "\(head).\($0)" })
            }
            return .feeder(name: head, column: rest)
        }
        switch scope.allowed {
        case .environmentOnly:
            throw ValueError("only ${env.NAME} references can be used here, found \(shown)")
        case .noVariables:
            throw ValueError("defaults apply to every step, so they cannot use step variables like \(shown); set it in the steps that follow the extraction")
        case .everything:
            if scope.variables.contains(expression) {
                return .variable(expression)
            }
            if let step = scope.laterVariables[expression] {
                throw ValueError("\(shown) is not extracted until step \"\(step)\"; a step can only use variables extracted by earlier steps")
            }
            let feederColumns = scope.feeders.sorted { $0.key < $1.key }.flatMap { feeder in feeder.value.map { "\(feeder.key).\($0)" } }
            throw ValueError(
                "unknown reference \(shown): not a variable extracted by an earlier step, a feeder column (feeder.column), env.NAME or a generator",
                suggestion: Suggestion.closest(to: expression, among: scope.variables + feederColumns))
        }
    }

    /// Comma-separated generator arguments; single or double quotes keep commas and spaces inside a value.
    private static func arguments(_ text: String, of shown: String) throws(ValueError) -> [String] {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var arguments: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "," {
                arguments.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        arguments.append(current)
        let trimmed = arguments.map { $0.trimmingCharacters(in: .whitespaces) }
        if trimmed.contains("") {
            throw ValueError("empty argument in \(shown)")
        }
        return trimmed
    }

    private static func generator(_ name: String, _ arguments: [String], shown: String) throws(ValueError) -> Generator {
        switch name {
        case "random":
            guard arguments.count == 2, let min = Int(arguments[0]), let max = Int(arguments[1]) else {
                throw ValueError("random takes two integers, like ${random(1, 100)}, found \(shown)")
            }
            guard Swift.max(min.magnitude, max.magnitude) <= Limits.generatorMagnitude else {
                throw ValueError("random's bounds must lie within ±\(QuantityText.grouped(Limits.generatorMagnitude)), found \(shown)")
            }
            guard min <= max else {
                throw ValueError("random(\(min), \(max)) has its minimum above its maximum; write random(\(max), \(min))")
            }
            return .random(min: min, max: max)
        case "sequence":
            if arguments.isEmpty { return .sequence(start: 1) }
            guard arguments.count == 1, let start = Int(arguments[0]) else {
                throw ValueError("sequence takes an optional integer start, like ${sequence()} or ${sequence(1000)}, found \(shown)")
            }
            guard start.magnitude <= Limits.generatorMagnitude else {
                throw ValueError("sequence's start must lie within ±\(QuantityText.grouped(Limits.generatorMagnitude)), found \(shown)")
            }
            return .sequence(start: start)
        case "uuid":
            guard arguments.isEmpty else {
                throw ValueError("uuid takes no arguments: ${uuid()}, found \(shown)")
            }
            return .uuid
        case "pick":
            guard !arguments.isEmpty else {
                throw ValueError("pick needs at least one value, like ${pick(red, green, blue)}, found \(shown)")
            }
            return .pick(arguments)
        default:
            throw ValueError("unknown generator \"\(name)\" in \(shown); use random, sequence, uuid or pick",
                             suggestion: Suggestion.closest(to: name, among: Generator.names))
        }
    }
}

/// JSON from the profile whose strings may hold `${…}` references: a request body or a `json` check's
/// expected value. Object members keep the profile's order.
public indirect enum JSONTemplate: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(Template)
    case array([JSONTemplate])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: JSONTemplate
    }

    /// The JSON text to send, with every reference substituted (substituted values are always JSON strings).
    public func render<Failure: Error>(_ resolve: (Reference) throws(Failure) -> String) throws(Failure) -> String {
        switch self {
        case .null:
            return "null"
        case .bool(let bool):
            return bool ? "true" : "false"
        case .number(let number):
            return Self.text(of: number)
        case .string(let template):
            return Self.quoted(try template.render(resolve))
        case .array(let elements):
            var rendered: [String] = []
            for element in elements { rendered.append(try element.render(resolve)) }
            return "[" + rendered.joined(separator: ",") + "]"
        case .object(let members):
            var rendered: [String] = []
            for member in members { rendered.append(Self.quoted(member.key) + ":" + (try member.value.render(resolve))) }
            return "{" + rendered.joined(separator: ",") + "}"
        }
    }

    /// The value with every reference substituted (as a string), to compare with a decoded response.
    public func resolved<Failure: Error>(_ resolve: (Reference) throws(Failure) -> String) throws(Failure) -> JSONValue {
        switch self {
        case .null:
            return .null
        case .bool(let bool):
            return .bool(bool)
        case .number(let number):
            return .number(number)
        case .string(let template):
            return .string(try template.render(resolve))
        case .array(let elements):
            var values: [JSONValue] = []
            for element in elements { values.append(try element.resolved(resolve)) }
            return .array(values)
        case .object(let members):
            var values: [String: JSONValue] = [:]
            for member in members { values[member.key] = try member.value.resolved(resolve) }
            return .object(values)
        }
    }

    /// Whole numbers without a fraction ("42", not "42.0").
    static func text(of number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
    }

    static func quoted(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
