import Testing
@testable import StrainLoad

/// The lean engine's response parser as pure logic: every response is also fed cut at every byte
/// boundary, and must give the same result.
@Suite("HTTP/1.1 response parser")
struct HTTPResponseParserTests {
    struct Parsed: Equatable {
        var status = 0
        var body = ""
        var bodyBytes: UInt64 = 0
        var keepsConnection = true
        var headers: [String] = []
        /// Bytes left over after the response.
        var extra = 0
    }

    enum Result: Equatable {
        case complete(Parsed)
        case needMore
        case malformed(String)
    }

    /// Feeds `pieces` one after the other; `endOfStream` closes the stream after them.
    static func parse(_ pieces: [[UInt8]], head: Bool = false, keep: Bool = true, endOfStream: Bool = false) -> Result {
        var parser = HTTPResponseParser()
        parser.reset(headRequest: head, keepResponse: keep)
        for (index, piece) in pieces.enumerated() {
            switch piece.withUnsafeBytes({ parser.parse($0) }) {
            case .needMore: continue
            case .malformed(let problem): return .malformed(problem)
            case .complete(let consumed):
                let extra = piece.count - consumed + pieces[(index + 1)...].reduce(0) { $0 + $1.count }
                return .complete(parsed(parser, extra: extra))
            }
        }
        if endOfStream, parser.endOfStream() { return .complete(parsed(parser, extra: 0)) }
        return .needMore
    }

    static func parsed(_ parser: HTTPResponseParser, extra: Int) -> Parsed {
        Parsed(status: parser.status, body: String(decoding: parser.body, as: UTF8.self), bodyBytes: parser.bodyBytes,
               keepsConnection: parser.keepsConnection, headers: parser.headers.map { "\($0.name)=\($0.value)" }, extra: extra)
    }

    /// The same result whole, and cut in two at every byte boundary.
    static func expectSameAtEveryCut(_ text: String, head: Bool = false, keep: Bool = true, endOfStream: Bool = false,
                                     _ expected: Result, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Array(text.utf8)
        #expect(parse([bytes], head: head, keep: keep, endOfStream: endOfStream) == expected, sourceLocation: sourceLocation)
        for cut in 0...bytes.count {
            let pieces = [Array(bytes[..<cut]), Array(bytes[cut...])]
            let result = parse(pieces, head: head, keep: keep, endOfStream: endOfStream)
            #expect(result == expected, "cut at \(cut)", sourceLocation: sourceLocation)
        }
        // And one byte at a time.
        #expect(parse(bytes.map { [$0] }, head: head, keep: keep, endOfStream: endOfStream) == expected, sourceLocation: sourceLocation)
    }

