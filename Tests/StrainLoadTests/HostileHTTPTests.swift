import Foundation
import StrainMetrics
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
}
