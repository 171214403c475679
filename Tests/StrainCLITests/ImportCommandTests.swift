import Foundation
import StrainContract
import StrainTestSupport
import Testing

/// `strain import har|curl` through the built binary: the profile it writes validates, replays the
/// recording against the test nginx, and hostile input is refused with its location (exit 2).
@Suite("strain import")
struct ImportCommandTests {
    static let fixture = StrainProcess.packageRoot.appendingPathComponent("Tests/StrainCLITests/Import/session.har")

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("strain-import-\(UUID().uuidString)-\(name)")
    }

    /// The fixture with its recorded host (127.0.0.1:18080) replaced by the test nginx's.
    static func fixtureForTestServer() throws -> URL {
        let recorded = try String(contentsOf: fixture, encoding: .utf8)
        let server = try #require(URL(string: TestServers.httpURL))
        let file = temporaryFile("session.har")
        try recorded.replacing("127.0.0.1:18080", with: "127.0.0.1:\(server.port ?? 80)")
            .replacing("localhost:18080", with: "localhost:\(server.port ?? 80)")
            .write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func aHARRecordingBecomesAProfileThatValidatesAndReplays() throws {
        let har = try Self.fixtureForTestServer()
        let profile = Self.temporaryFile("session.json5")
        let out = RunCommandTests.outputFolder()
        defer { for url in [har, profile, out] { try? FileManager.default.removeItem(at: url) } }

        let imported = try StrainProcess.run(["import", "har", har.path, "--out", profile.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("wrote \(profile.path) (3 steps)"))
        let text = try String(contentsOf: profile, encoding: .utf8)
        // Steps in the recorded order, with methods, headers and bodies; templates never injected.
        let order = ["\"GET /index.html\"", "\"POST /user.json\"", "\"POST /login\""].compactMap { text.range(of: $0)?.lowerBound }
        #expect(order.count == 3 && order == order.sorted())
        #expect(text.contains(#"headers: { "Accept": "text/html" }"#))
        #expect(text.contains(#""X-Trace": "a, b""#))
        #expect(text.contains(#"user.json?from=$${home}"#))
        #expect(text.contains(#"body: "{\"user\":\"ada\",\"n\":\"$${x}\"}""#))
        #expect(text.contains(#"body: "user=ada+lovelace&next=%2Fa%26b""#))
        #expect(text.contains(#"allow: ["127.0.0.1", "localhost"]"#))
        // Credentials and client-managed headers are left out, and the comments say so.
        #expect(!text.contains("s3cr3t") && !text.contains("Bearer") && !text.contains(#""Content-Length""#)
                && !text.contains(":authority") && !text.contains(#""Host""#) && !text.contains(#""Connection""#))
        #expect(text.contains("// Left out, as credentials of the recorded session: authorization (1×), cookie (1×)."))
        #expect(text.contains("Accept-Encoding"))

        let validated = try StrainProcess.run(["validate", profile.path])
        #expect(validated.status == 0, "\(validated.stderr)")

        let run = try StrainProcess.run(["run", profile.path, "--quiet", "--out", out.path], timeLimit: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let steps = try #require(try RunCommandTests.artifact(in: out).scenarios.first?.steps)
        #expect(steps.map(\.name) == ["GET /index.html", "POST /user.json", "POST /login"])
        #expect(steps.allSatisfy { $0.requests == 1 })
        #expect(steps[0].statuses == ["200": 1])
    }

    /// A browser's recording holds inline images and WebSocket upgrades too: left out, and said so.
    @Test func entriesThatAreNotHTTPAreLeftOutAndCounted() throws {
        let file = Self.temporaryFile("browser.har")
        defer { try? FileManager.default.removeItem(at: file) }
        let entries = ["data:image/png;base64,AAAA", "http://127.0.0.1:9/page", "WSS://127.0.0.1:9/live", "data:text/css,a{}"].map { url in
            #"{"request": {"method": "GET", "url": "\#(url)"}, "response": {}}"#
        }
        try #"{"log": {"version": "1.2", "entries": [\#(entries.joined(separator: ","))]}}"#.write(to: file, atomically: true, encoding: .utf8)
        let imported = try StrainProcess.run(["import", "har", file.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("// Left out: recorded entries that are not HTTP requests: 2 data: entries, 1 wss: entry."))
        #expect(imported.stdout.contains(#"path: "/page""#))
        #expect(!imported.stdout.contains("base64"))
    }

    /// The recording's file name is quoted in the profile's first comment: a line break in it
    /// (a line feed, or JSON5's U+2028) must not end the comment and make the rest profile code, and
    /// the profile's name, taken from it, holds no control character.
    @Test func aFileNameWithLineBreaksStaysInsideItsComment() throws {
        let file = Self.temporaryFile("evil\n{name:\"PWN\"}\u{2028}x\tz.har")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.har(request: #"{"method": "GET", "url": "http://127.0.0.1:9/page"}"#).write(to: file, atomically: true, encoding: .utf8)
        let imported = try StrainProcess.run(["import", "har", file.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        let first = imported.stdout.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        #expect(first.hasPrefix("// Imported from \(file.lastPathComponent.prefix { $0 != "\n" })"), "\(first)")
        #expect(first.hasSuffix(#"-evilU+000A{name:"PWN"}U+2028xU+0009z.har by `strain import`: one scenario replays the request."#), "\(first)")
        #expect(!imported.stdout.contains("\u{2028}"))
        #expect(imported.stdout.contains(#"-evil-{name:\"PWN\"}-x-z","#), "\(imported.stdout)")
    }

    /// A profile's name is at most 200 characters; a file's name may be longer.
    @Test func aLongFileNameMakesANameThatFits() throws {
        let file = Self.temporaryFile(String(repeating: "n", count: 200) + ".har")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.har(request: #"{"method": "GET", "url": "http://127.0.0.1:9/page"}"#).write(to: file, atomically: true, encoding: .utf8)
        let imported = try StrainProcess.run(["import", "har", file.path])
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    @Test func keepCredentialsKeepsCookiesAndAuthorization() throws {
        let imported = try StrainProcess.run(["import", "har", Self.fixture.path, "--keep-credentials"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains(#""Cookie": "session=s3cr3t""#))
        #expect(imported.stdout.contains(#""Authorization": "Bearer t-0123""#))
        #expect(!imported.stdout.contains("as credentials"))
    }

    /// A HAR whose first entry's request is `request` (JSON).
    static func har(request: String) -> String {
        #"{"log": {"version": "1.2", "entries": [{"request": \#(request), "response": {}}]}}"#
    }

    @Test(arguments: [
        ("{\"log\": {\"entries\": [}}", "hostile.har:1:22: expected a value, found '}'"),
        (har(request: #"{"method": "GET", "url": "http://127.0.0.1/", "headers": [{"name": "X", "value": "a\r\nInjected: 1"}]}"#),
         "log.entries[0].request.headers[0]: the value of header \"X\" contains a control character other than tab"),
        (har(request: #"{"method": "GET", "url": "http://127.0.0.1/", "headers": [{"name": "Bad Name", "value": "a"}]}"#),
         "log.entries[0].request.headers[0]: \"Bad Name\" is not a valid header name"),
        (har(request: #"{"method": "GET", "url": "ws://127.0.0.1/socket"}"#),
         "log.entries: holds no http:// or https:// request to replay (only 1 ws: entry)"),
        (har(request: #"{"method": "GET", "url": "data:image/png;base64,AAAA"}"#),
         "log.entries: holds no http:// or https:// request to replay (only 1 data: entry)"),
        (har(request: #"{"method": "GET", "url": "//127.0.0.1/no-scheme"}"#),
         "log.entries[0].request.url: expected an http:// or https:// URL"),
        (har(request: #"{"method": "G T", "url": "http://127.0.0.1/"}"#), "log.entries[0].request.method: expected an HTTP method"),
        // What the written profile would refuse is said at the recording's key, not at a line of text never shown.
        (har(request: #"{"method": "GET", "url": "http://127.0.0.1/a b"}"#), "log.entries[0].request.url: a URL cannot hold a space"),
        (har(request: #"{"method": "GET", "url": "http://127.0.0.1:99999/"}"#), "log.entries[0].request.url: port 99999 is outside 1–65535"),
        (har(request: #"{"method": "GET", "url": "http:///nohost"}"#), "log.entries[0].request.url: expected a host after http://"),
        (har(request: #"{"url": "http://127.0.0.1/"}"#), "log.entries[0].request: missing required key \"method\""),
        (har(request: #"{"method": "GET", "url": 42}"#), "log.entries[0].request.url: expected a string, found"),
        (har(request: #"{"method": "POST", "url": "http://127.0.0.1/", "postData": {"mimeType": "multipart/form-data; boundary=X", "params": [{"name": "a", "value": "b"}]}}"#),
         "log.entries[0].request.postData: a multipart form recorded without its text cannot be imported"),
        (#"{"log": {"entries": []}}"#, "log.entries: has no entries"),
        (#"{"entries": []}"#, "missing required key \"log\""),
        (#"[1, 2]"#, "expected an object"),
        ("", "1:1: the file is empty; expected a HAR recording like { \"log\": { \"entries\": [ … ] } }"),
        (#"{"log": {"entries": ["#, "is never closed (reached the end of the file)"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nested more than 64 deep"),
        (#"{"log": {"entries": ["# + Array(repeating: har(request: "{}"), count: 1_001).joined(separator: ",") + "]}}",
         "log.entries: has 1,001 elements; at most 1,000 requests"),
    ])
    func hostileHARIsRefusedWithItsLocation(content: String, message: String) throws {
        let file = Self.temporaryFile("hostile.har")
        defer { try? FileManager.default.removeItem(at: file) }
        try content.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try StrainProcess.run(["import", "har", file.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(file.path), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    @Test func aHugeOrBinaryFileIsRefused() throws {
        let huge = Self.temporaryFile("huge.har"), binary = Self.temporaryFile("binary.har")
        defer { for url in [huge, binary] { try? FileManager.default.removeItem(at: url) } }
        // Sparse: 65 MiB long without writing them.
        #expect(FileManager.default.createFile(atPath: huge.path, contents: nil))
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 65 << 20)
        try handle.close()
        let tooLarge = try StrainProcess.run(["import", "har", huge.path])
        #expect(tooLarge.status == 2 && tooLarge.stderr.contains("larger than 64 MiB"), "\(tooLarge.stderr)")

        try Data([0x7B, 0xFF, 0xFE, 0x7D]).write(to: binary)
        let notText = try StrainProcess.run(["import", "har", binary.path])
        #expect(notText.status == 2 && notText.stderr.contains("not UTF-8 text"), "\(notText.stderr)")

        let directory = try StrainProcess.run(["import", "har", FileManager.default.temporaryDirectory.path])
        #expect(directory.status == 2 && directory.stderr.contains("not a regular file"), "\(directory.stderr)")
    }

    /// `strain validate` refuses a profile over 16 MiB, so the import does, at the entry whose body is too
    /// large (it wrote a profile that would not load).
    @Test func aBodyLargerThanAProfileMayBeIsRefusedAtItsEntry() throws {
        let file = Self.temporaryFile("large.har")
        defer { try? FileManager.default.removeItem(at: file) }
        let body = String(repeating: "a", count: 17 << 20)
        try Self.har(request: #"{"method": "POST", "url": "http://127.0.0.1:9/up", "postData": {"text": "\#(body)"}}"#)
            .write(to: file, atomically: true, encoding: .utf8)
        let imported = try StrainProcess.run(["import", "har", file.path])
        #expect(imported.status == 2)
        #expect(imported.stderr.contains("\(file.path):1:52: log.entries[0].request: its body of 17,825,792 bytes makes a profile larger than 16 MiB"),
                "\(imported.stderr)")
        #expect(imported.stdout.isEmpty)
    }

    @Test(arguments: [
        (["curl", "http://127.0.0.1:18080/a?b=1", "-H", "Accept: text/plain", "-sS"],
         [#"{ name: "GET /a", path: "/a?b=1", headers: { "Accept": "text/plain" } }"#]),
        (["curl", "-XPUT", "http://127.0.0.1:18080/x", "--json", #"{"a":"${b}"}"#],
         [#"method: "PUT""#, #"body: "{\"a\":\"$${b}\"}""#, #""Content-Type": "application/json""#]),
        (["curl", "http://127.0.0.1:18080/s", "-G", "-d", "q=1", "--data-urlencode", "w=a b"],
         [#"{ name: "GET /s", path: "/s?q=1&w=a+b" }"#]),
        (["curl 'https://example.test/api' \\\n  -H 'cookie: a=1' \\\n  --data-raw $'{\"n\":\"a\\nb\"}' \\\n  --compressed -k -L"],
         [#"baseURL: "https://example.test", allow: ["example.test"], tls: { insecure: true }, redirects: 10"#,
          #"body: "{\"n\":\"a\nb\"}""#, "cookie (1×)", "Accept-Encoding (1×)"]),
        (["curl", "-u", "ada:pw", "http://127.0.0.1:18080/"], ["authorization (1×)"]),
        // A password in the URL is a credential too.
        (["curl", "http://ada:secret@127.0.0.1:18080/a"], [#"baseURL: "http://127.0.0.1:18080""#, "user:password in the URL (1×)"]),
    ])
    func aCurlCommandLineBecomesAProfile(command: [String], expected: [String]) throws {
        let outcome = try StrainProcess.run(["import", "curl", "--"] + command)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for text in expected {
            #expect(outcome.stdout.contains(text), "\(text) not in\n\(outcome.stdout)")
        }
        #expect(!outcome.stdout.contains("secret"))
        let profile = Self.temporaryFile("curl.json5")
        defer { try? FileManager.default.removeItem(at: profile) }
        try outcome.stdout.write(to: profile, atomically: true, encoding: .utf8)
        let validated = try StrainProcess.run(["validate", "--quiet", profile.path])
        #expect(validated.status == 0, "\(validated.stderr)")
    }

    @Test(arguments: [
        (["curl", "http://127.0.0.1/", "-H", "X: a\r\nInjected: 1"], "header \"X\": the value of header \"X\" contains a control character other than tab"),
        (["curl", "http://127.0.0.1/", "-H", "X: a\nInjected: 1"], "contains a control character other than tab"),
        (["curl", "ftp://127.0.0.1/file"], "the URL: expected an http:// or https:// URL, found a ftp: URL"),
        (["curl", "http://127.0.0.1/", "--proxy", "http://p"], "word 2: curl option --proxy is not supported"),
        (["curl", "http://127.0.0.1/", "-d", "@body.json"], "a body read from a file cannot be imported"),
        (["curl", "http://127.0.0.1/", "--data-urlencode", "name@/etc/passwd"],
         "word 2 (--data-urlencode name@/etc/passwd): a body read from a file cannot be imported"),
        (["curl", "http://127.0.0.1/", "http://127.0.0.1/b"], "word 2 (\"http://127.0.0.1/b\"): a second URL"),
        (["curl", "--url", "http://127.0.0.1/a", "--url", "http://127.0.0.1/b"], "word 3 (--url http://127.0.0.1/b): a second URL"),
        (["curl", "-H"], "curl option -H needs a value"),
        (["curl", "-s"], "no URL in the curl command line"),
        (["curl 'http://127.0.0.1/"], "unclosed ' quote"),
        // Pasted with another command after it: that command is not curl's, and is named as shell syntax.
        (["curl http://127.0.0.1/; touch /tmp/owned"], "has \";\" outside quotes, shell syntax that ends the curl command"),
        (["curl http://127.0.0.1/ | jq ."], "has \"|\" outside quotes"),
        (["curl http://127.0.0.1/ > out.json"], "has \">\" outside quotes"),
    ])
    func badCurlCommandLinesExitTwo(command: [String], message: String) throws {
        let outcome = try StrainProcess.run(["import", "curl", "--"] + command)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    @Test(arguments: [
        (["import"], "expected what to import"),
        (["import", "hra", "x.har"], "did you mean har?"),
        (["import", "har"], "import har takes one HAR file"),
        (["import", "curl"], "needs a curl command line"),
    ])
    func usageMistakesExitTwo(arguments: [String], message: String) throws {
        let outcome = try StrainProcess.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }
}
