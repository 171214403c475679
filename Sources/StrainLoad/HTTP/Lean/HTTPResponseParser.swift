import StrainCurl
#if canImport(Glibc)
import Glibc
#endif

/// Reads one HTTP/1.x response at a time from bytes as they arrive, cut anywhere: the status line,
/// the headers that decide the framing (`Content-Length`, `Transfer-Encoding`, `Connection`), then
/// the body — fixed length, chunked (extensions and trailers skipped) or up to the end of the stream.
/// Interim 1xx responses are skipped. Body and headers are kept only when asked (a check or an
/// extraction reads them); otherwise the body is counted and dropped. Pure logic: no I/O, no clock.
/// A line that arrived whole is read where it lies in the input; only one cut by a read is copied.
struct HTTPResponseParser {
    enum Progress: Equatable {
        case needMore
        /// The response is complete; `consumed` bytes of the last input belong to it.
        case complete(consumed: Int)
        /// Not HTTP we can read; the message says what (it becomes the error's example).
        case malformed(String)
    }

    static let maxHeaderBytes = HTTPHeader.maxResponseHeadBytes
    /// Interim responses taken before the final one (a 100 Continue and a 103 Early Hints are the usual).
    static let maxInterimResponses = 16
    private var interimResponses = 0

    private enum State {
        case statusLine
        case headerLine
        case fixedBody(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd
        case trailerLine
        case bodyUntilClose
        case done
    }

    private var state = State.statusLine
    /// The request was HEAD: the response has headers only, whatever they announce.
    private var isHeadRequest = false
    private var keepsResponse = false
    /// At most this much of a kept body is kept (the step's `maxBodyBytes`).
    private var bodyLimit = Int.max
    /// A line cut by the end of a read, so far; its storage is reused.
    private var line: [UInt8] = []
    private var headerBytes = 0
    private var contentLength: UInt64?
    private var isChunked = false
    /// `Transfer-Encoding` other than chunked: the body runs to the end of the stream.
    private var hasOtherEncoding = false

    /// The final response's status code.
    private(set) var status = 0
    /// Body bytes received (after chunked decoding), as curl counts them.
    private(set) var bodyBytes: UInt64 = 0
    /// Whether the connection may carry another request after this response.
    private(set) var keepsConnection = true
    /// Whether any byte of the response (or of an interim one) has arrived.
    private(set) var hasStarted = false
    /// Kept only when `keepsResponse`, up to the body limit.
    private(set) var body: [UInt8] = []
    /// The kept body is only the start of a longer one.
    private(set) var bodyTruncated = false
    private(set) var headers: [HTTPHeader] = []
    /// The final response's `Set-Cookie` values, kept when `collectsSetCookies` (for the iteration's jar).
    private(set) var setCookies: [String] = []
    var collectsSetCookies = false

    /// Prepares for the next response on the connection; buffers keep their storage.
    mutating func reset(headRequest: Bool, keepResponse: Bool, bodyLimit: Int = .max) {
        state = .statusLine
        isHeadRequest = headRequest
        keepsResponse = keepResponse
        self.bodyLimit = bodyLimit
        bodyTruncated = false
        // Mostly empty already: removeAll would check each buffer's uniqueness all the same.
        if !line.isEmpty { line.removeAll(keepingCapacity: true) }
        if !body.isEmpty { body.removeAll(keepingCapacity: true) }
        if !headers.isEmpty { headers.removeAll(keepingCapacity: true) }
        if !setCookies.isEmpty { setCookies.removeAll(keepingCapacity: true) }
        startResponse()
        bodyBytes = 0
        keepsConnection = true
        hasStarted = false
        interimResponses = 0
    }

    /// Per response, including each interim one.
    private mutating func startResponse() {
        headerBytes = 0
        contentLength = nil
        isChunked = false
        hasOtherEncoding = false
        status = 0
    }

