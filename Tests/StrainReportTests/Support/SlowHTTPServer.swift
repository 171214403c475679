import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback socket that answers every request with "ok" after
/// `delay`: the "deliberately slowed target" for comparisons (the test nginx cannot add a delay).
/// One thread per connection, keep-alive, GET only — enough for a load test, nothing more.
final class SlowHTTPServer: Sendable {
    let port: Int
    private let listener: Int32

    var url: String { "http://127.0.0.1:\(port)/" }

    init(delay: Duration) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ServerError("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, generic, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw ServerError("bind/listen on 127.0.0.1:0")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // the listener was shut down
                }
                Thread.detachNewThread { Self.serve(client, delay: delay) }
            }
        }
    }

    /// Stops accepting; connections already open end when their clients close them.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ client: Int32, delay: Duration) {
        defer { close(client) }
        let response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok".utf8)
        let endOfHeaders = Array("\r\n\r\n".utf8)
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            pending += buffer[..<count]
            // Answer each complete request head (GET requests carry no body).
            while let end = pending.firstRange(of: endOfHeaders) {
                pending.removeSubrange(..<end.upperBound)
                Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
                let written = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written == response.count else { return }
            }
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String

        init(_ call: String) {
            description = "\(call) failed: \(String(cString: strerror(errno)))"
        }
    }
}
