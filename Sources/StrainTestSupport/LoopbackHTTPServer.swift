import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback socket whose behaviour a test chooses: a target with a known,
/// fixed cost (the test nginx cannot add a delay), or one that fails in one precise way. One thread per
/// connection, keep-alive, requests without a body — enough for a load test, nothing more.
public final class LoopbackHTTPServer: Sendable {
    public enum Behavior: Sendable {
        /// Answers every request with "ok" after `delay`.
        case answer(after: Duration)
        /// Resets the connection (RST) as soon as a request arrives.
        case reset
        /// Answers every request with bytes that are not HTTP.
        case malformed
        /// Accepts connections and reads requests, but never writes a byte.
        case silent
        /// Answers "ok" with a chunked body, a few bytes per write, with a pause between writes.
        case splitWrites
        /// Answers with a header line far larger than any client accepts (200 KiB).
        case oversizedHeaders
        /// Answers with a cookie and ten header lines of 16 KiB each: every line short, the block 160 KiB.
        case manyHeaders
        /// Answers "ok", then closes the connection without saying so (no `Connection: close`).
        case closeAfterEachResponse
    }

    public let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let accepted = Atomic<Int>(0)

    /// Connections accepted so far: a client has reached the server.
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }

    public var url: String { "http://127.0.0.1:\(port)/" }

    public init(_ behavior: Behavior) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestServers.SocketError(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 128) == 0 && getsockname(listener, generic, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw TestServers.SocketError(call: "bind/listen on 127.0.0.1:0")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [weak self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    // Shut down by `stop`: closed here, where no later accept can use the number.
                    close(listener)
                    return
                }
                self?.accepted.add(1, ordering: .relaxed)
                Thread.detachNewThread { Self.serve(client, behavior) }
            }
        }
    }

    /// Stops accepting; connections already open end when their clients close them. Only shut down
    /// here: closed here, the descriptor's number could go to another test's listener before this
    /// server's accept loop next calls accept, which would then serve that server's connections with
    /// this behaviour (a test of a server that never answers saw answers in 375 µs).
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { stop() }

    private static func serve(_ client: Int32, _ behavior: Behavior) {
        var noDelay: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        defer { close(client) }
        let endOfHeaders = Array("\r\n\r\n".utf8)
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            pending += buffer[..<count]
            while let end = pending.firstRange(of: endOfHeaders) {
                pending.removeSubrange(..<end.upperBound)
                let response: [UInt8]
                switch behavior {
                case .answer(let delay):
                    sleep(delay)
                    response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".utf8)
                case .malformed:
                    response = Array("this is not HTTP at all\r\n\r\n".utf8)
                case .reset:
                    // A zero linger time makes close() send RST instead of FIN.
                    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                    setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    return
                case .silent:
                    continue
                case .splitWrites:
                    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\no\r\n1;x=y\r\nk\r\n0\r\n\r\n"
                    for piece in Array(chunked.utf8).chunked(by: 5) {
                        guard write(client, Array(piece)) else { return }
                        sleep(.microseconds(200))
                    }
                    continue
                case .oversizedHeaders:
                    response = Array("HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "a", count: 200 * 1024))\r\nContent-Length: 2\r\n\r\nok".utf8)
                case .manyHeaders:
                    let lines = (0..<10).map { "X-Big-\($0): \(String(repeating: "a", count: 16 * 1024))\r\n" }.joined()
                    response = Array("HTTP/1.1 200 OK\r\nSet-Cookie: session=big\r\n\(lines)Content-Length: 2\r\n\r\nok".utf8)
                case .closeAfterEachResponse:
                    _ = write(client, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
                    return
                }
                guard write(client, response) else { return }
            }
        }
    }

    private static func write(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// nanosleep, which keeps sub-millisecond delays.
    private static func sleep(_ delay: Duration) {
        var left = timespec(tv_sec: Int(delay.components.seconds), tv_nsec: Int(delay.components.attoseconds / 1_000_000_000))
        var asked = left
        while nanosleep(&asked, &left) != 0, errno == EINTR { asked = left }
    }
}

private extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
