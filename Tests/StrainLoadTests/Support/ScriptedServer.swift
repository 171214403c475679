import Foundation
import StrainTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 listener on 127.0.0.1 or ::1 that answers every request with the response
/// `respond` gives for its request line, and counts the request lines that reached it on the wire,
/// so a test can tell how many requests a client really sent (one smuggled by CR/LF counts too).
/// `thenWrite`, when given, goes on writing to the connection after each response (a body too long
/// to hold: generated as it is sent, never stored); the connection closes when it returns.
final class ScriptedServer: Sendable {
    enum Address: String {
        case ipv4 = "127.0.0.1"
        case ipv6 = "::1"
    }

    let port: Int
    let address: Address
    private let descriptor: Int32
    private let respond: @Sendable (String) -> String
    /// Writes each response's head and body with two writes, as many frameworks do, on sockets
    /// left with Nagle's algorithm on (no TCP_NODELAY).
    private let writesHeadAndBodyApart: Bool
    /// Called after the first response on a connection, which it then owns (for endless bodies).
    private let thenWrite: (@Sendable (Int32) -> Void)?
    private let requestHeads = Mutex<[String]>([])
    private let connections = Mutex(0)

    init(_ address: Address = .ipv4, writesHeadAndBodyApart: Bool = false,
         respond: @escaping @Sendable (String) -> String, thenWrite: (@Sendable (Int32) -> Void)? = nil) throws {
        let family = address == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestServers.SocketError(call: "socket") }
        var storage = sockaddr_storage()
        var length: socklen_t
        if address == .ipv4 {
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let ipv4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                ipv4.pointee.sin_family = sa_family_t(AF_INET)
                ipv4.pointee.sin_addr.s_addr = inet_addr("127.0.0.1")
            }
        } else {
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                let ipv6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                ipv6.pointee.sin6_family = sa_family_t(AF_INET6)
                ipv6.pointee.sin6_addr = in6addr_loopback
            }
        }
        let listening = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && listen(descriptor, 128) == 0
                    && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard listening else {
            close(descriptor)
            throw TestServers.SocketError(call: "bind/listen on \(address.rawValue) port 0")
        }
        let port = withUnsafeBytes(of: &storage) { raw in
            address == .ipv4 ? raw.load(as: sockaddr_in.self).sin_port : raw.load(as: sockaddr_in6.self).sin6_port
        }
        self.port = Int(UInt16(bigEndian: port))
        self.address = address
        self.descriptor = descriptor
        self.respond = respond
        self.writesHeadAndBodyApart = writesHeadAndBodyApart
        self.thenWrite = thenWrite
        Thread.detachNewThread { [self] in acceptConnections() }
    }

    /// `http://127.0.0.1:PORT` or `http://[::1]:PORT`.
    var url: String {
        address == .ipv4 ? "http://127.0.0.1:\(port)" : "http://[::1]:\(port)"
    }

    /// Every request line received so far, in order.
    var receivedRequestLines: [String] {
        receivedRequestHeads.map { $0.components(separatedBy: "\r\n").first ?? "" }
    }

    /// Every request head received so far (request line and headers), in order.
    var receivedRequestHeads: [String] {
        requestHeads.withLock { $0 }
    }

    /// Connections accepted so far, whether or not a request came over them.
    var acceptedConnections: Int {
        connections.withLock { $0 }
    }

    /// Stops accepting; open connections end when the client closes them.
    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    deinit { close(descriptor) }

    private func acceptConnections() {
        while true {
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { return }
            connections.withLock { $0 += 1 }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    /// Reads request heads (these tests send no request bodies) and answers each one.
    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            pending += buffer[..<count]
            while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                let requestLine = head.components(separatedBy: "\r\n").first ?? ""
                requestHeads.withLock { $0.append(head) }
                let response = Array(respond(requestLine).utf8)
                let headEnd = writesHeadAndBodyApart ? response.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound : nil
                for part in [response[..<(headEnd ?? response.count)], response[(headEnd ?? response.count)...]] where !part.isEmpty {
                    let written = part.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                    guard written == part.count else { return }
                }
                if let thenWrite {
                    thenWrite(connection)
                    return
                }
            }
        }
    }

    /// A complete HTTP/1.1 response with the given status, extra header lines and body.
    static func response(status: String, headers: [String] = [], body: String = "") -> String {
        (["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)"] + headers).joined(separator: "\r\n")
            + "\r\n\r\n" + body
    }
}
