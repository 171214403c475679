import Foundation
import Testing
@testable import StrainProfile

/// The profile a draft writes, checked before it is written.
@Suite("ProfileDraft")
struct ProfileDraftTests {
    static func request(_ url: String, entry: Int) throws -> ImportedRequest {
        try ImportedRequest(method: "GET", url: url, headers: [], body: nil, origin: "s.har:\(entry + 3):5: log.entries[\(entry)].request")
    }

    /// The generated text is never shown, so its lines would point nowhere: a problem in a step names the
    /// HAR entry of its request, any other problem what was imported.
    @Test func aProblemOfTheProfileNamesWhereItsRequestWasRead() throws {
        var draft = ProfileDraft(name: "s", source: "s.har", origin: "dir/s.har",
                                 requests: [try Self.request("http://127.0.0.1:9/a", entry: 0), try Self.request("http://127.0.0.1:9/b", entry: 1)],
                                 keepCredentials: false)
        draft.requests[1].url = "http://127.0.0.1:9/b c"
        #expect(Self.problem(of: draft) == "s.har:4:5: log.entries[1].request: makes a profile that would not be valid, so none was written: "
                + "scenarios[0].steps[1].path: a URL cannot hold a space or a control character (found U+0020); write it percent-encoded, e.g. %20 for a space")

        draft.requests[1].url = "http://127.0.0.1:9/b"
        draft.targetSettings.append(("redirects", "1000"))
        #expect(Self.problem(of: draft) == "dir/s.har: makes a profile that would not be valid, so none was written: target.redirects: "
                + "must be at most 100, found 1000")
    }

    /// `strain validate` refuses a profile over 16 MiB: a draft that large is refused before it is written
    /// (a body over it at once, without writing it out), naming the largest body's request.
    @Test(arguments: [
        ([("a", Limits.profileBytes + 1)],
         "s.har:3:5: log.entries[0].request: its body of 16,777,217 bytes makes a profile larger than 16 MiB, the most a profile may be, so none was written; save the body to a file"),
        ([("a", 9 << 20), ("a", 8 << 20)],
         "dir/s.har: makes a profile larger than 16 MiB, the most a profile may be, so none was written; its largest body, of 9,437,184 bytes, is at s.har:3:5: log.entries[0].request"),
        // Escaped, 9 MiB of quotes take 18 MiB.
        ([("\"", 9 << 20)],
         "dir/s.har: makes a profile larger than 16 MiB, the most a profile may be, so none was written; its largest body, of 9,437,184 bytes, is at s.har:3:5: log.entries[0].request"),
    ])
    func aProfileLargerThanAProfileMayBeIsRefused(bodies: [(character: String, count: Int)], message: String) throws {
        var requests: [ImportedRequest] = []
        for (entry, body) in bodies.enumerated() {
            var request = try Self.request("http://127.0.0.1:9/a", entry: entry)
            request.body = String(repeating: body.character, count: body.count)
            requests.append(request)
        }
        let draft = ProfileDraft(name: "s", source: "s.har", origin: "dir/s.har", requests: requests, keepCredentials: false)
        let problem = try #require(Self.problem(of: draft))
        #expect(problem.hasPrefix(message), "\(problem)")
    }

    static func problem(of draft: ProfileDraft) -> String? {
        do {
            _ = try draft.validatedJSON5(baseDirectory: URL(fileURLWithPath: "/"))
            return nil
        } catch {
            return error.description
        }
    }

    /// What a browser sends: non-ASCII characters of a URL percent-encoded as UTF-8, a non-ASCII host in
    /// its IDNA form; the step's name reads the path decoded, with what a name refuses as code points.
    @Test(arguments: [
        ("http://127.0.0.1:9/é\u{202E}", #"{ name: "GET /éU+202E", path: "/%C3%A9%E2%80%AE" }"#, #"allow: ["127.0.0.1"]"#),
        ("http://127.0.0.1:9/café?q=ü#frag", #"{ name: "GET /café", path: "/caf%C3%A9?q=%C3%BC" }"#, #"baseURL: "http://127.0.0.1:9""#),
        ("http://127.0.0.1:9/a%1Bb%0Ac", #"{ name: "GET /aU+001BbU+000Ac", path: "/a%1Bb%0Ac" }"#, #"allow: ["127.0.0.1"]"#),
        ("http://ÄL:pw@exämple.com:8080/ü", #"{ name: "GET /ü", path: "/%C3%BC" }"#, #"baseURL: "http://xn--exmple-cua.com:8080", allow: ["xn--exmple-cua.com"]"#),
        ("http://127.0.0.1:9/" + String(repeating: "a", count: 300), #"name: "GET /\#(String(repeating: "a", count: 94))…""#, "allow"),
    ])
    func aURLIsWrittenAsABrowserSendsIt(url: String, step: String, target: String) throws {
        let draft = ProfileDraft(name: "s", source: "s.har", origin: "s.har", requests: [try Self.request(url, entry: 0)], keepCredentials: false)
        let text = try draft.validatedJSON5(baseDirectory: URL(fileURLWithPath: "/"))
        #expect(text.contains(step), "\(text)")
        #expect(text.contains(target), "\(text)")
    }
}
