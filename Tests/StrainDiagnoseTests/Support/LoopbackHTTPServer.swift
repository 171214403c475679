import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 that answers every request with `body` after `delay`:
/// the slow downstream dependency, or a node exporter serving captured metrics. One connection
/// at a time, `Connection: close`. With `endless`, the body is chunked and never ends: the server
/// writes until the client hangs up.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: Int
    let delay: TimeInterval
    let body: String
    let endless: Bool
    // Written once in init, read by the accept thread and stop(); the descriptor is only closed in stop().
    private let listener: Int32
    private let stopped = DispatchSemaphore(value: 0)

    init(delay: TimeInterval = 0, body: String = "ok", endless: Bool = false) throws {
        self.delay = delay
        self.body = body
        self.endless = endless
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ServerError("socket") }
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && getsockname(listener, generic, &length) == 0
            }
        } && listen(listener, 16) == 0
        guard listening else {
            close(listener)
            throw ServerError("bind/listen on 127.0.0.1")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve() }.start()
    }

    func url(path: String = "/health") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops accepting and waits for the accept loop to end.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        stopped.wait()
        close(listener)
    }

    private func serve() {
        defer { stopped.signal() }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var request: [UInt8] = []
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let count = read(client, &buffer, buffer.count)
                guard count > 0 else { break }
                request += buffer[..<count]
            }
            Thread.sleep(forTimeInterval: delay)
            if endless {
                writeEndlessBody(to: client)
            } else {
                let response = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
                _ = response.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            }
            close(client)
        }
    }

    /// `body` as one chunk after another until a write fails.
    private func writeEndlessBody(to client: Int32) {
        var data = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let chunk = Array("\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n".utf8)
        repeat {
            guard send(client, data, data.count, Int32(MSG_NOSIGNAL)) == data.count else { return }
            data = chunk
        } while true
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String

        init(_ call: String) {
            description = "\(call) failed: \(String(cString: strerror(errno)))"
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
