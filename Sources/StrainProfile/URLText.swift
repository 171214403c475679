import Foundation

/// URLs as they may be shown: in step names, reports, error examples and on the terminal.
public enum URLText {
    /// `url` with the password of its userinfo replaced by `***` ("http://alice:***@host/"), so a
    /// credential written in a URL never reaches an output. Text that is not a URL comes back unchanged.
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        let authority = url[schemeEnd.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<authority.index(after: colon)]) + "***" + String(url[at...])
    }

    /// Why URL text written in a profile cannot go on the wire as written, or nil: a space or a
    /// control character would end the request line (a CR LF would start a header line of the
    /// profile's making). The character is named by code point, not echoed.
    public static func unsendableCharacter(in text: String) -> String? {
        guard let character = text.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return nil }
        return "a URL cannot hold a space or a control character (found \(TerminalText.codePoint(character))); write it percent-encoded, e.g. %20 for a space"
    }

    /// Why the port written in the absolute URL `url` cannot be connected to, or nil (none written, or
    /// 1–65535). Read from the text: URLComponents takes a port past Int's range for no port at all,
    /// which would send the load to the scheme's default port.
    public static func portProblem(in url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        var authority = url[schemeEnd.upperBound...].prefix { !"/?#".contains($0) }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        // An IPv6 literal's colons are inside its brackets.
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") { authority = authority[close...] }
        guard let colon = authority.lastIndex(of: ":") else { return nil }
        let digits = authority[authority.index(after: colon)...]
        guard !digits.isEmpty else { return nil }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "the port must be a number from 1 to 65535"
        }
        guard let port = Int(digits), (1...65_535).contains(port) else { return "port \(digits) is outside 1–65535" }
        return nil
    }
}
