import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as the handlers see it.
struct HTTPRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var body: [UInt8]

    /// The path split on "/", without empty parts: "/customers/7/orders" → ["customers", "7", "orders"].
    var segments: [Substring] { path.split(separator: "/") }
}

struct HTTPResponse: Sendable {
    var status: Int
    var body: String
    var contentType = "application/json"

    static func json(_ status: Int, _ body: String) -> HTTPResponse { HTTPResponse(status: status, body: body) }
}

/// A minimal HTTP/1.1 server for the demo: keep-alive, Content-Length bodies, one thread per
/// connection. Deliberately plain — it is a fixture to be diagnosed, not a web framework.
final class HTTPServer: Sendable {
    typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    let port: UInt16
    private let listener: Int32
    private let handler: Handler

    /// Binds 127.0.0.1:`port` (0 picks a free port; `port` then tells which).
    init(port: UInt16, handler: @escaping Handler) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError.system("socket", errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let code = errno
            close(fd)
            throw ServerError.system("bind 127.0.0.1:\(port)", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        listener = fd
        self.handler = handler
    }

    /// Accepts connections forever, each served on its own thread.
    func serve() -> Never {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            var noDelay: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            Thread.detachNewThread { [self] in
                serveConnection(client)
                close(client)
            }
        }
    }

    private func serveConnection(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            // Read until a whole request (head + Content-Length body) is buffered.
            var parsed = RequestParser.parse(buffer)
            while case .needMore = parsed {
                let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if received <= 0 { return }
                buffer.append(contentsOf: chunk[0..<received])
                parsed = RequestParser.parse(buffer)
            }
            guard case .request(let request, let consumed, let keepAlive) = parsed else {
                send(HTTPResponse.json(400, #"{"error":"bad request"}"#), keepAlive: false, to: fd)
                return
            }
            buffer.removeFirst(consumed)
            guard send(handler(request), keepAlive: keepAlive, to: fd), keepAlive else { return }
        }
    }

    @discardableResult
    private func send(_ response: HTTPResponse, keepAlive: Bool, to fd: Int32) -> Bool {
        let body = Array(response.body.utf8)
        let head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
            + "Content-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\n"
            + (keepAlive ? "" : "Connection: close\r\n") + "\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            sent += written
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 400: "Bad Request"
        case 402: "Payment Required"
        case 404: "Not Found"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        default: "Status"
        }
    }
}

enum ServerError: Error, CustomStringConvertible {
    case system(String, Int32)

    var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        }
    }
}

/// Parses one HTTP/1.1 request from the front of a buffer (pure, so it can be reasoned about alone).
enum RequestParser {
    enum Outcome {
        case needMore
        case request(HTTPRequest, consumed: Int, keepAlive: Bool)
        case malformed
    }

    private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)

    static func parse(_ buffer: [UInt8]) -> Outcome {
        guard let headLength = range(of: headEnd, in: buffer) else {
            return buffer.count > 64 * 1024 ? .malformed : .needMore
        }
        let head = String(decoding: buffer[0..<headLength], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return .malformed }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyLength = Int(headers["content-length"] ?? "0") ?? 0
        let total = headLength + headEnd.count + bodyLength
        guard buffer.count >= total else { return .needMore }
        let target = String(requestLine[1])
        let (path, query) = split(target: target)
        let keepAlive = headers["connection"]?.lowercased() != "close" && requestLine[2] == "HTTP/1.1"
        let request = HTTPRequest(method: String(requestLine[0]), path: path, query: query,
                                  body: Array(buffer[(headLength + headEnd.count)..<total]))
        return .request(request, consumed: total, keepAlive: keepAlive)
    }

    private static func split(target: String) -> (String, [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            query[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return (String(target[..<mark]), query)
    }

    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}
