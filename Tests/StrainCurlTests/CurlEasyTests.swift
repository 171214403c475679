import CCurl
@testable import StrainCurl
import StrainTestSupport
import Testing

// These talk to the nginx that scripts/test starts (see scripts/nginx/nginx.conf.template).

/// A GET with the body collected, performed on the calling thread.
private func get(_ url: String, configure: (CurlEasy) throws -> Void = { _ in }) throws -> CurlEasy {
    let easy = try CurlEasy()
    try easy.setURL(url)
    try configure(easy)
    try easy.perform()
    return easy
}

private func bodyText(_ easy: CurlEasy) -> String {
    String(decoding: easy.responseBody, as: UTF8.self)
}

@Suite("CurlEasy against the test nginx")
struct CurlEasyTests {
    @Test("HTTP/1.1 GET: status, body, ordered timings, and a kept-alive connection")
    func plainGet() throws {
        let easy = try get(TestServers.httpURL + "/1k.bin") { try $0.setHTTPVersion(.http1_1) }
        let first = try easy.transferInfo()
        #expect(first.responseCode == 200)
        #expect(first.httpVersion == .http1_1)
        #expect(easy.responseBody.count == 1024)
        #expect(first.bytesDownloaded == 1024)
        #expect(first.newConnections == 1)
        let timings = first.timings
        #expect(timings.nameLookup <= timings.connect)
        #expect(timings.connect <= timings.preTransfer)
        #expect(timings.preTransfer <= timings.startTransfer)
        #expect(timings.startTransfer <= timings.total)
        #expect(timings.appConnect == 0, "no TLS on plain HTTP")
        #expect(easy.responseHeaders.contains { $0.name.lowercased() == "content-length" && $0.value == "1024" })

        // Same handle, reset, same host: the kept-alive connection must be reused.
        try easy.reset()
        try easy.setURL(TestServers.httpURL + "/index.html")
        try easy.perform()
        let second = try easy.transferInfo()
        #expect(second.responseCode == 200)
        #expect(second.newConnections == 0)
        #expect(bodyText(easy).contains("It works."))
    }

    @Test("HTTPS with the test CA negotiates HTTP/2 through ALPN")
    func httpsNegotiatesHTTP2() throws {
        let caFile = try TestServers.caFile
        let easy = try get(TestServers.httpsURL + "/user.json") {
            try $0.setHTTPVersion(.http2OverTLS)
            try $0.setCAFile(caFile)
        }
        let info = try easy.transferInfo()
        #expect(info.responseCode == 200)
        #expect(info.httpVersion == .http2)
        #expect(bodyText(easy).contains("\"city\": \"London\""))
        let timings = info.timings
        #expect(timings.connect <= timings.appConnect)
        #expect(timings.appConnect > 0, "the TLS handshake is timed")
        #expect(timings.appConnect <= timings.startTransfer)
        #expect(timings.startTransfer <= timings.total)
    }

