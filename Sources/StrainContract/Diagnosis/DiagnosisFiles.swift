import Foundation

/// `diagnosis.json`, `evidence.json` and the other JSON files of a run folder besides `run.json`:
/// written with the one codec (`JSONFormat`), replaced atomically, read with errors naming the file.
public enum DiagnosisJSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        var data = try JSONFormat.encoder(pretty: true).encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        try JSONFormat.decoder().decode(type, from: data)
    }

    /// Writes `value` as JSON to `url` atomically.
    public static func write<Value: Encodable>(_ value: Value, to url: URL) throws {
        try AtomicFile.write(try encode(value), to: url)
    }

    /// Reads an evidence file, refusing one whose values no collector writes (see `Evidence.problem`).
    public static func readEvidence(from url: URL) throws -> Evidence {
        let evidence = try read(Evidence.self, from: url)
        if let problem = evidence.problem { throw DiagnosisFileError(path: url.path, reason: problem) }
        return evidence
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
            throw DiagnosisFileError(path: path, reason: JSONFormat.describe(error, in: data, decoding: type))
        } catch {
            throw DiagnosisFileError(path: path, reason: String(describing: error))
        }
    }
}

/// A diagnosis or evidence file that could not be read.
public struct DiagnosisFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public var description: String { "\(path): \(reason)" }
}
