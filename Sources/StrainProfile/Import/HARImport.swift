import Foundation
import StrainContract

/// `strain import har FILE`: a HAR 1.2 recording (a browser's "Save all as HAR", a proxy's export) as a
/// profile draft. Every HTTP entry's request becomes a step, in the recording's order; responses are
/// ignored. A browser records more than HTTP — inline `data:` images, WebSocket `wss:` upgrades,
/// extensions' own URLs — and those entries are left out, counted in the profile's comments.
/// A problem names the file, line, column and key path, like a profile error.
public enum HARImport {
    /// Far above a recording of a long browser session, small enough to read whole.
    public static let maxBytes = 64 << 20

    public static func draft(path: String, keepCredentials: Bool) throws(ProfileError) -> ProfileDraft {
        let data: Data
        do {
            data = try InputFile.read(path, maxBytes: maxBytes)
        } catch {
            let reason = error.errorNumber == ENOENT ? "no such file" : "cannot read the file: \(error.reason)"
            throw ProfileError(file: path, message: reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(file: path, message: "the file is not UTF-8 text (a HAR file is JSON)")
        }
        let (value, sourceMap) = try ProfileLoader.document(text, path: path,
                                                            expected: #"a HAR recording like { "log": { "entries": [ … ] } }"#)
        // A profile's name holds no control character (one in the file's name becomes a hyphen), and is not too long.
        let name = String(String.UnicodeScalarView(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.unicodeScalars.map {
            TerminalText.isControlInOneLine($0) ? "-" : $0
        }).prefix(Limits.nameCharacters))
        do {
            let recorded = try self.requests(in: Field(path: .root, value: value, sourceMap: sourceMap, problems: ProblemLog()), file: path)
            var draft = ProfileDraft(name: name.isEmpty ? "imported" : name, source: URL(fileURLWithPath: path).lastPathComponent,
                                     origin: path, requests: recorded.requests, keepCredentials: keepCredentials)
            draft.leftOutSchemes = recorded.leftOutSchemes
            return draft
        } catch {
            throw ProfileLoader.located(error, file: path, in: sourceMap)
        }
    }

    /// The HTTP requests of the entries of the HAR `file`, and how many entries of each other scheme were left out.
    static func requests(in document: Field, file: String) throws(ProfileError) -> (requests: [ImportedRequest], leftOutSchemes: [String: Int]) {
        let entries = try document.requiredMember("log").requiredMember("entries")
        let list = try entries.array(atMost: Limits.steps, of: "requests (a scenario's steps)")
        guard !list.isEmpty else { throw entries.error("has no entries: the recording holds no request") }
        var requests: [ImportedRequest] = []
        var leftOut: [String: Int] = [:]
        for entry in list {
            let request = try entry.requiredMember("request")
            let method = try request.requiredMember("method")
            let url = try request.requiredMember("url")
            if let scheme = otherScheme(try url.string()) {
                leftOut[scheme, default: 0] += 1
                continue
            }
            let headerFields = try request.member("headers")?.array() ?? []
            var headers: [(name: String, value: String)] = []
            for header in headerFields {
                headers.append((try header.requiredMember("name").string(), try header.requiredMember("value").string()))
            }
            let postData = try request.member("postData")
            let body = try postData.flatMap { postData throws(ProfileError) in try self.body(postData) }
            let methodText = try method.string(), urlText = try url.string()
            let origin = ProfileLoader.located(request.error(""), file: file, in: request.sourceMap).place
            do throws(ImportedRequest.Problem) {
                requests.append(try ImportedRequest(method: methodText, url: urlText, headers: headers, body: body, origin: origin))
            } catch {
                let field = switch error.part {
                case .method: method
                case .url: url
                case .header(let index): headerFields[index]
                }
                throw field.error(error.message)
            }
        }
        guard !requests.isEmpty else {
            throw entries.error("holds no http:// or https:// request to replay (only \(ProfileDraft.describe(leftOut)))")
        }
        return (requests, leftOut)
    }

    /// What browsers record besides HTTP: inline data, blobs, WebSocket upgrades, their own pages
    /// and extensions'.
    static let browserSchemes: Set<String> = ["data", "blob", "ws", "wss", "about", "chrome", "chrome-extension",
                                              "moz-extension", "safari-web-extension"]

    /// The scheme of a URL of `browserSchemes`, lowercased; nil for any other text, which the
    /// request check accepts (http, https) or refuses with its location.
    static func otherScheme(_ url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon].lowercased()
        return browserSchemes.contains(scheme) ? scheme : nil
    }

    /// `postData.text`, or its form `params` encoded as application/x-www-form-urlencoded.
    static func body(_ postData: Field) throws(ProfileError) -> String? {
        if let text = try postData.member("text") { return try text.string() }
        guard let params = try postData.member("params")?.array(), !params.isEmpty else { return nil }
        // The params alone are no multipart body: sent urlencoded under the recorded multipart type, the
        // server could not parse them.
        if let type = try postData.member("mimeType")?.string(), type.lowercased().hasPrefix("multipart/") {
            throw postData.error("a multipart form recorded without its text cannot be imported; add its body as body: { file: \"…\" } by hand")
        }
        var pairs: [String] = []
        for param in params {
            if try param.member("fileName") != nil {
                throw param.error("a file upload (multipart) cannot be imported; add its body as body: { file: \"…\" } by hand")
            }
            let name = try param.requiredMember("name").string()
            let value = try param.member("value")?.string() ?? ""
            pairs.append(formEncoded(name) + "=" + formEncoded(value))
        }
        return pairs.joined(separator: "&")
    }

    static func formEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "-._*").union(.alphanumerics)
        return (text.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: " "))) ?? text)
            .replacing(" ", with: "+")
    }
}

extension Field {
    /// The member `key` of this object of free-form keys; nil when absent or null.
    func member(_ key: String) throws(ProfileError) -> Field? {
        guard case .object(let members) = value else { throw mismatch("an object") }
        guard let member = members[key], member != .null else { return nil }
        return Field(path: path.appending(key), value: member, sourceMap: sourceMap, problems: problems)
    }

    func requiredMember(_ key: String) throws(ProfileError) -> Field {
        guard let member = try member(key) else { throw error("missing required key \"\(key)\"") }
        return member
    }
}
