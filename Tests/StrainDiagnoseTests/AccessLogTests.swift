import Foundation
import StrainContract
import Testing
@testable import StrainDiagnose

/// Incident mode's request counts: access log lines parsed, grouped into endpoints and counted
/// for the window, hostile lines skipped and counted.
struct AccessLogTests {
    typealias B = EvidenceBuilder

    /// 2023-11-14T22:13:20Z, the builders' window start.
    static let combinedStart = "14/Nov/2023:22:13:20 +0000"

    @Test(arguments: [
        // nginx combined + $request_time (seconds).
        ("127.0.0.1 - - [\(combinedStart)] \"GET /orders/17?x=1 HTTP/1.1\" 200 512 \"-\" \"curl/8.0\" 0.250",
         AccessLog.Entry(time: B.start, timeResolution: 1, method: "GET", path: "/orders/17?x=1", status: 200, seconds: 0.25)),
        // The same instant in another zone; Apache %D (microseconds); a user agent with spaces and quotes.
        ("10.0.0.9 - bob [14/Nov/2023:23:43:20 +0130] \"POST /checkout HTTP/2.0\" 402 0 \"https://x/\" \"Mozilla/5.0 (X11; \\\"q\\\")\" 31250",
         AccessLog.Entry(time: B.start, timeResolution: 1, method: "POST", path: "/checkout", status: 402, seconds: 0.03125)),
        // JSON lines: seconds since 1970 and `duration` in seconds (pyshop's access log).
        (#"{"time": 1700000000.5, "method": "GET", "path": "/inventory/5", "status": 200, "duration": 0.05}"#,
         AccessLog.Entry(time: B.start.addingTimeInterval(0.5), timeResolution: 0, method: "GET", path: "/inventory/5", status: 200,
                         seconds: 0.05)),
        // JSON with other accepted names: ISO 8601 time, a string status, duration_ms.
        (#"  {"@timestamp": "2023-11-14T22:13:20.250Z", "request_method": "DELETE", "uri": "/a", "status_code": "204", "duration_ms": 12}"#,
         AccessLog.Entry(time: B.start.addingTimeInterval(0.25), timeResolution: 0, method: "DELETE", path: "/a", status: 204,
                         seconds: 0.012)),
    ])
    func acceptedLinesParse(line: String, expected: AccessLog.Entry) throws {
        let entry = try AccessLog.parse(Substring(line)).get()
        #expect(entry.method == expected.method)
        #expect(entry.path == expected.path)
        #expect(entry.status == expected.status)
        #expect(abs(entry.seconds - expected.seconds) < 1e-9)
        #expect(abs(entry.time.timeIntervalSince(expected.time)) < 1e-6)
        #expect(entry.timeResolution == expected.timeResolution)
    }

