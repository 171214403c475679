import Foundation
import StrainContract
import StrainProfile

/// One request of ad-hoc load: a URL from the command line or a target of a targets file.
public struct AdHocTarget: Sendable, Equatable {
    /// Nil takes `--method` (or GET).
    public var method: String?
    public var url: String
    /// "Name: value" lines, sent besides (and before) the `--header`s, which they override by name.
    public var headers: [String] = []
    /// A file whose bytes are the body; nil takes `--body` / `--body-file`.
    public var bodyFile: String?
    /// "FILE:LINE" of the target in a targets file, so that errors found later still say where.
    public var origin: String?
    /// "FILE:LINE" of its `@FILE` body line.
    public var bodyOrigin: String?

    public init(method: String? = nil, url: String, headers: [String] = [], bodyFile: String? = nil, origin: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.bodyFile = bodyFile
        self.origin = origin
    }
}

/// vegeta's "http" targets format, read by `strain run --targets FILE|-`:
///
///     GET http://127.0.0.1:8080/items
///     X-Account: 42
///
///     POST http://127.0.0.1:8080/items
///     Content-Type: application/json
///     @item.json
///
/// A target is a `METHOD URL` line, then optional `Name: value` header lines and an optional `@FILE`
/// body line (relative to the targets file's folder). A blank line ends a target; `#` lines are comments.
public enum TargetsFile {
    /// Parses `text`; `name` (the file as given, or "stdin") and the line number start every error.
    public static func parse(_ text: String, name: String) throws(AdHocError) -> [AdHocTarget] {
        var targets: [AdHocTarget] = []
        // Whether header and body lines may still follow the last target (no blank line since).
        var open = false
        // CRLF files are fine (Swift reads "\r\n" as one character); a CR anywhere else is refused below.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, line) in lines.enumerated() {
            let place = "\(name):\(index + 1)"
            if let control = line.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) {
                throw AdHocError("\(place): control character \(TerminalText.codePoint(control)) in the line; a CR, LF or NUL would end a header and start another")
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                open = open && trimmed.hasPrefix("#")
                continue
            }
            if let target = try requestLine(trimmed, place: place) {
                if targets.count == Limits.scenarios {
                    throw AdHocError("\(place): more than \(Limits.scenarios) targets; each target is a scenario and a profile has at most \(Limits.scenarios)")
                }
                targets.append(target)
                open = true
                continue
            }
            guard open, var target = targets.popLast() else {
                throw AdHocError("\(place): expected a target line \"METHOD URL\" like \"GET http://127.0.0.1:8080/\", found \"\(URLText.redacted(trimmed))\"")
            }
            if trimmed.hasPrefix("@") {
                let file = String(trimmed.dropFirst())
                guard !file.isEmpty else { throw AdHocError("\(place): expected a body file after @, like @body.json") }
                guard target.bodyFile == nil else { throw AdHocError("\(place): this target already has a body file") }
                target.bodyFile = file
                target.bodyOrigin = place
            } else {
                target.headers.append(try header(trimmed, place: place))
            }
            targets.append(target)
        }
        guard !targets.isEmpty else {
            throw AdHocError("\(name): no targets; expected lines like \"GET http://127.0.0.1:8080/\"")
        }
        return targets
    }

    /// A `METHOD URL` line, or nil when the line is not one (it may be a header or a body).
    private static func requestLine(_ line: String, place: String) throws(AdHocError) -> AdHocTarget? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, words[1].contains("://") else { return nil }
        let method = String(words[0])
        guard method.unicodeScalars.allSatisfy(isTokenCharacter) else {
            throw AdHocError("\(place): \"\(method)\" is not an HTTP method (letters, like GET or POST)")
        }
        guard words.count == 2 else {
            throw AdHocError("\(place): expected \"METHOD URL\", found more after the URL (write spaces in a URL as %20)")
        }
        let url = String(words[1])
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", components.host?.isEmpty == false else {
            throw AdHocError("\(place): expected an absolute http:// or https:// URL, found \"\(URLText.redacted(url))\"")
        }
        return AdHocTarget(method: method.uppercased(), url: url, origin: place)
    }

    private static func header(_ line: String, place: String) throws(AdHocError) -> String {
        guard let colon = line.firstIndex(of: ":") else {
            throw AdHocError("\(place): expected a header \"Name: value\", a body \"@FILE\" or a blank line before the next target, found \"\(line)\"")
        }
        let name = line[..<colon]
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenCharacter) else {
            throw AdHocError("\(place): \"\(name)\" is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)")
        }
        return line
    }

    /// RFC 9110 token characters: what header names and methods are made of.
    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
    }

    /// Reads a targets file (`-` is standard input), at most `Limits.profileBytes`; body files are made
    /// absolute against the file's folder (standard input's: the working directory), must exist, and
    /// must be in that folder or below it.
    public static func read(_ path: String, workingDirectory: URL) throws(AdHocError) -> [AdHocTarget] {
        let name = path == "-" ? "stdin" : path
        let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : workingDirectory.appendingPathComponent(path)
        let data: Data
        do {
            data = path == "-" ? try FileHandle.standardInput.read(upToCount: Limits.profileBytes + 1) ?? Data()
                : try InputFile.read(file.path, maxBytes: Limits.profileBytes)
        } catch let error as FileIOError {
            throw AdHocError("--targets \(name): \(error.errorNumber == ENOENT ? "no such file" : error.reason)")
        } catch {
            throw AdHocError("--targets \(name): cannot read it: \(error)")
        }
        guard data.count <= Limits.profileBytes else {
            throw AdHocError("--targets \(name): larger than \(Limits.profileBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AdHocError("--targets \(name): not UTF-8 text")
        }
        let folder = path == "-" ? workingDirectory : file.deletingLastPathComponent()
        var targets = try parse(text, name: name)
        // A targets file is text from elsewhere, sent as written: its bodies come from its own folder, so
        // that it cannot send your files (`@/proc/self/environ`, `@../.ssh/id_rsa`) to its targets.
        let root = folder.resolvingSymlinksInPath().path
        for index in targets.indices {
            guard let file = targets[index].bodyFile else { continue }
            let url = folder.appendingPathComponent(file).standardizedFileURL
            let resolved = url.resolvingSymlinksInPath().path
            guard !file.hasPrefix("/"), resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw AdHocError("\(targets[index].bodyOrigin ?? name): a body file must be in the targets file's folder or below it "
                                 + "(\(path == "-" ? "for standard input, the working directory" : folder.path)), found \"\(file)\"")
            }
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw AdHocError("\(targets[index].bodyOrigin ?? name): body file not found: \(url.path) (relative paths start at the targets file's folder)")
            }
            // A folder, or a device such as /dev/zero, is refused here rather than at the first request.
            do {
                try InputFile.checkReadable(url.path)
            } catch {
                throw AdHocError("\(targets[index].bodyOrigin ?? name): cannot read the body file \(url.path): \(error.reason)")
            }
            targets[index].bodyFile = url.path
        }
        return targets
    }
}
