/// A 1-based line and column in the profile text; columns count Unicode scalars.
struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    let line: Int
    let column: Int

    var description: String { "\(line):\(column)" }
}

/// Where each key and value of a JSON5 document was written, by key path, and the order of each object's keys.
/// `JSONDecoder` keeps neither, and errors need both: a position to point at and a stable "first problem".
struct SourceMap {
    fileprivate(set) var keyPositions: [ProfilePath: SourcePosition] = [:]
    fileprivate(set) var valuePositions: [ProfilePath: SourcePosition] = [:]
    fileprivate(set) var memberOrder: [ProfilePath: [String]] = [:]
    /// The first value JSON5 allows and Foundation's reader refuses, and why: a string holding NUL or
    /// a lone UTF-16 surrogate, a number past a Double.
    fileprivate(set) var firstRefusedValue: (path: ProfilePath, position: SourcePosition, why: String)?

    /// The key or value at `path`, else the nearest enclosing value that was seen.
    func position(of path: ProfilePath, at anchor: ProfileError.Anchor) -> SourcePosition? {
        if anchor == .key, let position = keyPositions[path] {
            return position
        }
        var current: ProfilePath? = path
        while let candidate = current {
            if let position = valuePositions[candidate] {
                return position
            }
            current = candidate.parent
        }
        return nil
    }

    /// The keys of the object at `path` in the order they were written.
    func keys(of path: ProfilePath) -> [String]? {
        memberOrder[path]
    }
}

/// Scans JSON5 text (comments, single- and double-quoted strings, unquoted keys, trailing commas, hex numbers,
/// Infinity/NaN) into a `SourceMap`. It also reports the first syntax error with its position, because
/// Foundation's JSON5 errors carry none, and duplicate keys, which Foundation silently collapses. Where the
/// JSON5 spec and Foundation's reader differ (unknown escapes, `\0`, exotic whitespace), it follows Foundation.
enum SourceLocator {
    struct Failure: Error {
        let position: SourcePosition
        let message: String
        /// Set for a duplicate key; syntax errors belong to the document as a whole.
        let keyPath: ProfilePath?
    }

    /// What a profile is, for an empty file.
    static let profileExample = #"an object like { name: "…", scenarios: [ … ] }"#

    /// `expected` says what the document should be, for an empty file.
    static func map(_ text: String, expected: String = profileExample) throws(Failure) -> SourceMap {
        var scanner = Scanner(text, expected: expected)
        try scanner.document()
        return scanner.map
    }

    /// Whether Foundation's JSON5 reader takes a number literal the grammar accepts: within a Double
    /// (a hexadecimal one within 64 bits, and held exactly by a Double: 0x20000000000001 is refused).
    static func foundationReads(number literal: String) -> Bool {
        let unsigned = literal.hasPrefix("+") || literal.hasPrefix("-") ? String(literal.dropFirst()) : literal
        if unsigned == "Infinity" || unsigned == "NaN" { return true }
        if unsigned.lowercased().hasPrefix("0x") {
            return UInt64(unsigned.dropFirst(2), radix: 16).map { Double(exactly: $0) != nil } ?? false
        }
        return Double(unsigned)?.isFinite == true
    }
}

private struct Scanner {
    let bytes: [UInt8]
    /// What the document should be, said when the file is empty.
    let expected: String
    /// Offsets at which lines start; "\n", "\r\n" and "\r" end a line.
    let lineStarts: [Int]
    var offset = 0
    var map = SourceMap()
    /// The last position recorded, so the next one on the same line counts its column from there:
    /// counting from the line start every time is quadratic on a long single-line profile.
    var lastRecorded = (offset: 0, position: SourcePosition(line: 1, column: 1))

    static let literals: Set<String> = ["true", "false", "null", "Infinity", "NaN"]

    /// The first `\u` escape in the string being read that Foundation refuses (`\u0000`, a lone surrogate).
    var refusedEscape: String?