    @Test(arguments: [
        ("", "no [time] field"),
        ("127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\"", "the last field is not a request time"),
        ("127.0.0.1 - - [32/Nov/2023:22:13:20 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\" 0.1", "the [time] field is not like"),
        ("127.0.0.1 - - [14/Foo/2023:22:13:20 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\" 0.1", "the [time] field is not like"),
        ("127.0.0.1 - - [\(combinedStart)] \"\\x16\\x03\\x01\\x00\" 400 150 \"-\" \"-\" 0.001", "request line is not METHOD PATH PROTOCOL"),
        ("127.0.0.1 - - [\(combinedStart)] \"get /a HTTP/1.1\" 200 5 \"-\" \"-\" 0.1", "request line is not METHOD PATH PROTOCOL"),
        ("127.0.0.1 - - [\(combinedStart)] \"GET /a HTTP/1.1\" 999 5 \"-\" \"-\" 0.1", "no status code"),
        ("127.0.0.1 - - [\(combinedStart)] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\" -0.1", "is not between 0 and a day"),
        ("127.0.0.1 - - [\(combinedStart)] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\" nan", "is not between 0 and a day"),
        ("{\"time\": 1700000000", "not a JSON object"),
        ("[1, 2, 3]", "the [time] field is not like"),
        (#"{"method": "GET", "path": "/a", "status": 200, "duration": 1}"#, "no time field"),
        (#"{"time": "yesterday", "method": "GET", "path": "/a", "status": 200, "duration": 1}"#, "time: expected seconds since 1970"),
        (#"{"time": 1700000000, "method": "GET", "path": "a", "status": 200, "duration": 1}"#, "no path starting with /"),
        (#"{"time": 1700000000, "method": "GET", "path": "/a", "status": 200}"#, "no duration"),
        (#"{"time": 1700000000, "method": "GET", "path": "/a", "status": 200, "duration": 1e300}"#, "is not between 0 and a day"),
        (#"{"time": 1700000000, "method": ["GET"], "path": "/a", "status": 200, "duration": 1}"#, "no HTTP method"),
    ])
    func hostileLinesAreRefusedWithAReason(line: String, reason: String) {
        guard case .failure(let error) = AccessLog.parse(Substring(line)) else {
            Issue.record("accepted: \(line.prefix(80))")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test func aLineTooLongIsRefused() {
        guard case .failure(let error) = AccessLog.parse(Substring(String(repeating: "x", count: AccessLog.maximumLineBytes + 1))) else {
            Issue.record("accepted a line longer than the limit")
            return
        }
        #expect(error.description == "longer than \(AccessLog.maximumLineBytes) bytes")
    }

    @Test(arguments: [
        ("/orders/17", "/orders/:id"),
        ("/orders/17/items/3?expand=1#top", "/orders/:id/items/:id"),
        ("/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/cart", "/users/:id/cart"),
        ("/blobs/5f4dcc3b5aa765d61d8327deb882cf99", "/blobs/:id"),
        ("/orders/search?email=a@b", "/orders/search"),
        ("/v2/catalogue", "/v2/catalogue"),
        ("/deadbeefdeadbeefcafe", "/deadbeefdeadbeefcafe"),
        ("http://shop.example/orders/9", "/orders/:id"),
        ("/", "/"),
        ("/?q=1", "/"),
        // From a hostile log: shown escaped, never a line of its own in a fix or a fenced block.
        ("/x\n/y\u{1B}[8m", "/x\\u{A}/y\\u{1B}[8m"),
    ])
    func pathsAreGroupedIntoEndpoints(path: String, endpoint: String) {
        #expect(AccessLog.endpointPattern(path) == endpoint)
    }

    @Test func theWindowCountsRequestsPerEndpointAndSkippedLines() throws {
        var summary = AccessLog.WindowSummary(source: "access.log", start: B.start, end: B.start.addingTimeInterval(10))
        let lines: [Substring?] = [
            #"{"time": 1699999990, "method": "GET", "path": "/orders/1", "status": 200, "duration": 9}"#,  // before the window
            #"{"time": 1700000001, "method": "GET", "path": "/orders/1", "status": 200, "duration": 0.1}"#,
            #"{"time": 1700000002, "method": "GET", "path": "/orders/2", "status": 500, "duration": 0.3}"#,
            "not a log line",
            "",
            nil,  // a line too long to keep
            "127.0.0.1 - - [\(Self.combinedStart)] \"GET /recommendations HTTP/1.1\" 200 5 \"-\" \"-\" 0.250",
            #"{"time": 1700000011, "method": "GET", "path": "/orders/3", "status": 200, "duration": 1}"#,  // after it
        ]
        for (index, line) in lines.enumerated() { summary.add(line, number: index + 1) }
        #expect(summary.linesRead == 8)
        #expect(summary.outsideWindow == 2)
        #expect(summary.skipped == 2)
        #expect(summary.skippedExamples == ["access.log:4: no [time] field: expected the combined format with the request time last",
                                            "access.log:6: longer than \(AccessLog.maximumLineBytes) bytes"])
        let load = try #require(summary.load)
        #expect(load.endpoints.map(\.name) == ["access log/GET /orders/:id", "access log/GET /recommendations"])
        let orders = load.endpoints[0]
        #expect(orders.requests == 2)
        #expect(abs(orders.totalSeconds - 0.4) < 1e-9)
        #expect(abs(try #require(orders.fastTenthSeconds) - 0.1) < 1e-4)
        #expect(load.source.hasPrefix("access log access.log: 3 requests on 2 endpoints in the window (of 8 lines read, "
                                      + "2 outside the window, 2 skipped: access.log:4:"))
        // Per second of the clock, as the load's timeline counts them, named as the endpoints are.
        let seconds = try #require(load.requestIntervals)
        #expect(seconds.allSatisfy { $0.duration == 1 && $0.start.timeIntervalSince1970.rounded(.down) == $0.start.timeIntervalSince1970 })
        #expect(seconds.flatMap(\.requests).reduce(into: [String: UInt64]()) { $0[$1.key, default: 0] += $1.value }
                == Dictionary(uniqueKeysWithValues: load.endpoints.map { ($0.name, $0.requests) }))
    }

    @Test func pathsBeyondTheEndpointLimitAreCountedTogether() throws {
        var summary = AccessLog.WindowSummary(source: "scan.log", start: B.start, end: B.start.addingTimeInterval(10))
        for index in 0..<(AccessLog.maximumEndpoints * 2) {
            summary.add(Substring(#"{"time": 1700000001, "method": "GET", "path": "/probe\#(index)", "status": 404, "duration": 0.001}"#),
                        number: index + 1)
        }
        let load = try #require(summary.load)
        #expect(load.endpoints.count == AccessLog.maximumEndpoints)
        #expect(load.requests == UInt64(AccessLog.maximumEndpoints * 2))
        let other = try #require(load.endpoints.first { $0.step == AccessLog.otherEndpoints })
        #expect(other.requests == UInt64(AccessLog.maximumEndpoints + 1))
    }

    @Test func aWindowWithoutRequestsGivesNoLoad() {
        var summary = AccessLog.WindowSummary(source: "old.log", start: B.start, end: B.start.addingTimeInterval(10))
        summary.add(#"{"time": 1600000000, "method": "GET", "path": "/a", "status": 200, "duration": 0.1}"#, number: 1)
        #expect(summary.load == nil)
    }

    // MARK: The file

    /// Where a test writes its access.log, in a folder of its own (remove the folder afterwards).
    static func logFile() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strain-accesslog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("access.log")
    }

    @Test func theFileIsReadLineByLineWhateverItHolds() throws {
        let file = try Self.logFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        var bytes = Data(#"{"time": 1700000001, "method": "GET", "path": "/a/1", "status": 200, "duration": 0.2}"#.utf8 + [0x0A])
        bytes += Data(String(repeating: "y", count: 200_000).utf8 + [0x0A])  // far beyond the line limit
        bytes += Data([0xFF, 0xFE, 0x00, 0x0A])  // invalid UTF-8 and a NUL
        bytes += Data("127.0.0.1 - - [\(Self.combinedStart)] \"GET /a/2 HTTP/1.1\" 200 5 \"-\" \"-\" 0.400".utf8)  // no final newline
        try bytes.write(to: file)
        let (summary, complete) = try AccessLogReader.read(file.path, start: B.start, end: B.start.addingTimeInterval(10))
        #expect(complete)
        #expect(summary.linesRead == 4)
        #expect(summary.skipped == 2)
        #expect(summary.skippedExamples.first == "\(file.path):2: longer than \(AccessLog.maximumLineBytes) bytes")
        #expect(summary.skippedExamples.last?.hasPrefix("\(file.path):3: ") == true)
        let endpoint = try #require(summary.load?.endpoints.first)
        #expect(endpoint.step == "GET /a/:id")
        #expect(endpoint.requests == 2)
    }

    /// A log written to while it is read (a live server's) would keep the reader going for ever: it is
    /// read as long as it was when opened. A stop (a signal) ends the reading between reads.
    @Test func aGrowingLogIsReadAsItWasWhenOpenedAndAStopEndsTheReading() throws {
        let file = try Self.logFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let line = Data(#"{"time": 1700000001, "method": "GET", "path": "/a/1", "status": 200, "duration": 0.2}"#.utf8 + [0x0A])
        try Data((0..<2_000).flatMap { _ in line }).write(to: file)
        let appender = try FileHandle(forWritingTo: file)
        defer { try? appender.close() }
        var lines = 0
        let complete = try InputFile.forEachLine(file.path, maxLineBytes: 1_000) { _, _ in
            lines += 1
            // The server writes another line for each one read.
            appender.seekToEndOfFile()
            appender.write(line)
        }
        #expect(complete && lines == 2_000)

        var reads = 0
        let stopped = try InputFile.forEachLine(file.path, maxLineBytes: 1_000, stop: { reads += 1; return reads > 1 }) { _, _ in }
        #expect(!stopped, "stopped after its first read of 64 KiB, before the file's end")
    }

    @Test func aMissingFileOrAFIFOIsAnErrorNamingTheFile() throws {
        #expect(throws: FileIOError.self) { try InputFile.checkReadable("/nonexistent/access.log") }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("strain-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        do {
            _ = try AccessLogReader.read(fifo, start: B.start, end: B.start)
            Issue.record("a FIFO was read")
        } catch {
            #expect(error.description == "\(fifo): read failed: not a regular file")
        }
    }

    // MARK: Ranking

    /// The issue's inversion: a 10 s downstream against a 5 s statement. Without request counts the
    /// dependency weighs what the probes waited (12 × 0.25 s), below the statement, and the
    /// diagnosis says what it ranked on; with the access log's requests it weighs what requests waited.
    @Test func anAccessLogRanksADependencyByTheTimeRequestsWaitedForIt() throws {
        let statement = B.statement(7, "SELECT id FROM orders WHERE customer_email = $1", calls: 60, milliseconds: 5000, rows: 600)
        let postgres = B.postgres(snapshots: [B.snapshot("start", []), B.snapshot("end", [statement])])
        let evidence = B.evidence(seconds: 12, postgres: postgres,
                                  dependencies: [DependenciesCheckTests.dependency("recommendations", totals: Array(repeating: 0.25, count: 12))])
        var summary = AccessLog.WindowSummary(source: "access.log", start: evidence.startedAt, end: evidence.endedAt)
        for index in 0..<60 {
            let time = 1_700_000_000.1 + Double(index) * 0.2
            if index % 3 != 0 {
                summary.add(Substring(#"{"time": \#(time), "method": "GET", "path": "/recommendations", "status": 200, "duration": 0.252}"#),
                            number: 2 * index + 1)
            }
            summary.add(Substring(#"{"time": \#(time), "method": "GET", "path": "/orders/search?email=\#(index)", "status": 200, "duration": 0.085}"#),
                        number: 2 * index + 2)
        }

        let blind = Diagnoser.diagnose(evidence)
        #expect(blind.findings.map(\.check) == [.topStatement, .slowDependency])
        #expect(blind.rankingBasis == Diagnoser.withoutRequestCounts)

        let load = try #require(summary.load)
        let counted = Diagnoser.diagnose(evidence, load: load)
        #expect(counted.findings.map(\.check) == [.slowDependency, .topStatement])
        let dependency = counted.findings[0]
        #expect(abs(dependency.impact.totalSeconds - 40 * 0.25) < 1e-6)
        #expect(dependency.evidence.contains { $0.hasPrefix("access log/GET /recommendations: 252 ms per request") })
        #expect(counted.requests == 100)
        #expect(counted.rankingBasis == "by the time requests waited: \(summary.description)")
    }
}
