import StrainContract

/// Where a value sits in the profile document, e.g. `scenarios[1].load.rate`.
public struct ProfilePath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public private(set) var components: [Component]

    public static let root = ProfilePath(components: [])

    public init(components: [Component]) {
        self.components = components
    }

    public func appending(_ key: String) -> ProfilePath {
        ProfilePath(components: components + [.key(key)])
    }

    public func appending(_ index: Int) -> ProfilePath {
        ProfilePath(components: components + [.index(index)])
    }

    /// The enclosing path, or nil at the root.
    public var parent: ProfilePath? {
        components.isEmpty ? nil : ProfilePath(components: components.dropLast())
    }

    /// Identifier-like keys are joined with dots; anything else (header names, threshold keys, JSON paths)
    /// is written as `["…"]` so the path stays unambiguous.
    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key) where key.isIdentifier:
                text += text.isEmpty ? key : ".\(key)"
            case .key(let key):
                text += "[\"\(key)\"]"
            }
        }
        return text
    }
}

/// A profile that cannot be used, with enough context to fix it:
/// `profiles/x.json5:12:7: scenarios[1].load.rate: expected a rate like "200/s", found "fast"`.
/// The first problem in document order; `others` holds the rest found in the same pass.
public struct ProfileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The profile file as the user named it.
    public var file: String
    /// 1-based line and column (counted in Unicode scalars), when the position is known.
    public var line: Int?
    public var column: Int?
    /// The offending value; the root path for document-level problems (syntax errors, unreadable file).
    public var keyPath: ProfilePath
    public var message: String
    /// A likely intended spelling, rendered as `; did you mean "…"?`.
    public var suggestion: String?
    /// Whether the position should point at the key or at the value of `keyPath`.
    var anchor: Anchor
    /// The profile's other problems, in document order (empty on each of them).
    public var others: [ProfileError] = []

    enum Anchor: Equatable, Sendable {
        case key
        case value
    }

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: ProfilePath = .root,
                message: String, suggestion: String? = nil) {
        self.init(file: file, line: line, column: column, keyPath: keyPath,
                  message: message, suggestion: suggestion, anchor: .value)
    }

    init(file: String = "", line: Int? = nil, column: Int? = nil, keyPath: ProfilePath,
         message: String, suggestion: String? = nil, anchor: Anchor) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.suggestion = suggestion
        self.anchor = anchor
    }

    /// This problem and the others, one per line.
    public var description: String {
        ([self] + others).map(\.single).joined(separator: "\n")
    }

    /// Where the problem is, as far as known: "session.har:12:7: log.entries[3].request".
    public var place: String {
        var text = file
        if let line, let column {
            text += ":\(line):\(column)"
        }
        if !keyPath.components.isEmpty {
            text += ": \(keyPath)"
        }
        return text
    }

    /// This problem alone.
    private var single: String {
        var text = place + ": " + message
        if let suggestion {
            text += "; did you mean \"\(suggestion)\"?"
        }
        // Keys and values quoted from the file may hold line feeds: one problem stays one line.
        return TerminalText.oneLine(text)
    }
}

/// A value that does not parse (a duration, a rate, a template …), before it is tied to a place in a profile.
public struct ValueError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public var suggestion: String?

    /// One line: the text it quotes may hold line feeds.
    public init(_ message: String, suggestion: String? = nil) {
        self.message = TerminalText.oneLine(message)
        self.suggestion = suggestion
    }

    public var description: String {
        suggestion.map { "\(message); did you mean \"\($0)\"?" } ?? message
    }
}

extension String {
    /// Letters, digits, `_` and `$`, not starting with a digit: safe to print after a dot in a key path.
    var isIdentifier: Bool {
        guard let first = unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || $0.isASCIILetterOrDigit }
    }
}

extension Unicode.Scalar {
    var isASCIILetterOrDigit: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