    @Test func contentLength() {
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
                                  .complete(Parsed(status: 200, body: "hello", bodyBytes: 5,
                                                   headers: ["Content-Type=text/plain", "Content-Length=5"])))
    }

    @Test func aBodyIsCountedButNotKeptUnlessAsked() {
        Self.expectSameAtEveryCut("HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nnop", keep: false,
                                  .complete(Parsed(status: 404, bodyBytes: 3)))
    }

    @Test func chunkedWithExtensionsAndTrailers() {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1A \r\n" + String(repeating: "x", count: 26) + "\r\n0\r\nX-Trailer: t\r\n\r\n"
        Self.expectSameAtEveryCut(response, keep: false, .complete(Parsed(status: 200, bodyBytes: 31)))
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                                  .complete(Parsed(status: 200, body: "ok", bodyBytes: 2, headers: ["Transfer-Encoding=chunked"])))
    }

    @Test func interimResponsesAreSkipped() {
        Self.expectSameAtEveryCut("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
                                  .complete(Parsed(status: 201, headers: ["Content-Length=0"])))
    }

    @Test func responsesWithoutABody() {
        // HEAD announces a length it does not send; 204 and 304 have no body.
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n", head: true, keep: false,
                                  .complete(Parsed(status: 200)))
        Self.expectSameAtEveryCut("HTTP/1.1 204 No Content\r\n\r\n", keep: false, .complete(Parsed(status: 204)))
        Self.expectSameAtEveryCut("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", keep: false, .complete(Parsed(status: 304)))
    }

    @Test func connectionCloseAndHTTP10() {
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n", keep: false,
                                  .complete(Parsed(status: 200, keepsConnection: false)))
        Self.expectSameAtEveryCut("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", keep: false,
                                  .complete(Parsed(status: 200, keepsConnection: false)))
        Self.expectSameAtEveryCut("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", keep: false,
                                  .complete(Parsed(status: 200)))
    }

    @Test func aBodyWithoutLengthRunsToTheEndOfTheStream() {
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\n\r\nall of it", endOfStream: true,
                                  .complete(Parsed(status: 200, body: "all of it", bodyBytes: 9, keepsConnection: false)))
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\n\r\nall of it", .needMore)
        // A stream that ends inside a framed body is not a response.
        Self.expectSameAtEveryCut("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", endOfStream: true, .needMore)
    }

    @Test func bytesAfterTheResponseAreLeftOver() {
        #expect(Self.parse([Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1".utf8)], keep: false)
            == .complete(Parsed(status: 200, bodyBytes: 2, extra: 8)))
    }

    @Test(arguments: [
        ("this is not HTTP at all\r\n\r\n", "not an HTTP/1.x status line"),
        ("HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line"),
        ("HTTP/1.1 2x0 OK\r\n\r\n", "not an HTTP/1.x status line"),
        ("HTTP/1.1 200OK\r\n\r\n", "not an HTTP/1.x status line"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "a malformed header line"),
        ("HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "a malformed header line"),
        ("HTTP/1.1 200 OK\r\n folded: line\r\n\r\n", "a malformed header line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "an invalid or conflicting Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "an invalid or conflicting Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "an invalid or conflicting Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a malformed chunk size line"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", "a malformed chunk size line"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n", "a chunk longer than its announced size"),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", "101 Switching Protocols, which no request asked for"),
        // No status (counted as a success once) and ones beyond 5xx (labelled 5xx once).
        ("HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", "status 0 is outside 100–599"),
        ("HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", "status 99 is outside 100–599"),
        ("HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n", "status 600 is outside 100–599"),
        (String(repeating: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", count: 17) + "HTTP/1.1 200 OK\r\n\r\n",
         "more than 16 interim (1xx) responses"),
    ])
    func garbageIsMalformed(response: String, problem: String) {
        Self.expectSameAtEveryCut(response, .malformed(problem))
    }

    @Test func oversizedHeadersAreMalformedWithoutWaitingForTheirEnd() {
        let limit = HTTPResponseParser.maxHeaderBytes
        let endless = Array("HTTP/1.1 200 OK\r\nX-Big: ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: limit)
        #expect(Self.parse([endless]) == .malformed("the response headers are larger than 100 KiB"))
        let manyLines = Array("HTTP/1.1 200 OK\r\n".utf8) + Array(repeating: Array("X-Many: 0123456789\r\n".utf8), count: limit / 20).flatMap { $0 }
        #expect(Self.parse([manyLines]) == .malformed("the response headers are larger than 100 KiB"))
        // Just under the limit is fine.
        let filler = String(repeating: "a", count: limit - 200)
        #expect(Self.parse([Array("HTTP/1.1 200 OK\r\nX-Big: \(filler)\r\nContent-Length: 0\r\n\r\n".utf8)], keep: false)
            == .complete(Parsed(status: 200)))
    }

    /// Header names are compared eight bytes at a time: case folds only where the literal has a letter.
    @Test(arguments: [
        ("content-length", "content-length", true, true),
        ("Content-Length", "content-length", true, true),
        ("CONTENT-LENGTH", "content-length", true, true),
        ("Content\rLength", "content-length", true, false),   // CR is "-" with the case bit cleared
        ("Content-Lengtx", "content-length", true, false),
        ("xontent-length", "content-length", true, false),
        ("Content-Length ", "content-length", true, false),
        ("Transfer-Encoding", "transfer-encoding", true, true),
        ("TRANSFER-ENCODINg", "transfer-encoding", true, true),
        ("Transfer-Encoding", "transfer-encodinh", true, false),
        ("KEEP-ALIVE", "keep-alive", true, true),
        ("Close", "close", true, true),
        ("C@ose", "c`ose", true, false),                        // "@" | 0x20 is "`", but "`" is no letter
        ("Closf", "close", true, false),
        ("chunkeD", "chunked", true, true),
        ("chunkeE", "chunked", true, false),
        ("Te", "te", true, true),
        ("T-", "te", true, false),
        ("HTTP/1.", "HTTP/1.", false, true),
        ("http/1.", "HTTP/1.", false, false),
        ("", "", true, true),
    ] as [(String, StaticString, Bool, Bool)])
    func headerNamesMatchIgnoringCaseOnlyInLetters(text: String, literal: StaticString, ignoringCase: Bool, expected: Bool) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { HTTPResponseParser.matches($0, literal, ignoringCase: ignoringCase) } == expected)
    }

    @Test func aParserIsReusedForTheNextResponse() {
        var parser = HTTPResponseParser()
        for (status, body) in [(200, "first"), (404, "second!")] {
            parser.reset(headRequest: false, keepResponse: true)
            let response = Array("HTTP/1.1 \(status) X\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
            #expect(response.withUnsafeBytes { parser.parse($0) } == .complete(consumed: response.count))
            #expect(parser.status == status && String(decoding: parser.body, as: UTF8.self) == body)
            #expect(parser.headers.count == 1)
        }
    }
}
