import Foundation
import StrainMetrics

/// `diagnosis.json` and `evidence.json`: stable JSON like every file Strain writes (sorted keys,
/// ISO-8601 UTC dates with milliseconds), replaced atomically.
public enum DiagnosisJSON {
    private static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dateStyle))
        }
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = try? dateStyle.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an ISO-8601 date like 2024-05-01T12:00:00.000Z, found '\(text)'")
            }
            return date
        }
        return try decoder.decode(type, from: data)
    }

    /// Writes `value` as JSON to `url` atomically.
    public static func write<Value: Encodable>(_ value: Value, to url: URL) throws {
        try AtomicFile.write(try encode(value), to: url)
    }

    /// Reads a file written by `write`; errors name the file and, for bad JSON, the key.
    public static func read<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> Value {
        let data: Data
        do {
            data = try InputFile.read(url.path, maxBytes: InputFile.maxRunFileBytes)
        } catch {
            throw DiagnosisFileError(path: url.path, reason: "cannot read the file (\(error.reason))")
        }
        return try decode(type, from: data, path: url.path)
    }

    /// Decodes a file's bytes that anyone may have written; `path` names it in errors.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data, path: String) throws(DiagnosisFileError) -> Value {
        if let tooDeep = JSONNesting.firstTooDeep(in: data) {
            throw DiagnosisFileError(path: path, reason: "\(JSONNesting.message) (line \(tooDeep.line), column \(tooDeep.column))")
        }
        do {
            return try decode(type, from: data)
        } catch let error as DecodingError {
            throw DiagnosisFileError(path: path, reason: describe(error))
        } catch {
            throw DiagnosisFileError(path: path, reason: String(describing: error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "top level" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}

/// A diagnosis or evidence file that could not be read.
public struct DiagnosisFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
