import Foundation

/// The one JSON codec of every file Strain writes: sorted keys so output is diffable and stable, and
/// ISO-8601 UTC dates with exactly millisecond fractions, which a round trip keeps to the millisecond.
public enum JSONFormat {
    private static let wholeSecondDateStyle = Date.ISO8601FormatStyle()

    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(text(of: date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an ISO-8601 date like 2024-05-01T12:00:00.000Z, found '\(text)'")
            }
            return date
        }
        return decoder
    }

    /// "2024-05-01T12:00:03.123Z", from whole milliseconds: Foundation's fractional format style
    /// truncates, and a date read as ".123" is a hair below it in binary, so it wrote ".122" back.
    public static func text(of date: Date) -> String {
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (millis / 1000).rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds).formatted(wholeSecondDateStyle)
        return whole.dropLast() + String(format: ".%03dZ", Int(millis - seconds * 1000))
    }

    /// The date of ISO-8601 text with or without a fraction (hand-written files have none), built
    /// from whole milliseconds so that `text(of:)` gives back the same text.
    public static func date(from text: String) -> Date? {
        var wholeSecondText = text
        var millis = 0.0
        if let match = text.firstMatch(of: /\.(\d{1,9})(?=Z|[+-]\d\d:?\d\d$)/) {
            let digits = match.1.padding(toLength: 9, withPad: "0", startingAt: 0)
            millis = (Double(digits)! / 1e6).rounded()
            wholeSecondText.removeSubrange(match.range)
        }
        guard let whole = try? wholeSecondDateStyle.parse(wholeSecondText) else { return nil }
        return Date(timeIntervalSince1970: (whole.timeIntervalSince1970 * 1000 + millis) / 1000)
    }

    /// Says what is wrong with `data` in words, with the key path or the line and column.
    public static func describe(_ error: DecodingError, in data: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(keyPath(context.codingPath))"
            return "missing key '\(key.stringValue)'\(parent)"
        case .typeMismatch(_, let context):
            return "wrong type at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        case .valueNotFound(_, let context):
            return "missing value at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return describeSyntaxError(in: data)
        case .dataCorrupted(let context):
            return "invalid value at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    /// "scenarios[0].steps[2].latency" for a decoder's coding path.
    static func keyPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "top level" : path
    }

    /// 1-based line and column of a byte offset.
    static func lineAndColumn(ofByteOffset offset: Int, in data: Data) -> (line: Int, column: Int) {
        let before = data.prefix(Swift.max(0, offset))
        let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? data.startIndex
        return (line, before.endIndex - lineStart + 1)
    }

    /// JSONDecoder on Linux only says "not valid JSON"; JSONSerialization reports the byte offset.
    private static func describeSyntaxError(in data: Data) -> String {
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "the file is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            if let match = detail.firstMatch(of: /character (\d+)/), let offset = Int(match.1) {
                let position = lineAndColumn(ofByteOffset: offset, in: data)
                // A single-line document (an NDJSON record) has columns only.
                guard data.contains(UInt8(ascii: "\n")) else { return "invalid JSON around column \(position.column)" }
                return "invalid JSON around line \(position.line), column \(position.column)"
            }
            if !detail.isEmpty { return "invalid JSON: \(detail)" }
            return "invalid JSON"
        }
        // Valid JSON that did not decode: Foundation on Linux reports a number that does not fit its
        // key's type (a negative or fractional count, one past UInt64) without saying where.
        guard let document = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed),
              let suspect = firstNegativeOrHugeNumber(in: document, at: []) else {
            return "a number does not fit its key's type (a count must be a whole number from 0 to 2^64 - 1)"
        }
        return "invalid value at '\(suspect.path)': \(suspect.number) (a count must be a whole number from 0 to 2^64 - 1)"
    }

    /// The first number below 0 or past UInt64.max in a parsed document, with its key path (a boolean,
    /// an NSNumber too, is 0 or 1 and never one).
    private static func firstNegativeOrHugeNumber(in value: Any, at path: [any CodingKey]) -> (path: String, number: String)? {
        switch value {
        case let number as NSNumber:
            let double = number.doubleValue
            return double < 0 || double >= 18_446_744_073_709_551_616 ? (keyPath(path), number.stringValue) : nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = firstNegativeOrHugeNumber(in: element, at: path + [IndexKey(index)]) { return found }
            }
            return nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = firstNegativeOrHugeNumber(in: object[key]!, at: path + [NameKey(key)]) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    private struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue!)" }
        init(_ index: Int) { intValue = index }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    private struct NameKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Foundation's JSON readers recurse once per nested array or object, so a small file nested a few
/// thousand deep overflows the stack and kills the process. Every untrusted document (profiles, run
/// files, response bodies) is first scanned here, in linear time and constant space.
public enum JSONNesting {
    /// Far deeper than any profile or run file needs (they nest fewer than 10 deep).
    public static let limit = 64

    /// Where a document first opens more than `limit` arrays and objects inside each other: its byte
    /// offset, and line and column (1-based; columns count Unicode scalars). Nil when it never does.
    /// Understands JSON5 too: both quote styles, escapes and comments, so brackets in them are ignored.
    public static func firstTooDeep(in bytes: some Sequence<UInt8>) -> (offset: Int, line: Int, column: Int)? {
        var context = ScanContext.code
        var depth = 0
        var line = 1, column = 0
        // A "/" in code that may start a comment with the next byte.
        var slashPending = false
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            switch context {
            case .code where slashPending && (byte == UInt8(ascii: "/") || byte == UInt8(ascii: "*")):
                slashPending = false
                context = byte == UInt8(ascii: "/") ? .lineComment : .blockComment
            case .code:
                slashPending = byte == UInt8(ascii: "/")
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if depth > limit { return (offset, line, column) }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth = max(0, depth - 1)
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    context = .string(byte)
                default:
                    break
                }
            case .string(let quote):
                if byte == UInt8(ascii: "\\") { context = .escape(quote) } else if byte == quote { context = .code }
            case .escape(let quote):
                context = .string(quote)
            case .lineComment:
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { context = .code }
            case .blockComment:
                if byte == UInt8(ascii: "*") { context = .blockCommentStar }
            case .blockCommentStar:
                context = byte == UInt8(ascii: "/") ? .code : byte == UInt8(ascii: "*") ? .blockCommentStar : .blockComment
            }
        }
        return nil
    }

    private enum ScanContext { case code, string(UInt8), escape(UInt8), lineComment, blockComment, blockCommentStar }

    /// The message for a document nested too deep.
    public static let message = "arrays and objects are nested more than \(limit) deep"
}
