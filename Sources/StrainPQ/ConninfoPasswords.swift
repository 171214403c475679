internal import CLibPQ

/// Keeps connection passwords out of anything Strain prints.
///
/// libpq echoes parts of a connection string it cannot parse (a malformed URI is quoted
/// whole), so a password is looked for in the text itself too, not only where libpq found it.
enum ConninfoPasswords {
    static let mask = "***"

    /// `conninfo` (key=value or URI) rendered as key=value pairs with the password masked.
    /// Text libpq cannot parse comes back as given, with the password text masked.
    static func redacted(conninfo: String) -> String {
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &parseError) else {
            PQfreemem(parseError)
            return scrub(conninfo, secrets: passwordTexts(in: conninfo))
        }
        defer { PQconninfoFree(options) }
        var pairs: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let key = String(cString: keyword)
                pairs.append("\(key)=\(key == "password" ? mask : quotedValue(String(cString: value)))")
            }
            option += 1
        }
        return pairs.joined(separator: " ")
    }

    /// `text` with every occurrence of each secret replaced by the mask, longest first so a
    /// secret that contains another is masked whole.
    static func scrub(_ text: String, secrets: [String]) -> String {
        secrets.filter { !$0.isEmpty }
            .sorted { $0.count > $1.count }
            .reduce(text) { $0.replacing($1, with: mask) }
    }

    /// Every spelling of a password in a connection string as typed: the raw and decoded
    /// forms in a URI, the value (and any stray words after it) in key=value form.
    static func passwordTexts(in conninfo: String) -> [String] {
        let text = Substring(conninfo).drop(while: \.isWhitespace)
        // Any scheme, in any case and with any number of slashes ("POSTGRESQL://", "postgresql:/"):
        // libpq refuses those and quotes them whole, so their user info must be found here.
        if let colon = text.firstIndex(of: ":"), text.first?.isLetter == true,
           text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }) {
            return uriPasswordTexts(text[text.index(after: colon)...].drop { $0 == "/" })
        }
        return keywordValuePasswordTexts(text)
    }

    // MARK: URI form: postgresql://user:password@host/db?password=…

    private static func uriPasswordTexts(_ afterScheme: Substring) -> [String] {
        let (beforeQuery, query) = splitOnce(afterScheme, at: "?")
        var found: [Substring] = []
        // The last "@" ends the user info even if the password has an unencoded "@".
        if let at = beforeQuery.lastIndex(of: "@") {
            let (_, password) = splitOnce(beforeQuery[..<at], at: ":")
            if let password { found.append(password) }
        }
        for parameter in (query ?? "").split(separator: "&") {
            let (name, value) = splitOnce(parameter, at: "=")
            if name == "password", let value { found.append(value) }
        }
        return found.flatMap { [String($0), percentDecoded($0)] }
    }

    private static func splitOnce(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Substring(text).utf8[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2,
               let decoded = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(decoded)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: key=value form: host=… password='…' …

    private static func keywordValuePasswordTexts(_ text: Substring) -> [String] {
        var found: [String] = []
        var rest = text
        while let keywordRange = rest.firstRange(of: "password") {
            rest = rest[keywordRange.upperBound...].drop(while: \.isWhitespace)
            guard rest.first == "=" else { continue }
            rest = rest.dropFirst().drop(while: \.isWhitespace)
            let (raw, value, afterValue) = readValue(rest)
            found += [String(raw), value]
            // Words that follow but are not "key=" are what libpq reports as `missing "=" after "word"`.
            rest = afterValue
            while let next = readWord(rest), !next.rest.drop(while: \.isWhitespace).hasPrefix("=") {
                found.append("\"\(next.word)\"")
                rest = next.rest
            }
        }
        return found
    }

    /// A value as libpq reads it: 'single quoted' with backslash escapes, or up to whitespace.
    /// Returns the raw text, the value it stands for, and what follows.
    private static func readValue(_ text: Substring) -> (raw: Substring, value: String, rest: Substring) {
        guard text.first == "'" else {
            let end = text.firstIndex(where: \.isWhitespace) ?? text.endIndex
            return (text[..<end], String(text[..<end]), text[end...])
        }
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex, text[index] != "'" {
            if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
            value.append(text[index])
            index = text.index(after: index)
        }
        let end = index < text.endIndex ? text.index(after: index) : index
        return (text[..<end], value, text[end...])
    }

    private static func readWord(_ text: Substring) -> (word: Substring, rest: Substring)? {
        let start = text.drop(while: \.isWhitespace)
        let word = start.prefix { !$0.isWhitespace && $0 != "=" }
        return word.isEmpty ? nil : (word, start[word.endIndex...])
    }

    /// Quotes a value the way libpq's key=value syntax needs when it is empty or has
    /// spaces, quotes or backslashes.
    private static func quotedValue(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\\" }) else {
            return value
        }
        let escaped = value.replacing("\\", with: "\\\\").replacing("'", with: "\\'")
        return "'\(escaped)'"
    }
}
