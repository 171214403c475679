import Foundation
import StrainContract

/// Reads, decodes and validates profiles. Problems come back as one `ProfileError` naming the file,
/// line:column, key path and what was expected, with the profile's other problems in `others`.
public enum ProfileLoader {
    /// Reads the profile at `path`; relative files it names (CSV feeders, bodies, certificates) are resolved
    /// against its folder. The text is kept in `Profile.source` so a run artifact can record exactly what ran.
    public static func load(path: String) throws(ProfileError) -> Profile {
        let data: Data
        do {
            data = try InputFile.read(path, maxBytes: Limits.profileBytes)
        } catch {
            let reason = error.errorNumber == ENOENT ? "no such file" : "cannot read the file: \(error.reason)"
            throw ProfileError(file: path, message: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(file: path, message: "the file is not UTF-8 text")
        }
        let file = URL(fileURLWithPath: path).standardizedFileURL
        return try decode(text, path: path, baseDirectory: file.deletingLastPathComponent(), absolutePath: file.path)
    }

    /// Decodes and validates profile text; `path` names it in errors and in `Profile.source`.
    public static func parse(_ text: String, path: String, baseDirectory: URL) throws(ProfileError) -> Profile {
        try decode(text, path: path, baseDirectory: baseDirectory, absolutePath: nil)
    }

    /// `parse`, with the absolute path of the file the text was read from.
    private static func decode(_ text: String, path: String, baseDirectory: URL, absolutePath: String?) throws(ProfileError) -> Profile {
        let (value, sourceMap) = try document(text, path: path)
        let problems = ProblemLog()
        do {
            return try ProfileDecoder(sourceMap: sourceMap, files: ProfileFiles(baseDirectory: baseDirectory), problems: problems)
                .profile(from: value, source: ProfileSource(path: path, text: text, absolutePath: absolutePath))
        } catch {
            problems.record(error)
        }
        // Document order; problems without a position (none are expected) last.
        let all = problems.problems.map { located($0, file: path, in: sourceMap) }
            .enumerated().sorted { ($0.element.line ?? .max, $0.element.column ?? .max, $0.offset)
                < ($1.element.line ?? .max, $1.element.column ?? .max, $1.offset) }.map(\.element)
        var first = all[0]
        first.others = Array(all.dropFirst())
        if problems.unlisted > 0 {
            first.others.append(ProfileError(file: path, message: "\(problems.unlisted) more problems not listed (the first \(ProblemLog.limit) are)"))
        }
        throw first
    }

    /// JSON5 text as a value and the positions of its keys and values, or the first syntax error
    /// (with line and column; `path` names the file in it, `expected` what it should hold).
    static func document(_ text: String, path: String,
                         expected: String = SourceLocator.profileExample) throws(ProfileError) -> (JSONValue, SourceMap) {
        if let tooDeep = JSONNesting.firstTooDeep(in: text.utf8) {
            throw ProfileError(file: path, line: tooDeep.line, column: tooDeep.column,
                               message: JSONNesting.message)
        }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            // Foundation's JSON5 errors carry no position: find the first syntax error ourselves.
            let sourceMap: SourceMap
            do {
                sourceMap = try SourceLocator.map(text, expected: expected)
            } catch {
                throw ProfileError(file: path, line: error.position.line, column: error.position.column,
                                   keyPath: error.keyPath ?? .root, message: error.message, anchor: .value)
            }
            if let refused = sourceMap.firstRefusedValue {
                throw ProfileError(file: path, line: refused.position.line, column: refused.position.column, keyPath: refused.path,
                                   message: "\(refused.why): Foundation's JSON5 reader cannot read it (it takes numbers within "
                                       + "±1.7e308, hexadecimal ones a Double holds exactly, and strings without \\u0000 or a "
                                       + "lone surrogate such as \\uD800)",
                                   anchor: .value)
            }
            throw located(unreadable(error), file: path, in: sourceMap)
        }

        let sourceMap: SourceMap
        do {
            sourceMap = try SourceLocator.map(text, expected: expected)
        } catch where error.keyPath != nil {
            // A duplicate key: Foundation silently keeps one of the values.
            throw ProfileError(file: path, line: error.position.line, column: error.position.column,
                               keyPath: error.keyPath ?? .root, message: error.message, anchor: .key)
        } catch {
            // Foundation accepted text the locator does not understand: errors keep their key paths, without positions.
            sourceMap = SourceMap()
        }
        return (value, sourceMap)
    }

    /// Whether Foundation's JSON5 reader takes a number literal JSON5 allows (see `SourceMap.firstRefusedValue`).
    static func foundationReadsNumber(_ literal: String) -> Bool {
        SourceLocator.foundationReads(number: literal)
    }

    static func located(_ error: ProfileError, file: String, in sourceMap: SourceMap) -> ProfileError {
        var located = error
        located.file = file
        if let position = sourceMap.position(of: error.keyPath, at: error.anchor) {
            located.line = position.line
            located.column = position.column
        }
        return located
    }

    /// Foundation rejected a value the locator accepts as JSON5 syntax (it cannot read the number `0e1`, for
    /// one): point at the value it stopped on.
    static func unreadable(_ error: any Error) -> ProfileError {
        let codingPath: [any CodingKey] = switch error as? DecodingError {
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .keyNotFound(_, let context)?,
             .dataCorrupted(let context)?:
            context.codingPath
        default:
            []
        }
        let path = ProfilePath(components: codingPath.map { key in key.intValue.map { .index($0) } ?? .key(key.stringValue) })
        // Foundation names neither the value nor why; these are what it refuses that JSON5 syntax allows.
        return ProfileError(keyPath: path, message: "Foundation's JSON5 reader cannot read a value in here: expected numbers "
                            + "within ±1.7e308 and strings without \\u0000 or a lone surrogate such as \\uD800",
                            anchor: .value)
    }
}
