/// The HTTP version a `CurlEasy` asks for.
public enum CurlHTTPVersion: Sendable, CaseIterable {
    /// HTTP/1.1 only.
    case http1_1
    /// HTTP/2 when TLS negotiates it via ALPN, HTTP/1.1 otherwise (and for plain http://).
    case http2OverTLS
    /// HTTP/2 without upgrade or ALPN ("h2c prior knowledge"), also for plain http://.
    /// libcurl before 8.0 (Debian 12 ships 7.88) fails every transfer that reuses such a
    /// connection with CURLE_HTTP2 "Error in the HTTP2 framing layer" (curl/curl#10634).
    case http2PriorKnowledge
}

/// The HTTP version a finished transfer actually used (`CURLINFO_HTTP_VERSION`).
public enum NegotiatedHTTPVersion: Sendable, Equatable {
    case http1_0, http1_1, http2, http3
    /// No HTTP exchange happened (e.g. the connection failed) or curl reported a newer value.
    case none
}

/// How long each phase of a transfer took, in microseconds from the start of the transfer
/// (curl's `CURLINFO_*_TIME_T` values, so each includes the phases before it).
public struct CurlTimings: Sendable, Equatable {
    /// Name resolution done.
    public var nameLookup: Int64
    /// TCP connect done.
    public var connect: Int64
    /// TLS handshake done; 0 for plain HTTP.
    public var appConnect: Int64
    /// About to send the request.
    public var preTransfer: Int64
    /// First response byte received (time to first byte).
    public var startTransfer: Int64
    /// Transfer complete.
    public var total: Int64

    public init(nameLookup: Int64, connect: Int64, appConnect: Int64, preTransfer: Int64,
                startTransfer: Int64, total: Int64) {
        self.nameLookup = nameLookup
        self.connect = connect
        self.appConnect = appConnect
        self.preTransfer = preTransfer
        self.startTransfer = startTransfer
        self.total = total
    }
}

/// What libcurl reports about the transfer a `CurlEasy` just finished.
public struct CurlTransferInfo: Sendable, Equatable {
    /// The last response's status code; 0 when no response arrived.
    public var responseCode: Int
    public var httpVersion: NegotiatedHTTPVersion
    public var timings: CurlTimings
    /// Response body bytes received, as counted by curl.
    public var bytesDownloaded: Int64
    /// Request body bytes sent.
    public var bytesUploaded: Int64
    /// Connections this transfer had to open; 0 means it reused a kept-alive one.
    public var newConnections: Int

    public init(responseCode: Int, httpVersion: NegotiatedHTTPVersion, timings: CurlTimings,
                bytesDownloaded: Int64, bytesUploaded: Int64, newConnections: Int) {
        self.responseCode = responseCode
        self.httpVersion = httpVersion
        self.timings = timings
        self.bytesDownloaded = bytesDownloaded
        self.bytesUploaded = bytesUploaded
        self.newConnections = newConnections
    }
}

/// One response header as received; names keep the server's spelling.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Whether the header can go on the wire as one header: RFC 9110 allows no control character in a
    /// field but tab. CR or LF would end it and start another header (or a second request), NUL would
    /// cut it short, and ESC would reach the terminal of whoever reads the server's log.
    public var isSafeToSend: Bool {
        !name.utf8.contains(where: Self.isControl) && !value.utf8.contains(where: Self.isControl)
    }

    private static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != 0x09) || byte == 0x7F }

    /// Parses one raw header line as curl's header callback delivers it ("Name: value\r\n").
    /// Returns nil for status lines, the blank line ending the block, and malformed lines.
    public init?(rawLine: some Collection<UInt8>) {
        guard let colon = rawLine.firstIndex(of: UInt8(ascii: ":")), colon != rawLine.startIndex else {
            return nil
        }
        var value = Substring(String(decoding: rawLine[rawLine.index(after: colon)...], as: UTF8.self))
        while value.first?.isWhitespace == true { value.removeFirst() }
        while value.last?.isWhitespace == true { value.removeLast() }
        self.name = String(decoding: rawLine[..<colon], as: UTF8.self)
        self.value = String(value)
    }

    /// True when the raw header line is `name: …` (`name` lowercase; the line in any case).
    static func hasName(_ name: StaticString, _ rawLine: some Collection<UInt8>) -> Bool {
        let expected = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var bytes = rawLine.makeIterator()
        for byte in expected {
            guard let actual = bytes.next(), actual | 0x20 == byte else { return false }
        }
        return bytes.next() == UInt8(ascii: ":")
    }

    /// True for the "HTTP/1.1 200 OK" line that starts every response's header block,
    /// including the interim ones of redirects and 100-continue.
    /// Status line and header block of one response together: larger is refused as malformed (curl
    /// itself allows 300 KB). Chunked trailers count too.
    public static let maxResponseHeadBytes = 100 * 1024

    static func isStatusLine(_ rawLine: some Collection<UInt8>) -> Bool {
        rawLine.starts(with: "HTTP/".utf8)
    }
}
