import Testing
@testable import StrainLoad

/// RFC 6265's storage and matching rules, as the iteration's jar applies them.
struct CookieJarTests {
    static let now = 1_800_000_000.0
    static let login = URLParts(host: "shop.test", path: "/account/login", secure: false)

    static func jar(_ headers: [String], from url: URLParts = login) -> CookieJar {
        var jar = CookieJar()
        for header in headers { jar.store(setCookie: header, from: url, now: now) }
        return jar
    }

    @Test(arguments: [
        // Default path: the login's directory, /account.
        (["a=1"], "http://shop.test/account/orders", "a=1"),
        (["a=1"], "http://shop.test/other", nil),
        (["a=1"], "http://shop.test/accounting", nil),
        (["a=1; Path=/"], "http://shop.test/other", "a=1"),
        // Host-only without Domain; Domain covers subdomains.
        (["a=1; Path=/"], "http://www.shop.test/", nil),
        (["a=1; Path=/; Domain=.shop.test"], "http://www.shop.test/", "a=1"),
        (["a=1; Path=/; Domain=other.test"], "http://other.test/", nil),
        // Secure only over https.
        (["a=1; Path=/; Secure"], "http://shop.test/", nil),
        (["a=1; Path=/; Secure"], "https://shop.test/", "a=1"),
        // Expiry: in the past deletes, in the future keeps; Max-Age wins over Expires.
        (["a=1; Path=/", "a=2; Path=/; Max-Age=0"], "http://shop.test/", nil),
        (["a=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "http://shop.test/", nil),
        (["a=1; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT"], "http://shop.test/", "a=1"),
        (["a=1; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "http://shop.test/", "a=1"),
        // A new value replaces the old; longer paths are sent first.
        (["a=1; Path=/", "a=2; Path=/"], "http://shop.test/", "a=2"),
        (["a=1; Path=/", "b=2; Path=/account"], "http://shop.test/account/x", "b=2; a=1"),
        // Nothing that could end the header line, and no nameless cookie.
        (["a=1\r\nX: y; Path=/", "=v; Path=/", "novalue"], "http://shop.test/", nil),
    ] as [([String], String, String?)])
    func storesAndMatches(setCookies: [String], request: String, expected: String?) throws {
        let url = try #require(URLParts(url: request))
        #expect(Self.jar(setCookies).header(for: url, now: Self.now) == expected)
    }

    @Test(arguments: [
        ("http://Shop.Test:8080/a/b?c=d#e", URLParts(host: "shop.test", path: "/a/b", secure: false)),
        ("https://user:pw@[::1]:8443", URLParts(host: "::1", path: "/", secure: true)),
        ("ftp://shop.test/", nil),
    ] as [(String, URLParts?)])
    func urlPartsFromAURL(url: String, expected: URLParts?) {
        #expect(URLParts(url: url) == expected)
    }

    @Test(arguments: [
        ("Thu, 01 Jan 1970 00:00:10 GMT", 10.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("not a date", nil),
    ] as [(String, Double?)])
    func httpDates(text: String, seconds: Double?) {
        #expect(HTTPDate.seconds(text) == seconds)
    }
}
