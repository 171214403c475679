import Foundation
import StrainProfile
import StrainTestSupport
import Testing
@testable import StrainLoad

/// The lean engine's pure parts (which profiles it takes, the request bytes it builds) and whole runs
/// against loopback servers that misbehave in one precise way each.
@Suite("lean HTTP/1.1 engine", .serialized)
struct LeanHTTPEngineTests {
    /// Renders every reference as its description in brackets.
    struct BracketRenderer: TemplateRendering {
        func render(_ template: Template) throws(StepFailure) -> String {
            template.render { "[\($0)]" }
        }

        func render(_ json: JSONTemplate) throws(StepFailure) -> String {
            json.render { "[\($0)]" }
        }
    }

    static func request(_ stepText: String, target: String = #"baseURL: "http://example.test:8080""#) throws -> HTTPRequestTemplate {
        let profile = try TestProfile.parse("""
        { name: "t", target: { \(target) }, scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [\(stepText)] }] }
        """)
        guard case .http(let request) = profile.scenarios[0].steps[0].action else { throw CancellationError() }
        return try #require(HTTPRequestTemplate(request, fileBody: nil))
    }

    static func text(_ template: HTTPRequestTemplate) throws -> String {
        String(decoding: try template.bytes(rendering: BracketRenderer()).bytes, as: UTF8.self)
    }

    @Test func aRequestWithoutReferencesIsBuiltOnce() throws {
        let template = try Self.request(#"{ path: "/a?b=c#fragment", headers: { "X-One": "1" } }"#)
        #expect(template.fixedBytes != nil)
        #expect(try Self.text(template) == "GET /a?b=c HTTP/1.1\r\nHost: example.test:8080\r\nAccept: */*\r\nX-One: 1\r\n\r\n")
        #expect(template.origin.host == "example.test" && template.origin.port == 8080)
    }

    @Test func onlyTheVaryingPartsAreRendered() throws {
        let template = try Self.request(#"{ method: "POST", path: "/o/${env.ID}", headers: { Accept: "text/plain", "X-Token": "${env.TOKEN}" }, body: "n=${env.N}" }"#)
        #expect(template.fixedBytes == nil)
        #expect(try Self.text(template) == "POST /o/[env.ID] HTTP/1.1\r\nHost: example.test:8080\r\nAccept: text/plain\r\nX-Token: [env.TOKEN]\r\nContent-Length: 9\r\n\r\nn=[env.N]")
        let json = try Self.request(#"{ method: "PUT", path: "/", body: { a: 1 } }"#)
        #expect(try Self.text(json) == "PUT / HTTP/1.1\r\nHost: example.test:8080\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        #expect(try json.bytes(rendering: BracketRenderer()).bodyLength == 7)
    }

    @Test func aRenderedValueThatWouldSplitTheRequestIsRefused() throws {
        struct Evil: TemplateRendering {
            func render(_ template: Template) throws(StepFailure) -> String { template.render { _ in "a\r\nX: b" } }
            func render(_ json: JSONTemplate) throws(StepFailure) -> String { "" }
        }
        let header = try Self.request(#"{ path: "/", headers: { "X-V": "${env.V}" } }"#)
        #expect(throws: StepFailure.self) { try header.bytes(rendering: Evil()) }
        let path = try Self.request(#"{ path: "/${random(1, 9)}" }"#)
        #expect(throws: StepFailure.self) { try path.bytes(rendering: Evil()) }
    }

    @Test func plainHTTP11WithoutRedirectsIsLean() throws {
        func lean(_ target: String) throws -> Bool {
            let profile = try TestProfile.parse("""
            { name: "t", target: { \(target) }, scenarios: [{ name: "s", load: { rate: "1/s", duration: "1s" }, steps: [{ path: "/" }] }] }
            """)
            return LeanHTTPEngine.canDrive(profile, scenarios: [0])
        }
        #expect(try lean(#"baseURL: "http://127.0.0.1:1""#))
        #expect(try !lean(#"baseURL: "http://127.0.0.1:1", redirects: 1"#))
        #expect(try !lean(#"baseURL: "https://127.0.0.1:1""#))
        #expect(try !lean(#"baseURL: "http://127.0.0.1:1", http: "h2c""#))
        #expect(try !lean(#"baseURL: "http://u:p@127.0.0.1:1""#))
    }

    /// Servers that answer correctly but awkwardly: every request must succeed, on connections reused
    /// where the server allows it and replaced where it closed them.
    @Test(arguments: [
        (LoopbackHTTPServer.Behavior.splitWrites, UInt64(2)),
        (.closeAfterEachResponse, UInt64(20)),
    ])
    func awkwardButCorrectServers(behavior: LoopbackHTTPServer.Behavior, connections: UInt64) throws {
        let server = try LoopbackHTTPServer(behavior)
        let outcome = try runLoad("""
        { name: "awkward", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 2, iterations: 20 },
                        steps: [{ path: "/", check: { bodyContains: "ok" } }] }] }
        """)
        let step = outcome.step()
        #expect(step.failures == 0, "\(step.errors)")
        #expect(step.requests == 20)
        #expect(step.counters["bytesIn"] == 40)
        // Closing after each response may be seen before or after the next request is sent: at least one
        // connection per request, plus the resends of requests that met a closed one.
        #expect((step.counters["newConnections"] ?? 0) >= connections)
    }

    @Test func oversizedHeadersAreAMalformedResponse() throws {
        let server = try LoopbackHTTPServer(.oversizedHeaders)
        let outcome = try runLoad("""
        { name: "big", target: { baseURL: "\(server.url)" },
          scenarios: [{ name: "s", load: { model: "closed", connections: 1, iterations: 2 }, steps: [{ path: "/" }] }] }
        """)
        #expect(outcome.step().errors.map(\.label) == ["malformed response"])
        #expect(outcome.step().errors.first?.example.contains("larger than 100 KiB") == true)
    }

    /// A name such as localhost gives ::1 before 127.0.0.1 where /etc/hosts lists both; a server listening
    /// on 127.0.0.1 alone refuses ::1, and requests go to the address that accepts.
    @Test func theFirstAddressThatAcceptsIsTaken() throws {
        let server = try LoopbackHTTPServer(.answer(after: .zero))
        let ipv6 = try SocketAddress.resolveAll(host: "::1", port: server.port).get()
        let ipv4 = try SocketAddress.resolveAll(host: "127.0.0.1", port: server.port).get()
        #expect(SocketAddress.firstAccepting(ipv6 + ipv4)?.family == AF_INET)
        #expect(SocketAddress.firstAccepting(ipv4 + ipv6)?.family == AF_INET)
    }

    @Test func noAddressAcceptsWhenNothingListens() throws {
        let port = try TestServers.closedPort()
        let addresses = try SocketAddress.resolveAll(host: "::1", port: port).get()
            + SocketAddress.resolveAll(host: "127.0.0.1", port: port).get()
        #expect(SocketAddress.firstAccepting(addresses) == nil)
        // A single address is taken untried: its requests say why it failed.
        #expect(SocketAddress.firstAccepting(Array(addresses.suffix(1)))?.family == AF_INET)
    }
}