    @Test("HTTPS without the test CA fails verification with curl's explanation")
    func httpsWithoutCAFails() throws {
        let error = try #require(throws: CurlError.self) {
            try get(TestServers.httpsURL + "/index.html")
        }
        #expect(error.kind == .tls)
        #expect(error.code == CURLE_PEER_FAILED_VERIFICATION)
        #expect(error.detail.contains("certificate"))
        #expect(error.description.contains("curl error 60"))
    }

    @Test("The insecure flag accepts the self-signed certificate")
    func insecureAcceptsSelfSigned() throws {
        let easy = try get(TestServers.httpsURL + "/index.html") { try $0.setInsecure(true) }
        #expect(try easy.transferInfo().responseCode == 200)
    }

    @Test("h2c with prior knowledge speaks HTTP/2 over plain TCP")
    func h2cPriorKnowledge() throws {
        let easy = try get(TestServers.h2cURL + "/1k.bin") { try $0.setHTTPVersion(.http2PriorKnowledge) }
        let info = try easy.transferInfo()
        #expect(info.responseCode == 200)
        #expect(info.httpVersion == .http2)
        #expect(easy.responseBody.count == 1024)
    }

    /// One header line past libcurl's own line limit (which it reports as out of memory), or a block of
    /// short lines past the 100 KiB the lean engine allows too: both a malformed response, saying which.
    @Test("Response heads over the limit are malformed, and say why", arguments: [
        (LoopbackHTTPServer.Behavior.oversizedHeaders, "a response header line over libcurl's 100 KiB limit"),
        (.manyHeaders, "the response headers are larger than 100 KiB"),
    ])
    func oversizedResponseHeads(behavior: LoopbackHTTPServer.Behavior, detail: String) throws {
        let server = try LoopbackHTTPServer(behavior)
        defer { server.stop() }
        let error = try #require(throws: CurlError.self) {
            try get(server.url) { $0.collectsSetCookies = true }
        }
        #expect(error.kind == .weirdServerReply)
        #expect(error.detail.hasPrefix(detail), "\(error)")
    }

    @Test("A port nothing listens on fails with couldn't-connect and names the port")
    func closedPort() throws {
        let port = try TestServers.closedPort()
        let error = try #require(throws: CurlError.self) {
            try get("http://127.0.0.1:\(port)/") { try $0.setTimeouts(totalMilliseconds: 5000, connectMilliseconds: 2000) }
        }
        #expect(error.kind == .couldNotConnect)
        #expect(error.code == CURLE_COULDNT_CONNECT)
        #expect(error.message == "Couldn't connect to server")
        #expect(error.detail.contains("port \(port)"))
    }

    @Test("HTTP error statuses are responses, not failures", arguments: [
        ("/status/500", 500), ("/status/404", 404), ("/no-such-file", 404), ("/index.html", 200),
    ])
    func statusCodes(path: String, expectedStatus: Int) throws {
        let easy = try get(TestServers.httpURL + path)
        #expect(try easy.transferInfo().responseCode == expectedStatus)
    }

    @Test("Redirects are followed only when asked", arguments: [(nil, 302), (Optional(3), 200)])
    func redirects(maximum: Int?, expectedStatus: Int) throws {
        let easy = try get(TestServers.httpURL + "/redirect") { try $0.setFollowRedirects(maximum: maximum) }
        #expect(try easy.transferInfo().responseCode == expectedStatus)
        let locationHeaders = easy.responseHeaders.filter { $0.name.lowercased() == "location" }
        // Only the final response's headers are kept.
        #expect(locationHeaders.count == (maximum == nil ? 1 : 0))
    }

    @Test("Method, headers and body reach the server", arguments: [
        (TestServers.httpURL, CurlHTTPVersion.http1_1), (TestServers.h2cURL, .http2PriorKnowledge),
    ])
    func requestReachesServer(baseURL: String, version: CurlHTTPVersion) throws {
        let easy = try get(baseURL + "/echo?step=login") {
            try $0.setHTTPVersion(version)
            try $0.setMethod("POST")
            try $0.setHeaders([HTTPHeader(name: "X-Strain-Test", value: "hello")])
            try $0.setBody(Array("user=ada".utf8))
        }
        let info = try easy.transferInfo()
        #expect(info.responseCode == 200)
        #expect(info.bytesUploaded == 8)
        #expect(bodyText(easy) == "method=POST uri=/echo?step=login content_length=8 x_strain_test=hello\n")
    }

    @Test("Methods other than GET and POST", arguments: ["PUT", "DELETE", "PATCH"])
    func customMethods(method: String) throws {
        let easy = try get(TestServers.httpURL + "/echo") { try $0.setMethod(method) }
        #expect(bodyText(easy).hasPrefix("method=\(method) "))
    }

    @Test("HEAD returns headers without waiting for a body")
    func head() throws {
        let easy = try get(TestServers.httpURL + "/1k.bin") { try $0.setMethod("HEAD") }
        #expect(try easy.transferInfo().responseCode == 200)
        #expect(easy.responseBody.isEmpty)
        #expect(easy.responseHeaders.contains { $0.name.lowercased() == "content-length" && $0.value == "1024" })
    }

    @Test("Discard mode counts the body without keeping it")
    func discardCountsBytes() throws {
        let easy = try get(TestServers.httpURL + "/1k.bin") { $0.setResponseSink(.discard) }
        #expect(easy.responseBody.isEmpty)
        #expect(easy.responseHeaders.isEmpty)
        #expect(easy.bodyBytesReceived == 1024)
        #expect(try easy.transferInfo().bytesDownloaded == 1024)
    }

    @Test("An unsupported URL scheme fails with curl's message")
    func unsupportedScheme() throws {
        let error = try #require(throws: CurlError.self) { try get("gopher+nope://127.0.0.1/") }
        #expect(error.kind == .unsupportedProtocol)
        #expect(error.code == CURLE_UNSUPPORTED_PROTOCOL)
        #expect(!error.detail.isEmpty)
    }
}

@Suite("HTTPHeader parsing")
struct HTTPHeaderTests {
    @Test("Header lines as curl delivers them", arguments: [
        ("Content-Type: text/plain\r\n", "Content-Type", "text/plain"),
        ("x-empty:\r\n", "x-empty", ""),
        ("Location:   /index.html  \r\n", "Location", "/index.html"),
        ("Set-Cookie: a=b; Path=/\r\n", "Set-Cookie", "a=b; Path=/"),
    ])
    func parses(line: String, name: String, value: String) throws {
        let header = try #require(HTTPHeader(rawLine: Array(line.utf8)))
        #expect(header == HTTPHeader(name: name, value: value))
    }

    @Test("Lines that are not headers", arguments: ["\r\n", ": no name\r\n", "garbage\r\n"])
    func rejects(line: String) {
        #expect(HTTPHeader(rawLine: Array(line.utf8)) == nil)
    }
}
