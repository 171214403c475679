import Foundation
import StrainContract

/// One request read from a HAR entry or a curl command line, checked so that it can be written into a
/// profile: an http(s) URL with a host, a method of letters, header names that are tokens and values
/// without control characters but tab (CR and LF would end a header line and start another).
public struct ImportedRequest: Sendable {
    public var method: String
    /// As recorded, without a fragment (Foundation would re-encode characters like `{`), in ASCII as a
    /// browser sends it (`asciiURL`).
    public var url: String
    /// The URL's parts, for its origin and host.
    public var components: URLComponents
    public var headers: [(name: String, value: String)]
    public var body: String?
    /// Where it was read, as an error names it: "session.har:12:7: log.entries[3].request", "the curl command line".
    public var origin: String

    /// What is wrong with one part of a request; the importer says where it came from.
    public struct Problem: Error, Equatable {
        public enum Part: Sendable, Equatable {
            case method, url
            /// The header at this index of the headers given.
            case header(Int)
        }

        public let part: Part
        public let message: String
    }

    public init(method: String, url: String, headers: [(name: String, value: String)], body: String?, origin: String) throws(Problem) {
        guard !method.isEmpty, method.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.letters.contains($0) }) else {
            throw Problem(part: .method, message: "expected an HTTP method of letters like \"GET\", found \"\(method.debugDescription.dropFirst().dropLast())\"")
        }
        guard let recorded = URLComponents(string: url), let scheme = recorded.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            let scheme = URLComponents(string: url)?.scheme.map { "a \($0): URL" } ?? "\"\(URLText.redacted(url))\""
            throw Problem(part: .url, message: "expected an http:// or https:// URL, found \(scheme); only HTTP requests can be replayed")
        }
        guard let host = recorded.host, !host.isEmpty else {
            throw Problem(part: .url, message: "expected a host after \(scheme)://, found \"\(URLText.redacted(url))\"")
        }
        // What the profile would refuse, said here where the recording's key is known.
        if let problem = URLText.portProblem(in: url) ?? URLText.unsendableCharacter(in: url) {
            throw Problem(part: .url, message: problem)
        }
        for (index, header) in headers.enumerated() {
            guard !header.name.isEmpty, header.name.unicodeScalars.allSatisfy({ $0.isASCII && Self.tokenCharacters.contains($0) })
                    || header.name.hasPrefix(":") else {
                throw Problem(part: .header(index), message: "\"\(header.name.debugDescription.dropFirst().dropLast())\" is not a valid header name")
            }
            // The profile's own rule: a profile with such a value would not load.
            guard !JSONValue.hasHeaderControl(header.value) else {
                throw Problem(part: .header(index), message: "the value of header \"\(header.name)\" contains a control character other than tab "
                              + "(CR and LF would end the header and start another)")
            }
        }
        // The fragment stays in the browser; it is never sent.
        let sent = Self.asciiURL(String(url.prefix { $0 != "#" }))
        self.method = method.uppercased()
        self.url = sent
        // Encoding only non-ASCII characters keeps a URL that parsed one that parses.
        self.components = URLComponents(string: sent) ?? recorded
        self.headers = headers
        self.body = body
        self.origin = origin
    }

    /// `url` as a browser sends it: a host of non-ASCII letters in its IDNA form ("xn--…", what DNS and
    /// the Host header carry), any other non-ASCII character percent-encoded as UTF-8; ASCII as written.
    static func asciiURL(_ url: String) -> String {
        guard !url.unicodeScalars.allSatisfy(\.isASCII), let schemeEnd = url.range(of: "://") else { return url }
        let authority = url[schemeEnd.upperBound...].prefix { !"/?#".contains($0) }
        let hostStart = authority.lastIndex(of: "@").map(authority.index(after:)) ?? authority.startIndex
        // A host with non-ASCII letters is a name, never a bracketed IPv6 address: a colon starts its port.
        let hostEnd = authority[hostStart...].firstIndex(of: ":") ?? authority.endIndex
        let host = authority[hostStart..<hostEnd]
        // The IDNA form as target.allow compares hosts (ASCII hosts are kept as written).
        let asciiHost = host.unicodeScalars.allSatisfy(\.isASCII) ? String(host) : ProfileDecoder.normalizedHost(String(host))
        return percentEncodedNonASCII(url[..<hostStart]) + asciiHost + percentEncodedNonASCII(url[hostEnd...])
    }

    private static func percentEncodedNonASCII(_ text: Substring) -> String {
        var encoded = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += String(scalar).utf8.map { String(format: "%%%02X", $0) }.joined()
            }
        }
        return encoded
    }

    /// RFC 9110 token characters (header names).
    static let tokenCharacters = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~").union(.alphanumerics)
}

