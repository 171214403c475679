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
}
