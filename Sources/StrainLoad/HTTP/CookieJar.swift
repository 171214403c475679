import Foundation

/// The cookies of one iteration, as k6 keeps a jar per virtual user and empties it when an iteration
/// starts: what a response sets (`Set-Cookie`) goes back on the iteration's later requests to matching
/// URLs (`Cookie`). RFC 6265's rules for domain, path, expiry and `Secure`; no public-suffix list (a
/// load test talks to hosts it names) and no third-party policy. Pure logic.
struct CookieJar {
    struct Cookie: Equatable {
        let name: String
        let value: String
        /// Lowercased; with `hostOnly`, only this exact host gets the cookie.
        let domain: String
        let hostOnly: Bool
        let path: String
        let secure: Bool
        /// Seconds since 1970; nil lasts the iteration (a session cookie).
        let expires: Double?
    }

    private(set) var cookies: [Cookie] = []

    var isEmpty: Bool { cookies.isEmpty }

    /// Stores the cookie of one `Set-Cookie` value received from `url`; ignores one it must not keep
    /// (malformed, or a `Domain` the host is not in).
    mutating func store(setCookie header: String, from url: URLParts, now: Double) {
        let attributes = header.split(separator: ";", omittingEmptySubsequences: false)
        guard let pair = attributes.first, let equals = pair.firstIndex(of: "=") else { return }
        let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
        let value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        // A control character would end the Cookie header line it is sent in.
        guard !name.isEmpty, !(name + value).unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return }
        var domain: String?
        var path: String?
        var secure = false
        var maxAge: Double?
        var expires: Double?
        for attribute in attributes.dropFirst() {
            let parts = attribute.split(separator: "=", maxSplits: 1)
            let key = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            switch key {
            case "domain" where !argument.isEmpty:
                domain = (argument.hasPrefix(".") ? String(argument.dropFirst()) : argument).lowercased()
            case "path" where argument.hasPrefix("/"): path = argument
            case "secure": secure = true
            case "max-age": maxAge = Double(argument)
            case "expires": expires = HTTPDate.seconds(argument)
            default: break
            }
        }
        if let domain, !Self.domainMatches(url.host, domain) { return }
        let expiry = maxAge.map { now + $0 } ?? expires
        cookies.removeAll { $0.name == name && $0.domain == (domain ?? url.host) && $0.path == (path ?? Self.defaultPath(url.path)) }
        if let expiry, expiry <= now { return } // an expiry in the past deletes the cookie
        cookies.append(Cookie(name: name, value: value, domain: domain ?? url.host, hostOnly: domain == nil,
                              path: path ?? Self.defaultPath(url.path), secure: secure, expires: expiry))
    }

    /// The `Cookie` header value for a request to `url`: "a=1; b=2", longer paths first; nil when none match.
    func header(for url: URLParts, now: Double) -> String? {
        let matching = cookies.filter { cookie in
            (cookie.hostOnly ? url.host == cookie.domain : Self.domainMatches(url.host, cookie.domain))
                && Self.pathMatches(url.path, cookie.path) && (!cookie.secure || url.secure)
                && (cookie.expires.map { $0 > now } ?? true)
        }
        guard !matching.isEmpty else { return nil }
        return matching.enumerated().sorted { left, right in
            left.element.path.count != right.element.path.count ? left.element.path.count > right.element.path.count : left.offset < right.offset
        }.map { "\($0.element.name)=\($0.element.value)" }.joined(separator: "; ")
    }

    static func domainMatches(_ host: String, _ domain: String) -> Bool {
        host == domain || (host.hasSuffix("." + domain) && !host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" })
    }

    static func pathMatches(_ requestPath: String, _ cookiePath: String) -> Bool {
        requestPath == cookiePath || (requestPath.hasPrefix(cookiePath)
            && (cookiePath.hasSuffix("/") || requestPath.dropFirst(cookiePath.count).hasPrefix("/")))
    }

    /// RFC 6265 5.1.4: the request path up to its last "/", or "/".
    static func defaultPath(_ path: String) -> String {
        guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}

/// What cookie matching needs of a request URL: its lowercased host, its path and whether it is https.
struct URLParts: Equatable {
    let host: String
    let path: String
    let secure: Bool

    init(host: String, path: String, secure: Bool) {
        self.host = host.lowercased()
        self.path = path.isEmpty ? "/" : path
        self.secure = secure
    }

    /// From an absolute http(s) URL; nil for anything else.
    init?(url: String) {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        let path = rest[authorityEnd...].prefix { $0 != "?" && $0 != "#" }
        self.init(host: String(host), path: String(path), secure: scheme == "https")
    }
}

/// HTTP dates as `Expires` writes them (RFC 6265 5.1.1, simplified): day of month, month name, year
/// and hh:mm:ss in any order, always UTC.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func seconds(_ text: String) -> Double? {
        var day: Int?, month: Int?, year: Int?, time: (Int, Int, Int)?
        for token in text.split(whereSeparator: { " ,-".contains($0) }) {
            let lower = token.lowercased()
            if time == nil, token.contains(":") {
                let parts = token.split(separator: ":").compactMap { Int($0) }
                if parts.count == 3 { time = (parts[0], parts[1], parts[2]) }
            } else if month == nil, let index = months.firstIndex(where: { lower.hasPrefix($0) }) {
                month = index + 1
            } else if let number = Int(token) {
                if day == nil, token.count <= 2 { day = number } else if year == nil { year = number < 100 ? number + (number < 70 ? 2000 : 1900) : number }
            }
        }
        guard let day, let month, let year, let time else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = time.0
        components.minute = time.1
        components.second = time.2
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)?.timeIntervalSince1970
    }
}
