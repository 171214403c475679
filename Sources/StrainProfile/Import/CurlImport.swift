import Foundation

/// `strain import curl -- curl URL -H … --data-raw …`: one curl command line (a browser's "Copy as
/// cURL", a README's example) as a profile draft. Only options that shape the request are understood;
/// curl's output and progress options are ignored, and any other option is an error naming it, so a
/// request is never silently replayed differently from what the command sends.
public enum CurlImport {
    /// A problem with the command line: which word, and what is wrong.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Options without a value that change nothing about the request.
    static let ignoredFlags: Set<String> = [
        "-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include", "-f", "--fail",
        "--fail-with-body", "-N", "--no-buffer", "-#", "--progress-bar", "-n", "--netrc", "--http1.1",
        "--no-progress-meter", "-q", "--disable",
    ]
    /// Single-letter options without a value, which may be run together ("-sSL").
    static let shortFlags: Set<String> = ["-s", "-S", "-v", "-i", "-f", "-N", "-#", "-n", "-q", "-G", "-I", "-k", "-L"]
    /// Options with a value that change nothing about the request.
    static let ignoredOptions: Set<String> = ["-o", "--output", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "--retry"]

    /// `words` are curl's arguments as the shell would pass them, with or without a leading `curl`. A
    /// single word holding a whole pasted command is split like a shell would (quotes, backslashes,
    /// line continuations; no variables or other expansions).
    public static func draft(_ words: [String], keepCredentials: Bool) throws(Failure) -> ProfileDraft {
        var arguments = words
        if arguments.count == 1, arguments[0].contains(where: \.isWhitespace) {
            arguments = try ShellWords.split(arguments[0])
        }
        if arguments.first == "curl" { arguments.removeFirst() }

        var method: String?
        var url: String?
        var headers: [(name: String, value: String)] = []
        // Headers curl makes from its own options (-u, -A, -e, -b, --compressed): a later option replaces an
        // earlier one's, and an -H of the same name, wherever it stands, replaces them (curl sends the -H).
        var optionHeaders: [(name: String, value: String)] = []
        func setOptionHeader(_ name: String, _ value: String) {
            optionHeaders.removeAll { $0.name == name }
            optionHeaders.append((name, value))
        }
        var data: [String] = []
        var sendsJSON = false
        var dataIntoQuery = false
        var insecure = false
        var redirects = false
        var index = 0
        func value(for option: String, attached: String?) throws(Failure) -> String {
            if let attached, !attached.isEmpty { return attached }
            guard index < arguments.count else { throw Failure(description: "curl option \(option) needs a value") }
            index += 1
            return arguments[index - 1]
        }
        while index < arguments.count {
            let word = arguments[index]
            let position = index + 1
            index += 1
            guard word.hasPrefix("-"), word != "-" else {
                guard url == nil else {
                    throw Failure(description: "word \(position) (\"\(word)\"): a second URL; import one request per curl command")
                }
                url = word
                continue
            }
            // "-XPOST", "-H'…'": a short option's value may be glued to it; "--data=x" is not curl syntax.
            var option = word
            var attached: String?
            if !word.hasPrefix("--"), word.count > 2 {
                option = String(word.prefix(2))
                attached = String(word.dropFirst(2))
                // "-sSL": flags without values run together; the rest is read as the next option.
                if Self.shortFlags.contains(option), let rest = attached {
                    arguments.insert("-" + rest, at: index)
                    attached = nil
                }
            }
            switch option {
            case "-X", "--request": method = try value(for: option, attached: attached)
            case "-H", "--header":
                let line = try value(for: option, attached: attached)
                guard let colon = line.firstIndex(of: ":") else {
                    throw Failure(description: "word \(position) (\(option)): expected \"Name: value\", found \"\(line)\"")
                }
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers.append((name, value))
            case "-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json":
                let text = try value(for: option, attached: attached)
                if option == "--data-urlencode" {
                    guard let encoded = Self.urlencodedData(text) else {
                        throw Failure(description: "word \(position) (\(option) \(text)): a body read from a file cannot be imported; write the file's content, urlencoded, into the profile's body")
                    }
                    data.append(encoded)
                } else {
                    if text.hasPrefix("@"), option != "--data-raw" {
                        throw Failure(description: "word \(position) (\(option) \(text)): a body read from a file cannot be imported; write body: { file: \"\(text.dropFirst())\" } in the profile")
                    }
                    data.append(text)
                }
                if option == "--json" { sendsJSON = true }
            case "-u", "--user":
                let credentials = try value(for: option, attached: attached)
                setOptionHeader("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())
            case "-b", "--cookie":
                let cookie = try value(for: option, attached: attached)
                guard cookie.contains("=") else {
                    throw Failure(description: "word \(position) (\(option) \(cookie)): a cookie file cannot be imported; give the cookies as NAME=VALUE")
                }
                // Every -b is sent, in one Cookie header.
                let earlier = optionHeaders.first { $0.name == "Cookie" }.map { $0.value + "; " } ?? ""
                setOptionHeader("Cookie", earlier + cookie)
            case "-A", "--user-agent": setOptionHeader("User-Agent", try value(for: option, attached: attached))
            case "-e", "--referer": setOptionHeader("Referer", try value(for: option, attached: attached))
            case "--url":
                let given = try value(for: option, attached: attached)
                guard url == nil else {
                    throw Failure(description: "word \(position) (--url \(given)): a second URL; import one request per curl command")
                }
                url = given
            case "--compressed": setOptionHeader("Accept-Encoding", "gzip")
            case "-G", "--get": dataIntoQuery = true
            case "-I", "--head": method = "HEAD"
            case "-k", "--insecure": insecure = true
            case "-L", "--location": redirects = true
            case _ where ignoredFlags.contains(option) && attached == nil: continue
            case _ where ignoredOptions.contains(option): _ = try value(for: option, attached: attached)
            default:
                throw Failure(description: "word \(position): curl option \(word) is not supported by strain import; remove it, or write the profile by hand")
            }
        }
        guard var url else { throw Failure(description: "no URL in the curl command line") }
        var body: String? = data.isEmpty ? nil : data.joined(separator: "&")
        if dataIntoQuery, let query = body {
            url += (url.contains("?") ? "&" : "?") + query
            body = nil
        }
        if sendsJSON {
            setOptionHeader("Content-Type", "application/json")
            setOptionHeader("Accept", "application/json")
        } else if body != nil {
            setOptionHeader("Content-Type", "application/x-www-form-urlencoded")
        }
        let named = Set(headers.map { $0.name.lowercased() })
        // "-H 'Name:'", nothing after the colon, sends no such header: it only removes curl's own.
        headers = optionHeaders.filter { !named.contains($0.name.lowercased()) } + headers.filter { !$0.value.isEmpty }
        let request: ImportedRequest
        do throws(ImportedRequest.Problem) {
            request = try ImportedRequest(method: method ?? (body == nil ? "GET" : "POST"), url: url, headers: headers, body: body,
                                          origin: "the curl command line")
        } catch {
            let part = switch error.part {
            case .method: "the method (-X)"
            case .url: "the URL"
            case .header(let index): "header \"\(headers[index].name)\""
            }
            throw Failure(description: "\(part): \(error.message)")
        }
        var draft = ProfileDraft(name: "curl-import", source: "a curl command line", origin: "the curl command line",
                                 requests: [request], keepCredentials: keepCredentials)
        if insecure { draft.targetSettings.append(("tls", "{ insecure: true }")) }
        if redirects { draft.targetSettings.append(("redirects", "10")) }
        return draft
    }

    /// What curl's --data-urlencode sends, read as curl reads it: "name=content" sends name=<content encoded>,
    /// "=content" and "content" the content encoded; without a "=", "@file" and "name@file" send a file's
    /// content, which is not imported (nil).
    static func urlencodedData(_ text: String) -> String? {
        guard let equals = text.firstIndex(of: "=") else { return text.contains("@") ? nil : HARImport.formEncoded(text) }
        let name = text[..<equals], content = HARImport.formEncoded(String(text[text.index(after: equals)...]))
        return name.isEmpty ? content : name + "=" + content
    }
}

/// Splits a command line into words as a POSIX shell does, without any expansion: single quotes
/// keep everything, double quotes keep all but \" \\ \$ \`, a backslash outside quotes escapes the
/// next character, and backslash-newline joins lines (how browsers write "Copy as cURL"). Bash's
/// $'…' quoting (Chrome uses it for bodies with special characters) is understood too. Shell syntax
/// between commands (`;`, `|`, `&`, redirections, subshells) outside quotes is refused.
public enum ShellWords {
    public static func split(_ line: String) throws(CurlImport.Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\\":
                guard let next = characters.popFirst() else { break }
                if next != "\n" {
                    current.append(next)
                    inWord = true
                }
            case "'":
                inWord = true
                guard let end = characters.firstIndex(of: "'") else { throw unclosed("'") }
                current += characters[..<end]
                characters = characters[(end + 1)...]
            case "$" where characters.first == "'":
                inWord = true
                characters.removeFirst()
                current += try ansiC(&characters)
            case "\"":
                inWord = true
                var closed = false
                while let inner = characters.popFirst() {
                    if inner == "\"" {
                        closed = true
                        break
                    }
                    if inner == "\\", let escaped = characters.first, "\"\\$`\n".contains(escaped) {
                        characters.removeFirst()
                        if escaped != "\n" { current.append(escaped) }
                    } else {
                        current.append(inner)
                    }
                }
                guard closed else { throw unclosed("\"") }
            case ";", "|", "&", "<", ">", "`", "(", ")":
                // A shell would end the curl command here (a second command, a pipe, a redirection):
                // the rest is not curl's, and nothing here runs it.
                throw CurlImport.Failure(description: "the command line has \"\(character)\" outside quotes, shell syntax that ends "
                                         + "the curl command or starts another one; paste the curl command alone")
            case _ where character.isWhitespace:
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The inside of $'…' up to its closing quote, with \n, \t, \r, \\, \', \" and \xHH decoded.
    private static func ansiC(_ characters: inout ArraySlice<Character>) throws(CurlImport.Failure) -> String {
        var text = ""
        while let character = characters.popFirst() {
            switch character {
            case "'": return text
            case "\\":
                guard let escaped = characters.popFirst() else { throw unclosed("$'") }
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "x", "u":
                    let digits = characters.prefix(escaped == "x" ? 2 : 4).prefix { $0.isHexDigit }
                    characters = characters.dropFirst(digits.count)
                    guard let scalar = UInt32(String(digits), radix: 16).flatMap(Unicode.Scalar.init) else {
                        throw CurlImport.Failure(description: "the command line has an invalid \\\(escaped) escape in $'…'")
                    }
                    text.unicodeScalars.append(scalar)
                default: text.append(escaped)
                }
            default: text.append(character)
            }
        }
        throw unclosed("$'")
    }

    private static func unclosed(_ quote: String) -> CurlImport.Failure {
        CurlImport.Failure(description: "the command line has an unclosed \(quote) quote")
    }
}
