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

    /// Says what is wrong with `data`, read as `type`, in words, with the key path or the line and column.
    public static func describe<Value: Decodable>(_ error: DecodingError, in data: Data, decoding type: Value.Type) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(keyPath(context.codingPath))"
            return "missing key '\(key.stringValue)'\(parent)"
        case .typeMismatch(_, let context):
            return "wrong type at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        case .valueNotFound(_, let context):
            return "missing value at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return describeSyntaxError(in: data) ?? describeUnfitNumber(in: data, decoding: type)
        case .dataCorrupted(let context):
            return "invalid value at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    /// `json` with every control character `TerminalText` would escape (C1, DEL, bidirectional
    /// overrides; the encoder already escapes C0) written as a `\uXXXX` escape: the same JSON, safe to
    /// print on a terminal. Outside strings JSON holds none of them, so only strings change.
    public static func terminalSafe(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: TerminalText.isControl) else { return json }
        var safe = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if TerminalText.isControl(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                safe.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).unicodeScalars)
            } else {
                safe.append(scalar)
            }
        }
        return String(safe)
    }

    /// "scenarios[0].steps[2].latency" for a decoder's coding path.
    public static func keyPath(_ codingPath: [any CodingKey]) -> String {
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
    /// Nil when the syntax is valid.
    private static func describeSyntaxError(in data: Data) -> String? {
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "the file is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            if let match = detail.firstMatch(of: /character (\d+)/), let offset = Int(match.1) {
                let position = lineAndColumn(ofByteOffset: offset, in: data)
                // A single-line document (an NDJSON record) has columns only.
                guard data.contains(UInt8(ascii: "\n")) else { return "invalid JSON around column \(position.column)" }
                return "invalid JSON around line \(position.line), column \(position.column)"
            }
            return detail.isEmpty ? "invalid JSON" : "invalid JSON: \(detail)"
        }
    }

    /// Valid JSON that did not decode: Foundation on Linux reports a number its key's type cannot
    /// hold (a negative or fractional count, a whole number past 64 bits) without saying which. The
    /// suspects are the negative, fractional and huge numbers, in document order; the fewest of the
    /// first ones that must be set to 0 for every number to fit is found by bisection, and the last of
    /// them is the culprit (with several, the last one: the others follow once it is fixed). A 0 may
    /// break another rule of the document (a histogram's max below its min): only the unfit-number
    /// failure counts, so such a culprit is still named.
    private static func describeUnfitNumber<Value: Decodable>(in data: Data, decoding type: Value.Type) -> String {
        let unknown = "a number does not fit its key's type (e.g. a negative or fractional count, or a whole number past 64 bits)"
        guard let document = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return unknown }
        var suspects: [(path: [JSONPathComponent], number: NSNumber)] = []
        collectSuspects(in: document, at: [], into: &suspects)
        let decoder = decoder()
        func numbersFit(withFirst count: Int) -> Bool {
            let patched = suspects.prefix(count).reduce(document) { replacing($1.path[...], in: $0, with: NSNumber(value: 0)) }
            guard let patchedData = try? JSONSerialization.data(withJSONObject: patched, options: .fragmentsAllowed) else { return false }
            do {
                _ = try decoder.decode(type, from: patchedData)
                return true
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                return false
            } catch {
                return true
            }
        }
        guard !suspects.isEmpty, numbersFit(withFirst: suspects.count) else { return unknown }
        var low = 0, high = suspects.count // every number fits with the first `high` set, not with the first `low`
        while high - low > 1 {
            let middle = (low + high) / 2
            if numbersFit(withFirst: middle) { high = middle } else { low = middle }
        }
        let culprit = suspects[high - 1]
        return "invalid value at '\(keyPath(culprit.path))': \(culprit.number.stringValue) (the number does not fit its key's type)"
    }

    private enum JSONPathComponent: CodingKey {
        case index(Int)
        case name(String)

        var stringValue: String {
            switch self {
            case .index(let index): "\(index)"
            case .name(let name): name
            }
        }
        var intValue: Int? { if case .index(let index) = self { index } else { nil } }
        init?(stringValue: String) { self = .name(stringValue) }
        init?(intValue: Int) { self = .index(intValue) }
    }

    private static func collectSuspects(in value: Any, at path: [JSONPathComponent], into suspects: inout [(path: [JSONPathComponent], number: NSNumber)]) {
        switch value {
        case let number as NSNumber:
            let double = number.doubleValue
            if double < 0 || double != double.rounded() || abs(double) >= 9_223_372_036_854_775_808 { suspects.append((path, number)) }
        case let array as [Any]:
            for (index, element) in array.enumerated() { collectSuspects(in: element, at: path + [.index(index)], into: &suspects) }
        case let object as [String: Any]:
            for key in object.keys.sorted() { collectSuspects(in: object[key]!, at: path + [.name(key)], into: &suspects) }
        default:
            break
        }
    }

    private static func replacing(_ path: ArraySlice<JSONPathComponent>, in value: Any, with replacement: Any) -> Any {
        guard let first = path.first else { return replacement }
        switch (first, value) {
        case (.index(let index), var array as [Any]) where array.indices.contains(index):
            array[index] = replacing(path.dropFirst(), in: array[index], with: replacement)
            return array
        case (.name(let name), var object as [String: Any]) where object[name] != nil:
            object[name] = replacing(path.dropFirst(), in: object[name]!, with: replacement)
            return object
        default:
            return value
        }
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
