import Foundation

/// Any JSON value. The profile is first decoded into this tree (by `JSONDecoder` with JSON5 allowed)
/// and then read into typed values with precise errors. Drivers can decode response bodies into it
/// to evaluate `JSONPath`s and `json` checks.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// A string holding a control character a header value cannot carry (RFC 9110: any but tab, DEL
    /// included); CR and LF would end the header and start another.
    var stringContainsHeaderControl: Bool {
        guard case .string(let text) = self else { return false }
        return Self.hasHeaderControl(text)
    }

    static func hasHeaderControl(_ text: String) -> Bool {
        text.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    /// How the value reads in "expected …, found <this>".
    var foundDescription: String {
        switch self {
        case .null: "null"
        case .bool(let bool): "boolean \(bool)"
        case .number(let number): "number \(QuantityText.number(number))"
        case .string(let string): "\"\(string)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A path into a JSON document: `$`, `$.token`, `$.items[0].id`, `$["content-type"]`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let components: [Component]
    /// The path as written in the profile.
    public let description: String

    static let expectedForm = #"a JSON path like "$.token" or "$.items[0].id""#

    public init(parsing text: String) throws(ValueError) {
        let scalars = Array(text.unicodeScalars)
        let invalid = ValueError("expected \(Self.expectedForm), found \"\(text)\"")
        guard scalars.first == "$" else { throw invalid }
        var components: [Component] = []
        var index = 1
        while index < scalars.count {
            if scalars[index] == "." {
                index += 1
                let start = index
                while index < scalars.count, scalars[index] != ".", scalars[index] != "[" { index += 1 }
                guard index > start else { throw invalid }
                components.append(.key(String(String.UnicodeScalarView(scalars[start..<index]))))
            } else if scalars[index] == "[" {
                guard let close = scalars[index...].firstIndex(of: "]") else { throw invalid }
                let inner = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
                if let position = Int(inner), position >= 0 {
                    components.append(.index(position))
                } else if inner.count >= 2, let quote = inner.first, quote == "'" || quote == "\"", inner.last == quote {
                    components.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw invalid
                }
                index = close + 1
            } else {
                throw invalid
            }
        }
        self.components = components
        self.description = text
    }

    /// The value the path points at, or nil when a key or index is missing.
    public func evaluate(in document: JSONValue) -> JSONValue? {
        var current = document
        for component in components {
            switch (component, current) {
            case (.key(let key), .object(let members)):
                guard let next = members[key] else { return nil }
                current = next
            case (.index(let position), .array(let elements)):
                guard elements.indices.contains(position) else { return nil }
                current = elements[position]
            default:
                return nil
            }
        }
        return current
    }
}
