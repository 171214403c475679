internal import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// What a socket is waited on for.
public struct SocketInterest: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let read = SocketInterest(rawValue: 1)
    public static let write = SocketInterest(rawValue: 2)
}

/// `ppoll(2)` over a set of sockets, the way a worker waits on all its connections at once. The
/// buffer is kept between rounds so waiting allocates nothing.
public struct SocketPoller {
    private var descriptors: [pollfd] = []

    public init() {}

    /// Forgets the sockets of the previous round.
    public mutating func removeAll() {
        descriptors.removeAll(keepingCapacity: true)
    }

    /// Adds a socket; `ready(at:)` takes the index it returns.
    @discardableResult
    public mutating func add(_ socket: Int32, interest: SocketInterest) -> Int {
        var events: Int16 = 0
        if interest.contains(.read) { events |= Int16(POLLIN) }
        if interest.contains(.write) { events |= Int16(POLLOUT) }
        descriptors.append(pollfd(fd: socket, events: events, revents: 0))
        return descriptors.count - 1
    }

    /// Waits until a socket is ready or `timeout` µs pass (nil: no limit). Returns how many sockets
    /// are ready; 0 after the timeout or a signal. The timeout is exact to the microsecond (ppoll), and
    /// the sockets are watched all along: a wake-up is neither early nor late, and a result that
    /// arrives during a short wait is not left waiting for its end (an open model's scheduled send, or
    /// a response, would carry that lateness in its latency).
    public mutating func wait(timeout: UInt64?) throws(SocketPollError) -> Int {
        let microseconds = timeout.map { Int64(clamping: $0) } ?? -1
        let ready = descriptors.withUnsafeMutableBufferPointer {
            strain_poll_microseconds($0.baseAddress, nfds_t($0.count), microseconds)
        }
        let pollErrno = errno
        if ready < 0 {
            guard pollErrno == EINTR else { throw SocketPollError(reason: String(cString: strerror(pollErrno))) }
            return 0
        }
        return Int(ready)
    }

    /// What the socket at `index` is ready for after `wait`. An error or hang-up counts as both,
    /// so that the next libpq call on it finds out what happened.
    public func ready(at index: Int) -> SocketInterest {
        let events = Int32(descriptors[index].revents)
        var ready: SocketInterest = []
        if events & (POLLERR | POLLHUP | POLLNVAL) != 0 { return [.read, .write] }
        if events & POLLIN != 0 { ready.insert(.read) }
        if events & POLLOUT != 0 { ready.insert(.write) }
        return ready
    }
}

/// `poll` itself failed (not a socket: those errors surface through libpq).
public struct SocketPollError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "waiting for sockets failed: \(reason)" }
}
