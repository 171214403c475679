import Foundation
import StrainContract
import StrainTestSupport
import Testing
@testable import StrainLoad

/// Servers that try to steer load somewhere else, and values that try to put extra requests on the
/// wire: real loopback servers count what reached them.
@Suite("HTTP against hostile servers and values", .serialized)
struct HostileHTTPTests {
    @Test(arguments: [ScriptedServer.Address.ipv4, .ipv6])
    func aRedirectToAHostOutsideTheAllowListIsNeverSent(victimAddress: ScriptedServer.Address) throws {
        let victim = try ScriptedServer(victimAddress) { _ in ScriptedServer.response(status: "200 OK", body: "stolen") }
        defer { victim.stop() }
        // Same machine, other spellings: "localhost" (resolving to 127.0.0.1) and "[::1]".
        let location = victimAddress == .ipv4 ? "http://localhost:\(victim.port)/" : victim.url + "/"
        let origin = try ScriptedServer { _ in ScriptedServer.response(status: "302 Found", headers: ["Location: \(location)"]) }
        defer { origin.stop() }

        let outcome = try runLoad("""
        { name: "redirect", target: { baseURL: "\(origin.url)", allow: ["127.0.0.1"], redirects: 5 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 3 }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 3)
        #expect(step.errors.map(\.label) == ["redirect not allowed"])
        #expect(step.errors.first?.example.contains(location) == true)
        #expect(origin.receivedRequestLines.count == 3)
        #expect(victim.receivedRequestLines.isEmpty)
        // Checked before the host is looked up: not even a connection reaches it.
        #expect(victim.acceptedConnections == 0)
    }

    /// A redirect that may not be followed is refused as one: to a host outside the allow list (checked
    /// before it is looked up, so one that does not resolve is not a DNS failure), or to a scheme other
    /// than http and https.
    @Test(arguments: [
        ("http://strain-test-nowhere.invalid/", "its host is not in target.allow"),
        ("ftp://127.0.0.1/file", "only http and https are followed"),
        ("file:///etc/passwd", "only http and https are followed"),
    ])
    func aRedirectThatMayNotBeFollowedIsRefusedAsARedirect(location: String, reason: String) throws {
        let origin = try ScriptedServer { _ in ScriptedServer.response(status: "302 Found", headers: ["Location: \(location)"]) }
        defer { origin.stop() }
        let outcome = try runLoad("""
        { name: "redirect", target: { baseURL: "\(origin.url)", redirects: 5 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 2)
        #expect(step.errors.map(\.label) == ["redirect not allowed"])
        #expect(step.errors.first.map { $0.example.contains(location) && $0.example.contains(reason) } == true, "\(step.errors)")
    }

    /// Through libcurl (redirects on): a status that is no number and a Location no URL parser reads
    /// are the server's faults, labelled as a malformed response, not as the profile's invalid request.
    @Test(arguments: [
        (ScriptedServer.response(status: "2x0 OK"), "Unsupported response code"),
        (ScriptedServer.response(status: "302 Found", headers: ["Location: http://evil\u{1B}[31m.example/x"]), "Location cannot be followed"),
    ])
    func aServersMalformedAnswerIsItsFaultNotTheRequests(response: String, example: String) throws {
        let origin = try ScriptedServer { _ in response }
        defer { origin.stop() }
        let outcome = try runLoad("""
        { name: "faults", target: { baseURL: "\(origin.url)", redirects: 3 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 }, steps: [{ path: "/" }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 2)
        #expect(step.errors.map(\.label) == ["malformed response"], "\(step.errors)")
        #expect(step.errors.first?.example.contains(example) == true, "\(step.errors)")
    }

    @Test func aRedirectWithinTheAllowListIsFollowed() throws {
        let origin = try ScriptedServer { requestLine in
            requestLine.hasPrefix("GET /start ")
                ? ScriptedServer.response(status: "302 Found", headers: ["Location: /end"])
                : ScriptedServer.response(status: "200 OK", body: "arrived")
        }
        defer { origin.stop() }
        let outcome = try runLoad("""
        { name: "redirect", target: { baseURL: "\(origin.url)", redirects: 1 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 },
                        steps: [{ path: "/start", check: { bodyContains: "arrived" } }] }] }
        """)
        #expect(outcome.step().failures == 0)
        #expect(origin.receivedRequestLines.count == 4)
    }

    /// The second step's header takes a value with CR/LF from each source a run renders; the request must
    /// be refused (a fixed label), and the server must see only the first step's requests.
    @Test(arguments: [
        (header: "${env.EVIL}", files: [String: String]()),
        (header: "${rows.value}", files: ["rows.csv": "value\n\"a\r\nGET /smuggled HTTP/1.1\r\nHost: x\"\n"]),
        (header: "${token}", files: [String: String]()),
    ])
    func aHeaderValueWithCRLFIsNeverSent(header: String, files: [String: String]) throws {
        let smuggling = "a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"
        let server = try ScriptedServer { _ in
            ScriptedServer.response(status: "200 OK", headers: ["Content-Type: application/json"],
                                    body: #"{"token": "a\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"}"#)
        }
        defer { server.stop() }
        let feeders = files.isEmpty ? "" : #"feeders: { rows: { csv: "rows.csv" } },"#
        let outcome = try runLoad("""
        { name: "smuggle", target: { baseURL: "\(server.url)" }, \(feeders)
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 },
                        steps: [{ name: "first", path: "/first", extract: { token: "$.token" } },
                                { name: "second", path: "/second", headers: { "X-Value": "\(header)" } }] }] }
        """, environment: ["EVIL": smuggling], files: files)
        let second = outcome.step(0, 1)
        #expect(second.failures == 2)
        #expect(second.errors.map(\.label) == ["invalid header value"])
        #expect(second.errors.first?.example.contains("X-Value") == true)
        #expect(server.receivedRequestLines == ["GET /first HTTP/1.1", "GET /first HTTP/1.1"])
    }

    /// An extracted value with ESC (a terminal's title sequence) is refused like CR/LF: RFC 9110 allows
    /// no control character in a field but tab, and a tab goes through.
    @Test(arguments: [(#"\u001b]0;owned\u0007"#, false), (#"a\tb"#, true)])
    func anExtractedValueWithAControlCharacterOtherThanTabIsNeverSent(token: String, sent: Bool) throws {
        let server = try ScriptedServer { _ in
            ScriptedServer.response(status: "200 OK", headers: ["Content-Type: application/json"], body: #"{"token": "\#(token)"}"#)
        }
        defer { server.stop() }
        let outcome = try runLoad("""
        { name: "escape", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
                        steps: [{ name: "first", path: "/first", extract: { token: "$.token" } },
                                { name: "second", path: "/second", headers: { "X-Value": "${token}" } }] }] }
        """)
        let second = outcome.step(0, 1)
        #expect(second.failures == (sent ? 0 : 1))
        #expect(second.errors.map(\.label) == (sent ? [] : ["invalid header value"]))
        #expect(server.receivedRequestLines == ["GET /first HTTP/1.1"] + (sent ? ["GET /second HTTP/1.1"] : []))
    }

    /// A response refused as malformed (a head of 160 KiB, over the limit) sets no cookie, in either
    /// engine: the next request of the iteration carries none.
    @Test(arguments: [false, true])
    func aResponseRefusedAsMalformedSetsNoCookie(throughLibcurl: Bool) throws {
        let big = try LoopbackHTTPServer(.manyHeaders)
        defer { big.stop() }
        let server = try ScriptedServer { _ in ScriptedServer.response(status: "200 OK", body: "ok") }
        defer { server.stop() }
        // Following redirects is libcurl's work: the same steps go through the other engine.
        let outcome = try runLoad("""
        { name: "cookies", target: { baseURL: "\(server.url)", allow: ["127.0.0.1"]\(throughLibcurl ? ", redirects: 1" : "") },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
                        steps: [{ name: "big", url: "\(big.url)" }, { name: "next", path: "/next" }] }] }
        """)
        #expect(outcome.step(0, 0).errors.map(\.label) == ["malformed response"])
        #expect(outcome.step(0, 1).failures == 0)
        let head = try #require(server.receivedRequestHeads.first)
        #expect(!head.lowercased().contains("cookie"), "\(head)")
    }

    /// Every request refused for its feeder's value: the run's numbers are true (each request an
    /// error, none sent), so it is not the generator's failure: no connection was needed.
    @Test func aRunWhoseEveryRequestIsRefusedBeforeSendingIsNotInvalid() throws {
        let server = try ScriptedServer { _ in ScriptedServer.response(status: "200 OK") }
        defer { server.stop() }
        let outcome = try runLoad("""
        { name: "refused", target: { baseURL: "\(server.url)" }, feeders: { rows: { csv: "rows.csv" } },
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 4 },
                        steps: [{ path: "/", headers: { "X-Value": "${rows.value}" } }] }] }
        """, files: ["rows.csv": "value\n\"a\r\nX-Injected: 1\"\n"])
        let step = outcome.step()
        #expect(step.failures == 4)
        #expect(step.counters["notSent"] == 4)
        #expect(step.errors.map(\.label) == ["invalid header value"])
        #expect(outcome.artifact.validity.valid, "\(outcome.artifact.validity.reasons)")
        #expect(server.acceptedConnections == 0)
    }
}

/// Bodies too large to keep: checks see the first `maxBodyBytes`, and the run goes on.
@Suite("Huge and endless response bodies", .serialized)
struct HugeBodyTests {
    /// The test process's peak resident memory so far. It only rises, so each test measures its own
    /// growth, and the suite runs serialized.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// Writes `count` bytes of `x` (endless when nil) in 1 MiB writes, until done or the client leaves.
    static func writeFiller(_ connection: Int32, count: Int?, chunked: Bool) {
        let block = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let chunkHead = Array(String(block.count, radix: 16).utf8) + Array("\r\n".utf8)
        var left = count ?? .max
        while left > 0 {
            let piece = chunked ? chunkHead + block + Array("\r\n".utf8) : Array(block.prefix(left))
            guard send(connection, piece, piece.count, Int32(MSG_NOSIGNAL)) == piece.count else { return }
            left -= min(left, block.count)
        }
    }

    @Test func anEndlessChunkedBodyEndsWithTheStepTimeout() throws {
        let server = try ScriptedServer { _ in
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        } thenWrite: { Self.writeFiller($0, count: nil, chunked: true) }
        defer { server.stop() }
        let peakBefore = Self.peakResidentBytes()
        let outcome = try runLoad("""
        { name: "endless", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
                        steps: [{ path: "/", timeout: "5s", extract: { id: { regex: "id=(\\\\d+)" } } }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 1)
        #expect(step.errors.map(\.label) == ["timeout"])
        #expect(Self.peakResidentBytes() - peakBefore < 512 << 20, "the body was not buffered")
    }

    @Test func aTwoGigabyteBodyIsCheckedOnItsFirstMaxBodyBytes() throws {
        let length = 2_000_000_000
        let server = try ScriptedServer { _ in
            "HTTP/1.1 200 OK\r\nContent-Length: \(length + 6)\r\n\r\nneedle"
        } thenWrite: { Self.writeFiller($0, count: length, chunked: false) }
        defer { server.stop() }
        let peakBefore = Self.peakResidentBytes()
        let outcome = try runLoad("""
        { name: "huge", target: { baseURL: "\(server.url)" }, defaults: { timeout: "120s", maxBodyBytes: 65536 },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 1 },
                        steps: [{ name: "found", path: "/", check: { bodyContains: "needle" } },
                                { name: "json", path: "/", check: { json: { "$.a": 1 } } }] }] }
        """)
        #expect(Self.peakResidentBytes() - peakBefore < 512 << 20, "the body was not buffered")
        let found = outcome.step(0, 0), json = outcome.step(0, 1)
        #expect(found.failures == 0 && found.counters["truncatedBodies"] == 1)
        #expect(found.counters["bytesIn"] == UInt64(length + 6), "the rest is read, not cut off")
        #expect(json.failures == 1 && json.counters["truncatedBodies"] == 1)
        #expect(json.errors.first?.example.contains("only the body's first 65536 bytes were kept") == true,
                "\(json.errors)")
    }
}
