import Foundation

/// The JSON conventions of every file Strain writes: sorted keys so output is diffable and
/// stable, and ISO-8601 UTC dates with millisecond fractions.
enum JSONFormat {
    private static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let wholeSecondDateStyle = Date.ISO8601FormatStyle()

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dateStyle))
        }
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            // Accept hand-written dates without a fraction too.
            if let date = (try? dateStyle.parse(text)) ?? (try? wholeSecondDateStyle.parse(text)) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an ISO-8601 date like 2024-05-01T12:00:00.000Z, found '\(text)'")
        }
        return decoder
    }

    /// Says what is wrong with `data` in words, with the key path or the line and column.
    static func describe(_ error: DecodingError, in data: Data) -> String {
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
        }
        return "invalid JSON"
    }
}