/// A profile written from imported requests, for a user to edit: one scenario replaying them in order
/// once (a closed load of one connection and one iteration), the hosts seen as `target.allow`, and
/// comments saying what was left out.
public struct ProfileDraft: Sendable {
    /// Headers the HTTP client sets for itself (hop-by-hop, framing, the host) or that HTTP/2 tools
    /// show as pseudo-headers: replaying them would be wrong or refused.
    static let clientHeaders: Set<String> = [
        "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
        "content-length", "expect",
    ]
    /// Credentials: a recording's session would be replayed by every virtual user, and secrets would
    /// land in a file meant to be shared. Kept only with `keepCredentials`.
    static let credentialHeaders: Set<String> = ["cookie", "authorization", "proxy-authorization"]

    public var name: String
    /// "session.har" or "a curl command line", for the header comment.
    public var source: String
    /// What errors name for the requests as a whole: the HAR file's path as given, or "the curl command line".
    public var origin: String
    public var requests: [ImportedRequest]
    public var keepCredentials: Bool
    /// Settings of the command line with no place in a step (e.g. curl's --insecure), as profile text.
    public var targetSettings: [(key: String, json5: String)] = []
    /// Recorded entries that were not HTTP requests, by URL scheme ("data": 3): left out, and said so.
    public var leftOutSchemes: [String: Int] = [:]

    public init(name: String, source: String, origin: String, requests: [ImportedRequest], keepCredentials: Bool) {
        self.name = name
        self.source = source
        self.origin = origin
        self.requests = requests
        self.keepCredentials = keepCredentials
    }

    /// Why the profile would not load, said of what it was imported from: the lines of a text never
    /// written would point nowhere.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The profile as JSON5 text, checked as `strain validate` would check the written file (relative
    /// files it names resolved against `baseDirectory`).
    public func validatedJSON5(baseDirectory: URL) throws(Invalid) -> String {
        // The bodies alone may make it too large to load: said before writing them out (escaping 16 MiB takes seconds).
        try refuseLargerThanAProfile(bytes: requests.reduce(0) { $0 + Self.bodyBytes($1) })
        let text = json5()
        try refuseLargerThanAProfile(bytes: text.utf8.count)
        do {
            _ = try ProfileLoader.parse(text, path: "", baseDirectory: baseDirectory)
        } catch {
            let problems = ([error] + error.others).map { problem in
                // A step's problem is its request's: name the HAR entry it came from.
                let place = requestIndex(at: problem.keyPath).map { requests[$0].origin } ?? origin
                let key = problem.keyPath.components.isEmpty ? "" : "\(problem.keyPath): "
                return TerminalText.oneLine("\(place): makes a profile that would not be valid, so none was written: \(key)\(problem.message)")
            }
            throw Invalid(description: problems.joined(separator: "\n"))
        }
        return text
    }

    /// `strain validate` would refuse a file over `Limits.profileBytes`: say which body to move to a file.
    private func refuseLargerThanAProfile(bytes: Int) throws(Invalid) {
        guard bytes > Limits.profileBytes, let largest = requests.max(by: { Self.bodyBytes($0) < Self.bodyBytes($1) }) else { return }
        let tooLarge = "makes a profile larger than \(Limits.profileBytes >> 20) MiB, the most a profile may be, so none was written"
        let size = QuantityText.grouped(Self.bodyBytes(largest))
        if Self.bodyBytes(largest) > Limits.profileBytes {
            throw Invalid(description: "\(largest.origin): its body of \(size) bytes \(tooLarge); save the body to a file and write "
                          + "body: { file: \"…\" } in the profile")
        }
        throw Invalid(description: "\(origin): \(tooLarge); its largest body, of \(size) bytes, is at \(largest.origin): save large "
                      + "bodies to files and write body: { file: \"…\" } for them in the profile")
    }

