internal import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// A resolved socket address (IPv4 or IPv6).
struct SocketAddress {
    let family: Int32
    private let storage: sockaddr_storage
    private let length: socklen_t

    /// How long `firstAccepting` waits for each address to answer: loopback and a live network answer
    /// (accept or refuse) well within it; an address that stays silent is passed over, as curl's happy
    /// eyeballs passes over one after 200 ms.
    static let probeMilliseconds: Int32 = 250

    /// The address requests to `origin` go to; a failure is each request's `dns` error. When the name
    /// has several addresses, the first that accepts a connection: `localhost` resolves to ::1 before
    /// 127.0.0.1 where /etc/hosts lists both, and a server listening on 127.0.0.1 alone refuses ::1
    /// (wrk and curl move on to the next address too). The resolver's first when none accepts, so that
    /// each request reports why.
    static func resolve(_ origin: PlainHTTPOrigin) -> Result<SocketAddress, StepFailure> {
        resolveAll(host: origin.host, port: Int(origin.port)).map { firstAccepting($0) ?? $0[0] }
    }

    /// Every address the system resolver gives for `host`, in its order of preference (never empty).
    static func resolveAll(host: String, port: Int) -> Result<[SocketAddress], StepFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        defer { if list != nil { freeaddrinfo(list) } }
        var addresses: [SocketAddress] = []
        var entry = status == 0 ? list : nil
        while let current = entry?.pointee {
            if let address = current.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(current.ai_addrlen)))
                }
                addresses.append(SocketAddress(family: current.ai_family, storage: storage, length: current.ai_addrlen))
            }
            entry = current.ai_next
        }
        guard !addresses.isEmpty else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            return .failure(StepFailure(.dns, "Could not resolve host: \(host) (\(reason))"))
        }
        return .success(addresses)
    }

    /// The first of `addresses` that accepts a TCP connection (closed again at once), trying each for
    /// up to `probeMilliseconds`; nil when none does. A single address is taken without trying it.
    static func firstAccepting(_ addresses: [SocketAddress]) -> SocketAddress? {
        guard addresses.count > 1 else { return addresses.first }
        return addresses.first { $0.acceptsConnections(within: probeMilliseconds) }
    }

    private func acceptsConnections(within milliseconds: Int32) -> Bool {
        let socket = Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        if withSockaddr({ Glibc.connect(socket, $0, $1) }) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var waiting = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        guard poll(&waiting, 1, milliseconds) == 1 else { return false }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
