import StrainPQ

/// SQL text cut at its `$n` placeholders, so the simple query protocol can send it with the
/// parameters written in as quoted literals (what `pgbench -M simple` does with its variables).
///
/// The cut follows PostgreSQL's lexical rules: a `$n` inside a string literal, a quoted
/// identifier, a dollar-quoted string or a comment is text, and so is one that ends an identifier
/// (`price$1`). Plain '…' strings are read with `standard_conforming_strings` on (the default
/// since PostgreSQL 9.1); whatever the setting, the literals written in are safe, see `quoted`.
struct InlinedSQL: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case text(String)
        /// `$n`, stored 0-based.
        case parameter(Int)
    }

    let pieces: [Piece]

    init(_ sql: String) {
        let bytes = Array(sql.utf8)
        var pieces: [Piece] = []
        var textStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let followsWord = index > 0 && Self.isIdentifierByte(bytes[index - 1])
            switch byte {
            case UInt8(ascii: "'"):
                let backslashEscapes = index > 0 && (bytes[index - 1] | 0x20) == UInt8(ascii: "e")
                    && !(index > 1 && Self.isIdentifierByte(bytes[index - 2]))
                index = Self.end(ofQuoted: bytes, from: index, backslashEscapes: backslashEscapes)
            case UInt8(ascii: "\""):
                index = Self.end(ofQuoted: bytes, from: index, backslashEscapes: false)
            case UInt8(ascii: "-") where Self.byte(bytes, index + 1) == UInt8(ascii: "-"):
                index = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            case UInt8(ascii: "/") where Self.byte(bytes, index + 1) == UInt8(ascii: "*"):
                index = Self.end(ofBlockComment: bytes, from: index)
            case UInt8(ascii: "$") where !followsWord && Self.isDigit(Self.byte(bytes, index + 1)):
                var end = index + 1
                while Self.isDigit(Self.byte(bytes, end)) { end += 1 }
                let number = Int(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)) ?? 0
                if number >= 1 {
                    if textStart < index { pieces.append(.text(String(decoding: bytes[textStart..<index], as: UTF8.self))) }
                    pieces.append(.parameter(number - 1))
                    textStart = end
                }
                index = end
            case UInt8(ascii: "$") where !followsWord:
                index = Self.end(ofDollarQuoted: bytes, from: index)
            default:
                index += 1
            }
        }
        if textStart < bytes.count { pieces.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        self.pieces = pieces
    }

    /// The SQL with each `$n` replaced by `parameters[n - 1]` as a quoted literal (nil: NULL).
    func text(with parameters: [String?]) throws(PostgresError) -> String {
        var text = ""
        for piece in pieces {
            switch piece {
            case .text(let literal):
                text += literal
            case .parameter(let index):
                guard let value = parameters[index] else {
                    text += "NULL"
                    continue
                }
                guard !value.utf8.contains(0) else {
                    throw PostgresError(message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text values cannot hold")
                }
                text += Self.quoted(value)
            }
        }
        return text
    }

    /// `value` as an SQL string literal, the way libpq's `PQescapeLiteral` writes it: quotes
    /// doubled, and when there are backslashes an `E'…'` literal with them doubled too, so the
    /// result reads the same whether `standard_conforming_strings` is on or off. The leading
    /// space keeps an `E` from joining a word written just before the placeholder.
    ///
    /// This is safe only when the connection's client encoding is UTF-8 or another encoding in
    /// which no multibyte character contains the bytes of `'` or `\` (the session checks that).
    static func quoted(_ value: String) -> String {
        let quotesDoubled = value.replacing("'", with: "''")
        guard value.contains("\\") else { return "'\(quotesDoubled)'" }
        return " E'\(quotesDoubled.replacing("\\", with: "\\\\"))'"
    }

    /// Client encodings in which a multibyte character can contain the byte of `'` or `\`
    /// (PostgreSQL refuses them as server encodings for the same reason).
    static let unsafeClientEncodings: Set<String> = ["SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030"]

    // MARK: Lexing

    private static func byte(_ bytes: [UInt8], _ index: Int) -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private static func isDigit(_ byte: UInt8?) -> Bool {
        byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
    }

    /// Letters, digits, `_`, `$` and any non-ASCII byte can continue an identifier.
    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$") || isDigit(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// The index after the closing quote of a '…' or "…" starting at `start`; a doubled quote is
    /// part of the text, and in E'…' strings so is a quote after a backslash.
    private static func end(ofQuoted bytes: [UInt8], from start: Int, backslashEscapes: Bool) -> Int {
        let quote = bytes[start]
        var index = start + 1
        while index < bytes.count {
            if backslashEscapes, bytes[index] == UInt8(ascii: "\\") {
                index += 2
            } else if bytes[index] == quote {
                guard byte(bytes, index + 1) == quote else { return index + 1 }
                index += 2
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// The index after the `*/` closing the comment at `start`; PostgreSQL's block comments nest.
    private static func end(ofBlockComment bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), byte(bytes, index + 1) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*"), byte(bytes, index + 1) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// After a `$tag$…$tag$` string starting at `start`, or just past the `$` when it does not
    /// open one.
    private static func end(ofDollarQuoted bytes: [UInt8], from start: Int) -> Int {
        var tagEnd = start + 1
        while let next = byte(bytes, tagEnd), next != UInt8(ascii: "$") {
            guard isIdentifierByte(next) else { return start + 1 }
            tagEnd += 1
        }
        guard tagEnd < bytes.count else { return start + 1 }
        let tag = bytes[start...tagEnd]
        var index = tagEnd + 1
        while index + tag.count <= bytes.count {
            if bytes[index..<(index + tag.count)].elementsEqual(tag) { return index + tag.count }
            index += 1
        }
        return bytes.count
    }
}
