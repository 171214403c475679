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

    /// Why the port of a parsed URL cannot be connected to, or nil (none given, or 1–65535).
    public static func portProblem(_ components: URLComponents) -> String? {
        guard let port = components.port, !(1...65_535).contains(port) else { return nil }
        return "port \(port) is outside 1–65535"
    }
}