    mutating func parse(_ bytes: UnsafeRawBufferPointer) -> Progress {
        if !bytes.isEmpty { hasStarted = true }
        var index = 0
        while index < bytes.count {
            switch state {
            case .fixedBody(let remaining), .chunkData(let remaining):
                let count = Int(min(remaining, UInt64(bytes.count - index)))
                takeBody(UnsafeRawBufferPointer(rebasing: bytes[index..<index + count]))
                index += count
                if case .fixedBody = state {
                    state = remaining == UInt64(count) ? .done : .fixedBody(remaining: remaining - UInt64(count))
                } else {
                    state = remaining == UInt64(count) ? .chunkDataEnd : .chunkData(remaining: remaining - UInt64(count))
                }
            case .bodyUntilClose:
                takeBody(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                index = bytes.count
            case .done:
                return .complete(consumed: index)
            case .headerLine where line.isEmpty:
                // The usual case, headers that arrived whole: read line after line where they lie.
                if let problem = takeHeaderLines(bytes, from: &index) { return .malformed(problem) }
            case .statusLine, .headerLine, .chunkSize, .chunkDataEnd, .trailerLine:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
                let end = Self.index(of: UInt8(ascii: "\n"), in: rest)
                let inHeaders = isHeaderLine
                // Bounded, so that a peer sending endless bytes without a line end cannot grow memory.
                if (inHeaders ? headerBytes : 0) + line.count + (end ?? rest.count) > Self.maxHeaderBytes {
                    return .malformed(inHeaders ? "the response headers are larger than \(Self.maxHeaderBytes / 1024) KiB"
                                                : "a chunk size line longer than \(Self.maxHeaderBytes / 1024) KiB")
                }
                guard let end else {
                    line.append(contentsOf: rest)
                    return .needMore
                }
                index += end + 1
                if inHeaders { headerBytes += line.count + end + 1 }
                let problem: String?
                if line.isEmpty {
                    problem = takeLine(Self.withoutCarriageReturn(UnsafeRawBufferPointer(rebasing: rest[..<end])))
                } else {
                    line.append(contentsOf: rest[..<end])
                    // Moved out while it is read, so that reading it and changing the parser do not overlap.
                    var assembled: [UInt8] = []
                    swap(&assembled, &line)
                    problem = assembled.withUnsafeBytes { takeLine(Self.withoutCarriageReturn($0)) }
                    assembled.removeAll(keepingCapacity: true)
                    swap(&assembled, &line)
                }
                if let problem { return .malformed(problem) }
            }
        }
        if case .done = state { return .complete(consumed: index) }
        return .needMore
    }

    /// Header lines in `bytes` from `index` on, up to the blank line that ends them (then the body's
    /// framing is decided) or to the end of the input (a line cut there is kept for the next input).
    private mutating func takeHeaderLines(_ bytes: UnsafeRawBufferPointer, from index: inout Int) -> String? {
        while case .headerLine = state, index < bytes.count, let base = bytes.baseAddress {
            let start = index
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
            let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            guard headerBytes + end - start <= Self.maxHeaderBytes else {
                return "the response headers are larger than \(Self.maxHeaderBytes / 1024) KiB"
            }
            guard found != nil else {
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                index = bytes.count
                return nil
            }
            headerBytes += end - start + 1
            index = end + 1
            let contentEnd = end > start && bytes[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
            if contentEnd == start { return endOfHeaders() }
            if let problem = takeHeaderLine(UnsafeRawBufferPointer(rebasing: bytes[start..<contentEnd])) { return problem }
        }
        return nil
    }

    /// The peer closed the stream: true when that ends the response (a body that runs to the close).
    mutating func endOfStream() -> Bool {
        guard case .bodyUntilClose = state else { return false }
        state = .done
        return true
    }

    private var isHeaderLine: Bool {
        switch state {
        case .statusLine, .headerLine, .trailerLine: true
        default: false
        }
    }

    private mutating func takeBody(_ bytes: UnsafeRawBufferPointer) {
        bodyBytes += UInt64(bytes.count)
        guard keepsResponse else { return }
        // Past the limit the bytes are counted and dropped: an endless body must not grow memory.
        let room = max(0, bodyLimit - body.count)
        if bytes.count > room { bodyTruncated = true }
        body.append(contentsOf: bytes.prefix(room))
    }

    /// Handles one complete line (without its line ending); returns a problem when it is malformed.
    private mutating func takeLine(_ line: UnsafeRawBufferPointer) -> String? {
        switch state {
        case .statusLine:
            return takeStatusLine(line)
        case .headerLine:
            return line.isEmpty ? endOfHeaders() : takeHeaderLine(line)
        case .chunkSize:
            guard let size = Self.chunkSize(line) else { return "a malformed chunk size line" }
            state = size == 0 ? .trailerLine : .chunkData(remaining: size)
        case .chunkDataEnd:
            guard line.isEmpty else { return "a chunk longer than its announced size" }
            state = .chunkSize
        case .trailerLine:
            if line.isEmpty { state = .done }
        case .fixedBody, .chunkData, .bodyUntilClose, .done:
            break
        }
        return nil
    }

    /// "HTTP/1.1 200 OK": HTTP/1.0 or 1.1, three digits, then a space and a reason, or nothing.
    private mutating func takeStatusLine(_ line: UnsafeRawBufferPointer) -> String? {
        guard line.count >= 12, Self.matches(UnsafeRawBufferPointer(rebasing: line[..<7]), "HTTP/1.", ignoringCase: false),
              line[7] == UInt8(ascii: "0") || line[7] == UInt8(ascii: "1"),
              line[8] == UInt8(ascii: " "), line[9...11].allSatisfy(Self.isDigit),
              line.count == 12 || line[12] == UInt8(ascii: " ") else {
            return "not an HTTP/1.x status line"
        }
        status = line[9...11].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        // RFC 9110 defines 100–599: 000 is no status, and 999 is not a server error.
        guard (100...599).contains(status) else { return "status \(status) is outside 100–599" }
        // HTTP/1.0 closes after each response unless it says keep-alive.
        if line[7] == UInt8(ascii: "0") { keepsConnection = false }
        state = .headerLine
        return nil
    }

    private mutating func takeHeaderLine(_ line: UnsafeRawBufferPointer) -> String? {
        guard let colon = Self.index(of: UInt8(ascii: ":"), in: line), colon > 0,
              !Self.isSpace(line[0]), !Self.isSpace(line[colon - 1]) else {
            return "a malformed header line"
        }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        // Only these lengths can name a header read below (connection and set-cookie, content-length,
        // transfer-encoding): any other is passed over without trimming its value, unless headers are kept.
        let mayBeRead = colon == 10 || colon == 14 || colon == 17
        guard mayBeRead || keepsResponse else { return nil }
        let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        if colon == 14, Self.matches(name, "content-length") {
            guard let length = Self.decimal(value), contentLength == nil || contentLength == length else {
                return "an invalid or conflicting Content-Length"
            }
            contentLength = length
        } else if colon == 17, Self.matches(name, "transfer-encoding") {
            // The last coding decides: chunked ends the body itself; anything else runs to the close.
            var last = value
            Self.forEachToken(of: value) { last = $0 }
            isChunked = Self.matches(last, "chunked")
            hasOtherEncoding = !isChunked
        } else if colon == 10, Self.matches(name, "connection") {
            Self.forEachToken(of: value) { option in
                if Self.matches(option, "close") { keepsConnection = false }
                if Self.matches(option, "keep-alive") { keepsConnection = true }
            }
        }
        if collectsSetCookies, Self.matches(name, "set-cookie") {
            setCookies.append(String(decoding: value, as: UTF8.self))
        }
        if keepsResponse {
            headers.append(HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        return nil
    }

    /// The blank line: decides how the body is framed (RFC 9112, section 6.3).
    private mutating func endOfHeaders() -> String? {
        if (100..<200).contains(status) {
            // 101 would switch protocols, which no request of ours asks for.
            guard status != 101 else { return "101 Switching Protocols, which no request asked for" }
            // A server that streams interim responses without end would hold the worker reading them.
            interimResponses += 1
            guard interimResponses <= Self.maxInterimResponses else {
                return "more than \(Self.maxInterimResponses) interim (1xx) responses"
            }
            headers.removeAll(keepingCapacity: true)
            setCookies.removeAll(keepingCapacity: true)
            startResponse()
            state = .statusLine
            return nil
        }
        if isHeadRequest || status == 204 || status == 304 {
            state = .done
        } else if isChunked {
            state = .chunkSize
            // A Content-Length next to chunked is a smuggling attempt or a broken proxy: don't reuse.
            if contentLength != nil { keepsConnection = false }
        } else if hasOtherEncoding || contentLength == nil {
            state = .bodyUntilClose
            keepsConnection = false
        } else {
            state = contentLength == 0 ? .done : .fixedBody(remaining: contentLength!)
        }
        return nil
    }

    // MARK: Byte helpers

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    private static func withoutCarriageReturn(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        line.last == UInt8(ascii: "\r") ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line
    }

    /// Where `byte` first occurs in `bytes` (memchr: lines are scanned for their end at every read).
    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let start = bytes.baseAddress, let found = memchr(start, Int32(byte), bytes.count) else { return nil }
        return start.distance(to: UnsafeRawPointer(found))
    }

    /// Calls `body` with each comma-separated element of a header value, trimmed; empty ones too.
    private static func forEachToken(of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: value[start...])
            let end = index(of: UInt8(ascii: ","), in: rest).map { start + $0 } ?? value.count
            body(trimmed(UnsafeRawBufferPointer(rebasing: value[start..<end])))
            guard end < value.count else { return }
            start = end + 1
        }
    }

    /// Compares with `literal`; with `ignoringCase`, ASCII letters match either case (`literal` lowercase
    /// ASCII). A word at a time, the last one overlapping the one before: every response has its framing
    /// headers' names compared.
    static func matches(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString, ignoringCase: Bool = true) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        guard let actual = bytes.baseAddress else { return true }
        let expected = UnsafeRawPointer(literal.utf8Start)
        func same<Word: FixedWidthInteger & UnsignedInteger>(at offset: Int, _: Word.Type) -> Bool {
            let wanted = expected.loadUnaligned(fromByteOffset: offset, as: Word.self)
            // Case is folded only where the literal has a letter: elsewhere the byte must be the same.
            let caseBits = ignoringCase ? Word(truncatingIfNeeded: letterBits(UInt64(wanted))) : 0
            return actual.loadUnaligned(fromByteOffset: offset, as: Word.self) | caseBits == wanted
        }
        if count >= 8 {
            var offset = 0
            while offset < count - 8 {
                guard same(at: offset, UInt64.self) else { return false }
                offset += 8
            }
            return same(at: count - 8, UInt64.self)
        }
        if count >= 4 { return same(at: 0, UInt32.self) && same(at: count - 4, UInt32.self) }
        return (0..<count).allSatisfy { same(at: $0, UInt8.self) }
    }

    /// 0x20 in each byte of `word` (ASCII) that holds a lowercase letter, 0 in the others: per byte,
    /// (byte | 0x80) − "a" keeps its top bit when byte ≥ "a", and − "{" (after "z") when byte > "z";
    /// no subtraction borrows from the next byte.
    private static func letterBits(_ word: UInt64) -> UInt64 {
        let top: UInt64 = 0x8080_8080_8080_8080
        let fromA = (word | top) &- 0x6161_6161_6161_6161
        let pastZ = (word | top) &- 0x7B7B_7B7B_7B7B_7B7B
        return (fromA & ~pastZ & top) >> 2
    }

    /// Digits only, at most 18 of them (no overflow).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// "1a2b", optionally followed by whitespace and ";extension": at most 15 hex digits.
    private static func chunkSize(_ line: UnsafeRawBufferPointer) -> UInt64? {
        let digits = line.prefix { byte in hexValue(byte) != nil }
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        let rest = trimmed(UnsafeRawBufferPointer(rebasing: line[digits.endIndex...]))
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else { return nil }
        return digits.reduce(0) { $0 * 16 + hexValue($1)! }
    }

    private static func hexValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
