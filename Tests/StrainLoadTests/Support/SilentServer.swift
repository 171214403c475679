import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real TCP listener on 127.0.0.1 that never answers: the kernel completes each handshake into the
/// listen backlog, the client sends its request, and nothing ever comes back. For timeout tests.
final class SilentServer {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SilentServerError(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && listen(descriptor, 128) == 0
                    && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard listening else {
            close(descriptor)
            throw SilentServerError(call: "bind/listen on 127.0.0.1:0")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var url: String { "http://127.0.0.1:\(port)" }

    deinit { close(descriptor) }
}

struct SilentServerError: Error, CustomStringConvertible {
    let description: String

    init(call: String) {
        description = "\(call) failed: \(String(cString: strerror(errno)))"
    }
}
