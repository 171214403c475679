import CCurl
@testable import StrainCurl
import StrainTestSupport
import Testing

/// How a multi-handle run is set up.
struct MultiScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var baseURL: String
    var version: CurlHTTPVersion
    var useTestCA = false
    var multiplexing: Bool
    var maxHostConnections: Int
    /// Every transfer together may open at most this many connections.
    var maxNewConnections: Int

    var testDescription: String { name }
}

/// Keeps `concurrency` transfers in flight until `total` have finished, re-adding each
/// finished handle the way a load worker does. Returns every transfer's outcome and info.
private func runTransfers(
    _ multi: CurlMulti, urls: [String], total: Int, configure: (CurlEasy) throws -> Void
) throws -> [(Result<Void, CurlError>, CurlTransferInfo, Int)] {
    var started = 0
    func start(_ easy: CurlEasy) throws {
        try easy.reset()
        try easy.setURL(urls[started % urls.count])
        try configure(easy)
        try multi.add(easy)
        started += 1
    }
    for _ in urls.indices { try start(try CurlEasy()) }

    var outcomes: [(Result<Void, CurlError>, CurlTransferInfo, Int)] = []
    while multi.transferCount > 0 {
        try multi.perform()
        for (easy, result) in try multi.completed() {
            outcomes.append((result, try easy.transferInfo(), easy.bodyBytesReceived))
            if started < total { try start(easy) }
        }
        if multi.transferCount > 0 { try multi.poll(timeoutMicroseconds: 1_000_000) }
    }
    return outcomes
}

@Suite("CurlMulti against the test nginx")
struct CurlMultiTests {
    static let scenarios = [
        MultiScenario(name: "HTTP/1.1, 8 connections", baseURL: TestServers.httpURL, version: .http1_1,
                      multiplexing: false, maxHostConnections: 8, maxNewConnections: 8),
        MultiScenario(name: "HTTPS, HTTP/1.1, 4 connections", baseURL: TestServers.httpsURL, version: .http1_1,
                      useTestCA: true, multiplexing: false, maxHostConnections: 4, maxNewConnections: 4),
        MultiScenario(name: "HTTPS, HTTP/2 multiplexed", baseURL: TestServers.httpsURL, version: .http2OverTLS,
                      useTestCA: true, multiplexing: true, maxHostConnections: 8, maxNewConnections: 1),
        // No h2c scenario: libcurl 7.88 (Debian 12) fails every request that reuses an h2c
        // connection with "Error in the HTTP2 framing layer" (curl/curl#10634, fixed in 8.0).
    ]

    @Test("50 concurrent transfers, 200 in all, share few connections", arguments: scenarios)
    func concurrentTransfers(scenario: MultiScenario) throws {
        let multi = try CurlMulti()
        try multi.setMultiplexing(scenario.multiplexing)
        try multi.setMaxHostConnections(scenario.maxHostConnections)
        try multi.setMaxTotalConnections(scenario.maxHostConnections)
        let url = scenario.baseURL + "/1k.bin"
        let caFile = scenario.useTestCA ? try TestServers.caFile : nil

        let outcomes = try runTransfers(multi, urls: Array(repeating: url, count: 50), total: 200) { easy in
            try easy.setHTTPVersion(scenario.version)
            if let caFile { try easy.setCAFile(caFile) }
            easy.setResponseSink(.discard)
        }

        #expect(outcomes.count == 200)
        for (result, info, bodyBytes) in outcomes {
            try result.get()
            #expect(info.responseCode == 200)
            #expect(bodyBytes == 1024)
        }
        let newConnections = outcomes.reduce(0) { $0 + $1.1.newConnections }
        #expect(newConnections >= 1)
        #expect(newConnections <= scenario.maxNewConnections)
        #expect(multi.transferCount == 0)
    }

    @Test("A failed transfer is reported with its own error while the others succeed")
    func mixedOutcomes() throws {
        let multi = try CurlMulti()
        let closedURL = try TestServers.closedPortURL()
        let outcomes = try runTransfers(multi, urls: [TestServers.httpURL + "/index.html", closedURL], total: 2) { _ in }

        let failures = outcomes.compactMap { outcome -> CurlError? in
            if case .failure(let error) = outcome.0 { error } else { nil }
        }
        let failure = try #require(failures.first)
        #expect(failures.count == 1)
        #expect(failure.kind == .couldNotConnect)
        #expect(failure.code == CURLE_COULDNT_CONNECT)
        #expect(outcomes.filter { $0.1.responseCode == 200 }.count == 1)
    }

    @Test("A removed transfer is not reported as completed")
    func removeBeforeCompletion() throws {
        let multi = try CurlMulti()
        let easy = try CurlEasy()
        try easy.setURL(TestServers.httpURL + "/1k.bin")
        try multi.add(easy)
        #expect(multi.transferCount == 1)
        try multi.remove(easy)
        #expect(multi.transferCount == 0)
        #expect(try multi.completed().isEmpty)
        // Removed from the multi, the handle works on its own again.
        try easy.perform()
        #expect(try easy.transferInfo().responseCode == 200)
    }

    @Test("Adding the same handle twice is refused with curl's reason")
    func addTwice() throws {
        let multi = try CurlMulti()
        let easy = try CurlEasy()
        try easy.setURL(TestServers.httpURL + "/index.html")
        try multi.add(easy)
        let error = try #require(throws: CurlMultiError.self) { try multi.add(easy) }
        #expect(error.code == CURLM_ADDED_ALREADY)
        #expect(error.description.hasPrefix("adding a transfer: "))
    }
}