    init(_ text: String, expected: String) {
        self.expected = expected
        bytes = Array(text.utf8)
        var starts = [0]
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                index += 1
            }
            if bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r") {
                starts.append(index + 1)
            }
            index += 1
        }
        lineStarts = starts
    }

    // MARK: Grammar

    mutating func document() throws(SourceLocator.Failure) {
        try skipTrivia()
        guard current != nil else {
            throw failure("the file is empty; expected \(expected)")
        }
        try value(at: .root)
        try skipTrivia()
        if current != nil {
            throw failure("unexpected \(found()) after the end of the document")
        }
    }

    mutating func value(at path: ProfilePath) throws(SourceLocator.Failure) {
        guard let byte = current else {
            throw failure("unexpected end of the file; expected a value")
        }
        map.valuePositions[path] = recordedPosition(of: offset)
        switch byte {
        case UInt8(ascii: "{"):
            try object(at: path)
        case UInt8(ascii: "["):
            try array(at: path)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            refusedEscape = nil
            _ = try string()
            if let refusedEscape { noteRefused(at: path, "a string with the escape \(refusedEscape)") }
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            let start = offset
            try number()
            let literal = String(decoding: bytes[start..<offset], as: UTF8.self)
            if !SourceLocator.foundationReads(number: literal) { noteRefused(at: path, "the number \(literal)") }
        case _ where Self.isIdentifierStart(byte):
            let start = offset
            let word = try identifier()
            guard Self.literals.contains(word) else {
                throw failure("unquoted text \(word); text values need quotes, like \"\(word)\"", at: start)
            }
        default:
            throw failure("expected a value, found \(found())")
        }
    }

    mutating func object(at path: ProfilePath) throws(SourceLocator.Failure) {
        let open = offset
        offset += 1
        var firstSeen: [String: SourcePosition] = [:]
        var order: [String] = []
        while true {
            try skipTrivia()
            guard let byte = current else { throw unclosed("{", openedAt: open) }
            if byte == UInt8(ascii: "}") {
                offset += 1
                break
            }
            let keyStart = offset
            let key: String
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                key = try string()
            } else if Self.isIdentifierStart(byte) {
                key = try identifier()
            } else {
                throw failure("expected a key (a name or a quoted string) or \"}\", found \(found())")
            }
            let keyPosition = recordedPosition(of: keyStart)
            let memberPath = path.appending(key)
            if let first = firstSeen[key] {
                throw SourceLocator.Failure(position: keyPosition, message: "duplicate key \"\(key)\" (first set at \(first))",
                                            keyPath: memberPath)
            }
            firstSeen[key] = keyPosition
            order.append(key)
            map.keyPositions[memberPath] = keyPosition
            try skipTrivia()
            guard current == UInt8(ascii: ":") else {
                throw failure("expected \":\" after the key \"\(key)\", found \(found())")
            }
            offset += 1
            try skipTrivia()
            try value(at: memberPath)
            try skipTrivia()
            if current == UInt8(ascii: ",") {
                offset += 1
            } else if current == UInt8(ascii: "}") {
                offset += 1
                break
            } else if current == nil {
                throw unclosed("{", openedAt: open)
            } else {
                throw failure("expected \",\" or \"}\" after the value of \"\(key)\", found \(found())")
            }
        }
        map.memberOrder[path] = order
    }

    mutating func array(at path: ProfilePath) throws(SourceLocator.Failure) {
        let open = offset
        offset += 1
        var index = 0
        while true {
            try skipTrivia()
            guard let byte = current else { throw unclosed("[", openedAt: open) }
            if byte == UInt8(ascii: "]") {
                offset += 1
                return
            }
            try value(at: path.appending(index))
            index += 1
            try skipTrivia()
            if current == UInt8(ascii: ",") {
                offset += 1
            } else if current == UInt8(ascii: "]") {
                offset += 1
                return
            } else if current == nil {
                throw unclosed("[", openedAt: open)
            } else {
                throw failure("expected \",\" or \"]\" after an array element, found \(found())")
            }
        }
    }

    /// Reads a quoted string and returns its decoded text (keys must match the decoded names).
    mutating func string() throws(SourceLocator.Failure) -> String {
        let start = offset
        let quote = bytes[offset]
        offset += 1
        var decoded: [UInt8] = []
        while true {
            guard let byte = current, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw failure("unterminated string; it needs a closing \(quote == UInt8(ascii: "'") ? "'" : "\"") on the same line", at: start)
            }
            if byte < 0x20 {
                throw failure("control character in a string; write it as an escape like \\t")
            }
            offset += 1
            if byte == quote {
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try escape(into: &decoded)
            } else {
                decoded.append(byte)
            }
        }
    }

    mutating func escape(into decoded: inout [UInt8]) throws(SourceLocator.Failure) {
        guard let byte = current else {
            throw failure("unexpected end of the file inside a string")
        }
        offset += 1
        switch byte {
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "v"): decoded.append(0x0B)
        case UInt8(ascii: "x"): decoded.append(contentsOf: Array(String(try hexScalar(digits: 2)).utf8))
        case UInt8(ascii: "u"): decoded.append(contentsOf: Array(String(try unicodeEscape()).utf8))
        case UInt8(ascii: "\r"):
            // A backslash before a line break continues the string on the next line.
            if current == UInt8(ascii: "\n") { offset += 1 }
        case UInt8(ascii: "\n"):
            break
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            decoded.append(byte)
        default:
            offset -= 1
            let escaped = found()
            offset -= 1
            throw failure("invalid escape: a backslash followed by \(escaped); write \\\\ for a backslash")
        }
    }

    /// The four hex digits after `\u`, joining a UTF-16 surrogate pair written as two escapes.
    mutating func unicodeEscape() throws(SourceLocator.Failure) -> Character {
        let start = offset - 2
        let high = try hexValue(digits: 4)
        if (0xD800...0xDBFF).contains(high), bytes[offset...].starts(with: Array("\\u".utf8)) {
            let resume = offset
            offset += 2
            let low = try hexValue(digits: 4)
            if (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) {
                return Character(scalar)
            }
            offset = resume
        }
        if high == 0 || (0xD800...0xDFFF).contains(high) {
            refusedEscape = refusedEscape ?? String(decoding: bytes[start..<offset], as: UTF8.self)
        }
        return Character(Unicode.Scalar(high) ?? "\u{FFFD}")
    }

    private mutating func noteRefused(at path: ProfilePath, _ what: String) {
        guard map.firstRefusedValue == nil, let position = map.valuePositions[path] else { return }
        map.firstRefusedValue = (path, position, what)
    }


    mutating func hexScalar(digits: Int) throws(SourceLocator.Failure) -> Character {
        Character(Unicode.Scalar(try hexValue(digits: digits)) ?? "\u{FFFD}")
    }

    mutating func hexValue(digits: Int) throws(SourceLocator.Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = current, let digit = Self.hexDigit(byte) else {
                throw failure("invalid escape: expected \(digits) hex digits, found \(found())")
            }
            value = value * 16 + digit
            offset += 1
        }
        return value
    }

    /// An unquoted key or literal word. JSON5 allows `\uXXXX` escapes in one, as JavaScript does, but
    /// Foundation's reader keeps them as written (`n\u0061me` would be another key than `name`): refused.
    mutating func identifier() throws(SourceLocator.Failure) -> String {
        let start = offset
        while let byte = current, Self.isIdentifierPart(byte) {
            if byte == UInt8(ascii: "\\") {
                throw failure("a backslash escape in an unquoted name, which would not be decoded; "
                              + "write the name in quotes (\"n\\u0061me\" is \"name\") or without the escape")
            }
            offset += 1
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    mutating func number() throws(SourceLocator.Failure) {
        let start = offset
        if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
        if let byte = current, Self.isIdentifierStart(byte) {
            let word = try identifier()
            guard word == "Infinity" || word == "NaN" else { throw invalidNumber(from: start) }
            return
        }
        if current == UInt8(ascii: "0"), offset + 1 < bytes.count, bytes[offset + 1] | 0x20 == UInt8(ascii: "x") {
            offset += 2
            guard skipDigits(where: { Self.hexDigit($0) != nil }) > 0 else { throw invalidNumber(from: start) }
        } else {
            let integerStart = offset
            var digits = skipDigits(where: Self.isDigit)
            if digits > 1, bytes[integerStart] == UInt8(ascii: "0") {
                throw failure("invalid number \(String(decoding: bytes[start..<offset], as: UTF8.self)); numbers cannot start with 0", at: start)
            }
            if current == UInt8(ascii: ".") {
                offset += 1
                digits += skipDigits(where: Self.isDigit)
            }
            guard digits > 0 else { throw invalidNumber(from: start) }
            if let byte = current, byte | 0x20 == UInt8(ascii: "e") {
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard skipDigits(where: Self.isDigit) > 0 else { throw invalidNumber(from: start) }
            }
        }
        if let byte = current, Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") {
            throw invalidNumber(from: start)
        }
    }

    mutating func skipDigits(where isDigit: (UInt8) -> Bool) -> Int {
        let start = offset
        while let byte = current, isDigit(byte) { offset += 1 }
        return offset - start
    }

    /// Whitespace, a byte order mark, and comments.
    mutating func skipTrivia() throws(SourceLocator.Failure) {
        while let byte = current {
            if [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(byte) {
                offset += 1
            } else if bytes[offset...].starts(with: [0xEF, 0xBB, 0xBF]) {
                offset += 3
            } else if bytes[offset...].starts(with: Array("//".utf8)) {
                while let next = current, next != 0x0A, next != 0x0D { offset += 1 }
            } else if bytes[offset...].starts(with: Array("/*".utf8)) {
                let start = offset
                offset += 2
                while offset < bytes.count, !bytes[offset...].starts(with: Array("*/".utf8)) { offset += 1 }
                guard offset < bytes.count else {
                    throw failure("unterminated comment; it needs a closing */", at: start)
                }
                offset += 2
            } else {
                return
            }
        }
    }

    // MARK: Characters and positions

    var current: UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// ASCII letters, `$`, `_`, a `\u` escape, or any non-ASCII byte (JSON5 allows Unicode letters in names).
    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "$")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "\\") || byte >= 0x80
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }

    /// `position(of:)` for the keys and values the map records, which come in document order.
    mutating func recordedPosition(of offset: Int) -> SourcePosition {
        let last = lastRecorded
        let position: SourcePosition
        if offset >= last.offset, offset < lineStart(after: last.position.line) {
            position = SourcePosition(line: last.position.line, column: last.position.column + scalarCount(last.offset..<offset))
        } else {
            position = self.position(of: offset)
        }
        lastRecorded = (offset, position)
        return position
    }

    /// Where the line after `line` (1-based) starts, or the end of the text.
    private func lineStart(after line: Int) -> Int {
        line < lineStarts.count ? lineStarts[line] : bytes.count + 1
    }

    /// Unicode scalars in a byte range: UTF-8 continuation bytes (10xxxxxx) do not start one.
    private func scalarCount(_ range: Range<Int>) -> Int {
        bytes[range.clamped(to: 0..<bytes.count)].reduce(0) { count, byte in byte & 0xC0 == 0x80 ? count : count + 1 }
    }

    func position(of offset: Int) -> SourcePosition {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourcePosition(line: low + 1, column: 1 + scalarCount(lineStarts[low]..<offset))
    }

    /// The character at the current offset, quoted, for "found …".
    func found() -> String {
        guard offset < bytes.count else { return "the end of the file" }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'\(String(decoding: bytes[offset..<end], as: UTF8.self))'"
    }

    func failure(_ message: String, at errorOffset: Int? = nil) -> SourceLocator.Failure {
        SourceLocator.Failure(position: position(of: errorOffset ?? offset), message: message, keyPath: nil)
    }

    func unclosed(_ bracket: String, openedAt open: Int) -> SourceLocator.Failure {
        failure("this \"\(bracket)\" is never closed (reached the end of the file)", at: open)
    }

    func invalidNumber(from start: Int) -> SourceLocator.Failure {
        var end = offset
        while end < bytes.count, Self.isIdentifierPart(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        return failure("invalid number \(text); text values need quotes, like \"\(text)\"", at: start)
    }
}
