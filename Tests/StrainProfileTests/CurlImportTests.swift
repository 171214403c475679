import Foundation
import Testing
@testable import StrainProfile

/// `strain import curl` reading a command line as curl would send it.
@Suite("CurlImport")
struct CurlImportTests {
    /// The header lines of the request a curl command line makes, "Name: value" in order.
    static func headers(_ words: [String]) throws -> [String] {
        let request = try #require(try CurlImport.draft(["curl", "http://127.0.0.1:18550/a"] + words, keepCredentials: true).requests.first)
        return request.headers.map { "\($0.name): \($0.value)" }
    }

    /// curl adds Content-Type for -d, User-Agent for -A, Referer for -e, Authorization for -u, Cookie for -b,
    /// Content-Type and Accept for --json, unless an -H names that header, before or after the option.
    @Test(arguments: [
        (["-d", "x", "-H", "Content-Type: application/json"], ["Content-Type: application/json"]),
        (["-H", "content-type: text/plain", "-d", "x"], ["content-type: text/plain"]),
        (["-d", "x"], ["Content-Type: application/x-www-form-urlencoded"]),
        (["-G", "-d", "x"], []),
        (["-A", "ua1", "-H", "User-Agent: ua2"], ["User-Agent: ua2"]),
        (["-H", "User-Agent: ua2", "-A", "ua1"], ["User-Agent: ua2"]),
        (["-A", "ua1", "-A", "ua2"], ["User-Agent: ua2"]),
        (["-e", "r1", "-H", "Referer: r2"], ["Referer: r2"]),
        (["-u", "al:pw", "-H", "Authorization: Bearer X"], ["Authorization: Bearer X"]),
        (["-u", "al:pw"], ["Authorization: Basic YWw6cHc="]),
        (["-b", "a=1", "-b", "b=2"], ["Cookie: a=1; b=2"]),
        (["-b", "a=1", "-H", "Cookie: c=3"], ["Cookie: c=3"]),
        (["--json", "{}", "-H", "Accept: text/plain"], ["Content-Type: application/json", "Accept: text/plain"]),
        (["-d", "x", "--json", "{}"], ["Content-Type: application/json", "Accept: application/json"]),
        // Nothing after the colon: curl sends no such header, neither its own nor an empty one.
        (["-A", "ua1", "-H", "User-Agent:"], []),
        (["-H", "X-Empty:"], []),
        // A repeated -H is sent twice (the profile joins them into one header).
        (["-H", "X: 1", "-H", "X: 2"], ["X: 1", "X: 2"]),
    ])
    func anExplicitHeaderReplacesTheOneAnOptionWouldAdd(options: [String], expected: [String]) throws {
        #expect(try Self.headers(options) == expected)
    }

    /// --data-urlencode as curl reads it: the first "=" ends the name (which is sent as written), a
    /// lone "=" sends no name, and without "=" an "@" reads a file (refused, never sent as text).
    @Test(arguments: [
        ("a b&c", "a+b%26c"),
        ("=a b", "a+b"),
        ("n=a b", "n=a+b"),
        ("x@y=1@2", "x@y=1%402"),
        ("name@/etc/passwd", nil),
        ("@/etc/passwd", nil),
    ] as [(String, String?)])
    func dataURLEncodeSendsWhatCurlSends(argument: String, body: String?) {
        #expect(CurlImport.urlencodedData(argument) == body)
    }
}