    private static func bodyBytes(_ request: ImportedRequest) -> Int {
        request.body?.utf8.count ?? 0
    }

    /// The index of the request whose step `path` is in (scenarios[0].steps[i]…), if it is in one.
    private func requestIndex(at path: ProfilePath) -> Int? {
        let components = path.components
        guard components.count >= 4, components[0] == .key("scenarios"), components[1] == .index(0), components[2] == .key("steps"),
              case .index(let index) = components[3], requests.indices.contains(index) else { return nil }
        return index
    }

    /// The profile as JSON5 text.
    public func json5() -> String {
        var dropped: [String: Int] = [:]
        var compressed = 0
        let steps = requests.map { request in
            var kept: [(name: String, value: String)] = []
            // By lowercased name: a recording with thousands of headers must not take their square in time.
            var keptIndex: [String: Int] = [:]
            for header in request.headers {
                let lowered = header.name.lowercased()
                if lowered.hasPrefix(":") || Self.clientHeaders.contains(lowered) { continue }
                if lowered == "accept-encoding" {
                    compressed += 1
                    continue
                }
                if !keepCredentials, Self.credentialHeaders.contains(lowered) {
                    dropped[lowered, default: 0] += 1
                    continue
                }
                // A repeated header is one header whose values are joined (RFC 9110 5.3; cookies with "; ").
                if let index = keptIndex[lowered] {
                    kept[index].value += (lowered == "cookie" ? "; " : ", ") + header.value
                } else {
                    keptIndex[lowered] = kept.count
                    kept.append(header)
                }
            }
            if !keepCredentials, request.components.user != nil || request.components.password != nil {
                dropped["user:password in the URL", default: 0] += 1
            }
            return (request: request, headers: kept)
        }
        let origins = Set(requests.map { Self.origin($0, keepCredentials: keepCredentials) })
        let baseURL = origins.count == 1 ? origins.first : nil
        // As the URLs write them: `host` would decode an IDNA name ("xn--…") that the URLs keep encoded.
        let hosts = Set(requests.compactMap { $0.components.encodedHost?.lowercased() }).sorted()

        let replayed = requests.count == 1 ? "the request" : "the \(requests.count) requests in order"
        // The comments quote what the recording held (a file's name, header names, URL schemes).
        var comments = ["Imported from \(source) by `strain import`: one scenario replays \(replayed).",
                        "Edit the load (rate or connections and duration), add checks and extract values, then `strain validate` it.",
                        "Left out: headers the HTTP client sets itself (Host, Connection, Content-Length, Transfer-Encoding …)."]
        if !dropped.isEmpty {
            let counts = dropped.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value)×)" }.joined(separator: ", ")
            comments.append("Left out, as credentials of the recorded session: \(counts). Add them under headers (better: \"${env.NAME}\"), or import with --keep-credentials.")
        }
        if !leftOutSchemes.isEmpty {
            comments.append("Left out: recorded entries that are not HTTP requests: \(Self.describe(leftOutSchemes)).")
        }
        if compressed > 0 {
            comments.append("Left out: Accept-Encoding (\(compressed)×); set compression: \"gzip\" under target to ask for compressed responses.")
        }
        var lines = comments.map { "// " + Self.writtenOnOneLine($0) }
        lines.append("{")
        lines.append("  name: \(Self.quoted(name)),")
        var target: [String] = []
        if let baseURL { target.append("baseURL: \(Self.quoted(baseURL))") }
        target.append("allow: [\(hosts.map(Self.quoted).joined(separator: ", "))]")
        target += targetSettings.map { "\($0.key): \($0.json5)" }
        lines.append("  target: { \(target.joined(separator: ", ")) },")
        lines.append("  scenarios: [")
        lines.append("    {")
        lines.append("      name: \(Self.quoted(Self.scenarioName(name))),")
        lines.append("      load: { model: \"closed\", connections: 1, iterations: 1 },")
        lines.append("      steps: [")
        var names: [String: Int] = [:]
        for (request, headers) in steps {
            var fields = ["name: \(Self.quoted(Self.stepName(request, taken: &names)))"]
            if request.method != "GET" { fields.append("method: \(Self.quoted(request.method))") }
            if baseURL != nil {
                fields.append("path: \(Self.quoted(Self.template(Self.pathAndQuery(request.url))))")
            } else {
                let url = keepCredentials ? request.url : Self.withoutUserInfo(request.url)
                fields.append("url: \(Self.quoted(Self.template(url)))")
            }
            if !headers.isEmpty {
                let members = headers.map { "\(Self.quoted($0.name)): \(Self.quoted(Self.template($0.value)))" }
                fields.append("headers: { \(members.joined(separator: ", ")) }")
            }
            if let body = request.body {
                fields.append("body: \(Self.quoted(Self.template(body)))")
            }
            lines.append("        { \(fields.joined(separator: ", ")) },")
        }
        lines.append("      ],")
        lines.append("    },")
        lines.append("  ],")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// "2 data: entries, 1 wss: entry".
    static func describe(_ schemes: [String: Int]) -> String {
        schemes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key): entr\($0.value == 1 ? "y" : "ies")" }.joined(separator: ", ")
    }

    /// "https://shop.example:8443": what a base URL holds; its user and password only when credentials are kept.
    static func origin(_ request: ImportedRequest, keepCredentials: Bool) -> String {
        var origin = URLComponents()
        origin.scheme = request.components.scheme?.lowercased()
        origin.host = request.components.host
        origin.port = request.components.port
        if keepCredentials {
            origin.user = request.components.user
            origin.password = request.components.password
        }
        return origin.string ?? ""
    }

    /// `url` without the "user:password@" of its authority.
    static func withoutUserInfo(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        guard let at = url[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + url[url.index(after: at)...]
    }

    /// What follows the authority of an absolute URL, as written: "/v1/orders?id=1", "/" for none.
    static func pathAndQuery(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "/" }
        let rest = url[schemeEnd.upperBound...]
        guard let start = rest.firstIndex(where: { "/?".contains($0) }) else { return "/" }
        let tail = String(rest[start...])
        return tail.hasPrefix("/") ? tail : "/" + tail
    }

    /// "GET /v1/orders", "GET /v1/orders (2)" for the second of that name. The path reads decoded
    /// ("/café"); a character a name refuses (a control, a bidirectional override, as %1B or %E2%80%AE
    /// in the URL) is written as its code point, and a long name is cut well within a name's limit.
    static func stepName(_ request: ImportedRequest, taken: inout [String: Int]) -> String {
        let path = request.components.path.isEmpty ? "/" : request.components.path
        var base = Self.writtenOnOneLine("\(request.method) \(path)")
        if base.count > 100 { base = String(base.prefix(99)) + "…" }
        let seen = taken[base, default: 0] + 1
        taken[base] = seen
        return seen == 1 ? base : "\(base) (\(seen))"
    }

    /// Scenario names share the profile's name, reduced to what reads well in a threshold key.
    static func scenarioName(_ name: String) -> String {
        let reduced = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        return reduced.isEmpty ? "imported" : reduced
    }

    /// Recorded text taken literally: `${` would start a template reference, `$${` writes it.
    static func template(_ text: String) -> String {
        text.replacing("${", with: "$${")
    }

    /// A JSON string literal (valid JSON5), every control character escaped.
    static func quoted(_ text: String) -> String {
        JSONTemplate.quoted(text)
    }

    /// `text` made safe inside a `//` comment or a name: a line feed, carriage return or U+2028/U+2029
    /// (JSON5's line terminators) would end a `//` comment and make the rest profile code, and a
    /// control or bidirectional character would hide what follows, so each is written as its code point.
    static func writtenOnOneLine(_ text: String) -> String {
        var safe = ""
        for scalar in text.unicodeScalars {
            if TerminalText.isControlInOneLine(scalar) {
                safe += TerminalText.codePoint(scalar)
            } else {
                safe.unicodeScalars.append(scalar)
            }
        }
        return safe
    }
}
