internal import CCurl
import Foundation
import StrainCurl
import StrainProfile
#if canImport(Glibc)
import Glibc
#endif

/// Plain `http://` HTTP/1.1 on the worker's own epoll, as wrk does it: nonblocking sockets kept alive,
/// request bytes built once per step (`HTTPRequestTemplate`), responses read into one buffer and parsed
/// as they arrive (`HTTPResponseParser`), bodies dropped unless a check or an extraction reads them,
/// nothing allocated per request of a step without `${…}`. One request per connection at a time.
/// Connect time and time to first byte are measured here; names are resolved once, when the engine starts.
final class LeanHTTPEngine: StepEngine {
    /// Whether these scenarios can run here: HTTP/1.1 without redirects or compression, every step on
    /// plain `http://`. Anything else (TLS, HTTP/2, h2c, redirects, user information in a URL, compressed
    /// responses — decoding them needs libcurl's zlib) is libcurl's.
    static func canDrive(_ profile: Profile, scenarios: [Int]) -> Bool {
        guard profile.target.httpVersion == .http1_1, profile.target.maxRedirects == 0, profile.target.compression == nil else {
            return false
        }
        return scenarios.allSatisfy { scenario in
            profile.scenarios[scenario].steps.allSatisfy { step in
                if case .http(let request) = step.action { PlainHTTPOrigin(url: request.url) != nil } else { false }
            }
        }
    }

    private let epoll: Int32
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// Full reads of one socket per turn of the loop (a 64 KiB buffer each).
    static let readsPerTurn = 16
    private let ready: UnsafeMutablePointer<strain_ready_event>
    /// By scenario index, then step; empty for scenarios this worker does not run.
    private var steps: [[LeanStep]]
    private var origins: [Origin] = []
    /// By slot, the epoll token of its socket; nil slots are free.
    private var connections: [Connection?] = []
    private var freeSlots: [Int] = []
    private var openConnections = 0
    /// At most the worker's concurrency: idle connections to one origin give way to another's.
    private let maxConnections: Int
    /// One queue per distinct step timeout, so that each is in deadline order.
    private var timeouts: [FIFO<PendingTimeout>]
    private var nextSerial: UInt64 = 0
    /// Steps that ended without waiting (refused at once, say), handed over by the next wait.
    private var finished: [Completion] = []
    /// Exchanges of completed responses, for the next requests: one object per request allocated and
    /// freed cost more than the rest of sending it.
    private var spareExchanges: [Exchange] = []
    /// `target.cookies`: Set-Cookie goes into the iteration's jar, and its cookies onto later requests.
    private let keepsCookies: Bool

    private struct Origin {
        let origin: PlainHTTPOrigin
        let address: Result<SocketAddress, StepFailure>
        /// Slots of connections waiting for a request, most recently used last.
        var idle: [Int] = []
    }

    private struct PendingTimeout {
        let deadline: UInt64
        let slot: Int
        let serial: UInt64
    }

    init(_ setup: WorkerSetup) throws(LoadError) {
        epoll = strain_epoll_create()
        guard epoll >= 0 else { throw LoadError(.infrastructure, "creating an epoll descriptor: \(String(cString: strerror(errno)))") }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        ready = .allocate(capacity: STRAIN_EPOLL_READY_MAX)
        maxConnections = max(1, setup.shares.reduce(0) { $0 + $1.concurrency })
        keepsCookies = setup.profile.target.cookies
        steps = Array(repeating: [], count: setup.profile.scenarios.count)
        timeouts = []
        var timeoutValues: [UInt64] = []
        for share in setup.shares {
            var prepared: [LeanStep] = []
            for step in setup.profile.scenarios[share.scenario].steps {
                guard case .http(let request) = step.action else {
                    throw LoadError(.badInput, "step \"\(step.name)\" is not an HTTP step")
                }
                var fileBody: [UInt8]?
                if case .file(let url)? = request.body {
                    guard let data = FileManager.default.contents(atPath: url.path) else {
                        throw LoadError(.badInput, "step \"\(step.name)\": cannot read the body file \(url.path)")
                    }
                    fileBody = Array(data)
                }
                guard let template = HTTPRequestTemplate(request, fileBody: fileBody) else {
                    throw LoadError(.badInput, "step \"\(step.name)\" is not a plain http:// request")
                }
                let origin = Self.index(of: template.origin, in: &origins)
                let timeout = step.timeout.micros
                if !timeoutValues.contains(timeout) { timeoutValues.append(timeout) }
                prepared.append(LeanStep(template: template, expectations: ResponseExpectations(step), maxBodyBytes: step.maxBodyBytes,
                                         timeout: timeout, timeoutQueue: timeoutValues.firstIndex(of: timeout)!, origin: origin))
            }
            steps[share.scenario] = prepared
        }
        timeouts = Array(repeating: FIFO(), count: timeoutValues.count)
    }

    deinit {
        for connection in connections.compactMap({ $0 }) { close(connection.socket) }
        close(epoll)
        readBuffer.deallocate()
        ready.deallocate()
    }

    /// Resolved once, before the run's clock starts: no name lookup blocks the worker during the run.
    private static func index(of origin: PlainHTTPOrigin, in origins: inout [Origin]) -> Int {
        if let index = origins.firstIndex(where: { $0.origin == origin }) { return index }
        origins.append(Origin(origin: origin, address: SocketAddress.resolve(origin)))
        return origins.count - 1
    }

    // MARK: Sending

    func start(_ iteration: Iteration, now: UInt64) throws(StepFailure) {
        let step = steps[iteration.scenario][iteration.step]
        // An empty jar (the usual case) adds nothing to the request's cost.
        let cookie: ((Substring) -> String?)? = !keepsCookies || iteration.cookies.isEmpty ? nil : { [host = origins[step.origin].origin.host] target in
            iteration.cookies.header(for: URLParts(host: host, path: String(target.prefix { $0 != "?" }), secure: false),
                                     now: Date().timeIntervalSince1970)
        }
        let (bytes, bodyLength) = try step.template.bytes(rendering: iteration, cookie: cookie)
        nextSerial += 1
        let exchange = spareExchanges.popLast() ?? Exchange()
        exchange.begin(iteration: iteration, step: step, bytes: bytes, bodyLength: bodyLength, sentAt: now,
                       deadline: now + step.timeout, serial: nextSerial)
        send(exchange, now: now)
    }

    /// Puts `exchange` on an idle connection to its origin, or on a new one (always new when `fresh`).
    private func send(_ exchange: Exchange, now: UInt64, fresh: Bool = false) {
        let origin = exchange.step.origin
        if !fresh, let slot = origins[origin].idle.popLast() {
            write(assign(exchange, to: slot), exchange, slot: slot, now: now)
            return
        }
        switch connect(origin, now: now) {
        case .failure(let failure):
            finished.append(Completion(exchange.iteration, StepOutcome(sentAt: exchange.sentAt, finishedAt: now, failure: failure)))
        case .success(let slot):
            let connection = assign(exchange, to: slot)
            if connection.isConnected { connected(connection, exchange, slot: slot, now: now) }
        }
    }

    /// Returns the slot's connection, so that the caller goes on with it rather than looking it up again.
    private func assign(_ exchange: Exchange, to slot: Int) -> Connection {
        let connection = connections[slot]!
        connection.parser.reset(headRequest: exchange.step.template.isHead, keepResponse: exchange.step.expectations.needsResponse,
                                bodyLimit: exchange.step.maxBodyBytes)
        connection.parser.collectsSetCookies = keepsCookies
        connection.exchange = exchange
        timeouts[exchange.step.timeoutQueue].append(PendingTimeout(deadline: exchange.deadline, slot: slot, serial: exchange.serial))
        return connection
    }

    /// Opens a nonblocking connection; it is usually still connecting when this returns.
    private func connect(_ originIndex: Int, now: UInt64) -> Result<Int, StepFailure> {
        let address: SocketAddress
        switch origins[originIndex].address {
        case .failure(let failure): return .failure(failure)
        case .success(let resolved): address = resolved
        }
        if openConnections >= maxConnections { closeOneIdleConnection() }
        let origin = origins[originIndex].origin
        let socket = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return .failure(Self.connectFailure(errno, origin)) }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockaddr { Glibc.connect(socket, $0, $1) }
        let connectErrno = errno
        guard result == 0 || connectErrno == EINPROGRESS else {
            close(socket)
            return .failure(Self.connectFailure(connectErrno, origin))
        }
        let slot = freeSlots.popLast() ?? connections.count
        if slot == connections.count { connections.append(nil) }
        let connection = Connection(socket: socket, origin: originIndex, connectStartedAt: now)
        connection.isConnected = result == 0
        connection.watchesWrites = true
        guard strain_epoll_watch(epoll, socket, UInt64(slot), 1, 1) == 0 else {
            let watchErrno = errno
            close(socket)
            freeSlots.append(slot)
            return .failure(StepFailure(.transport, "watching a socket: \(String(cString: strerror(watchErrno)))"))
        }
        connections[slot] = connection
        openConnections += 1
        return .success(slot)
    }

    // From here on the connection and its exchange are passed down as they were read: each lookup in
    // `connections` (and each load of `connection.exchange`) costs a retain and a release per request.

    private func connected(_ connection: Connection, _ exchange: Exchange, slot: Int, now: UInt64) {
        connection.isConnected = true
        exchange.connectTime = now - connection.connectStartedAt
        write(connection, exchange, slot: slot, now: now)
    }

    /// Writes what the socket takes; output readiness is watched only while part of a request waits.
    private func write(_ connection: Connection, _ exchange: Exchange, slot: Int, now: UInt64) {
        if exchange.written == 0 { exchange.writeStartedAt = now }
        while exchange.written < exchange.bytes.count {
            let count = exchange.bytes.withUnsafeBytes { bytes in
                Glibc.send(connection.socket, bytes.baseAddress! + exchange.written, bytes.count - exchange.written, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                exchange.written += count
                continue
            }
            let sendErrno = errno
            if sendErrno == EINTR { continue }
            if sendErrno == EAGAIN || sendErrno == EWOULDBLOCK {
                watchWrites(connection, slot: slot, true)
            } else {
                broken(slot, errno: sendErrno, now: now)
            }
            return
        }
        watchWrites(connection, slot: slot, false)
    }

    private func watchWrites(_ connection: Connection, slot: Int, _ writes: Bool) {
        guard connection.watchesWrites != writes else { return }
        connection.watchesWrites = writes
        strain_epoll_watch(epoll, connection.socket, UInt64(slot), writes ? 1 : 0, 0)
    }

    // MARK: Waiting and reading

    func waitForCompletions(until deadline: UInt64, clock: RunClock, into completions: inout [Completion]) throws(LoadError) {
        let now = clock.now()
        var until = deadline
        if let timeout = earliestTimeout(now: now) { until = min(until, timeout) }
        // Steps that already ended are handed over at once; the sockets are still looked at.
        let wait = finished.isEmpty && until > now ? Int64(until - now) : 0
        let count = strain_epoll_wait(epoll, ready, wait)
        let waitErrno = errno
        guard count >= 0 || waitErrno == EINTR else {
            throw LoadError(.infrastructure, "waiting for sockets: \(String(cString: strerror(waitErrno)))")
        }
        let after = clock.now()
        for index in 0..<Int(max(0, count)) {
            handle(Int(ready[index].token), events: ready[index].events, now: after)
        }
        _ = earliestTimeout(now: after)
        // The caller's empty buffer becomes ours: neither side allocates from turn to turn.
        assert(completions.isEmpty, "waitForCompletions takes an empty buffer")
        swap(&finished, &completions)
    }

    private func handle(_ slot: Int, events: UInt32, now: UInt64) {
        guard let connection = connections[slot] else { return }
        guard let exchange = connection.exchange else {
            // An idle connection is readable only when the server closed it or sent something unasked.
            closeConnection(slot)
            return
        }
        if !connection.isConnected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(connection.socket, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                fail(slot, Self.connectFailure(error, origins[connection.origin].origin), now: now)
            } else if events & UInt32(STRAIN_EPOLL_OUT) != 0 {
                connected(connection, exchange, slot: slot, now: now)
            }
            return
        }
        if exchange.written < exchange.bytes.count {
            write(connection, exchange, slot: slot, now: now)
            return
        }
        read(connection, exchange, slot: slot, now: now)
    }

    private func read(_ connection: Connection, _ exchange: Exchange, slot: Int, now: UInt64) {
        var fullReads = 0
        while true {
            let count = Glibc.read(connection.socket, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                if exchange.firstByteAt == 0 { exchange.firstByteAt = now }
                switch connection.parser.parse(UnsafeRawBufferPointer(rebasing: readBuffer[..<count])) {
                case .needMore:
                    // More may be waiting; but a server streaming without end must not keep the worker
                    // here, past its timeouts and other connections: the socket stays readable for the next turn.
                    fullReads += 1
                    if count == readBuffer.count, fullReads < Self.readsPerTurn { continue }
                case .complete(let consumed):
                    // Bytes nobody asked for yet: the connection is out of step, so it is not reused.
                    complete(connection, exchange, slot: slot, reusable: consumed == count && connection.parser.keepsConnection, now: now)
                case .malformed(let problem):
                    fail(slot, StepFailure(.malformedResponse, "malformed response: \(problem)"), now: now)
                }
                return
            }
            if count == 0 {
                if connection.parser.endOfStream() {
                    complete(connection, exchange, slot: slot, reusable: false, now: now)
                } else {
                    broken(slot, errno: 0, now: now)
                }
                return
            }
            let readErrno = errno
            if readErrno == EINTR { continue }
            if readErrno != EAGAIN && readErrno != EWOULDBLOCK { broken(slot, errno: readErrno, now: now) }
            return
        }
    }

    // MARK: Ending an exchange

    private func complete(_ connection: Connection, _ exchange: Exchange, slot: Int, reusable: Bool, now: UInt64) {
        // Filled in where it lies: the outcome is large, and copies of it add up.
        finished.append(Completion(exchange.iteration, StepOutcome(sentAt: exchange.sentAt, finishedAt: now,
                                                                   status: .http(connection.parser.status))))
        record(exchange, connection, now: now, into: &finished[finished.count - 1].outcome)
        connection.exchange = nil
        exchange.end()
        spareExchanges.append(exchange)
        if reusable {
            connection.hasServedRequests = true
            origins[connection.origin].idle.append(slot)
        } else {
            closeConnection(slot)
        }
    }

    /// Fills in `outcome` (made with the exchange's times and the status) from the exchange and its response.
    private func record(_ exchange: Exchange, _ connection: Connection, now: UInt64, into outcome: inout StepOutcome) {
        outcome.bytesIn = connection.parser.bodyBytes
        outcome.bytesOut = UInt64(exchange.bodyLength)
        if let connectTime = exchange.connectTime {
            outcome.newConnections = 1
            outcome.phases[.connect] = connectTime
        }
        outcome.phases[.ttfb] = exchange.firstByteAt - exchange.writeStartedAt
        // First response byte to the last: where a server's small writes wait for a delayed ACK.
        outcome.phases[.download] = now - exchange.firstByteAt
        outcome.phases[.total] = now - exchange.sentAt
        outcome.truncatedBodies = connection.parser.bodyTruncated ? 1 : 0
        if !connection.parser.setCookies.isEmpty {
            let url = URLParts(host: origins[exchange.step.origin].origin.host, path: Self.requestPath(exchange.bytes), secure: false)
            let now = Date().timeIntervalSince1970
            for value in connection.parser.setCookies { exchange.iteration.cookies.store(setCookie: value, from: url, now: now) }
        }
        // Read through `connection`: a local copy of the parser retained each of its buffers.
        let verdict = exchange.step.expectations.apply(status: connection.parser.status, body: connection.parser.body,
                                                       bodyTruncated: connection.parser.bodyTruncated,
                                                       headers: connection.parser.headers, to: exchange.iteration)
        outcome.checks = verdict.checks
        outcome.checkFailures = verdict.checkFailures
        outcome.failure = verdict.failure
    }

    /// The path of the request line at the start of `request` ("GET /a/b?c HTTP/1.1" → "/a/b").
    static func requestPath(_ request: [UInt8]) -> String {
        let line = request.prefix { $0 != UInt8(ascii: "\r") }
        guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return "/" }
        let target = line[(space + 1)...].prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "?") }
        return String(decoding: target, as: UTF8.self)
    }

    /// The connection failed under an exchange. A reused connection that dies before any byte of the
    /// response arrived was most likely closed by the server while idle: the request is sent once
    /// more on a new connection, as curl does.
    private func broken(_ slot: Int, errno code: Int32, now: UInt64) {
        let connection = connections[slot]!
        guard let exchange = connection.exchange else { return }
        if connection.hasServedRequests, !connection.parser.hasStarted, !exchange.isRetry {
            connection.exchange = nil
            closeConnection(slot)
            exchange.isRetry = true
            exchange.written = 0
            exchange.firstByteAt = 0
            send(exchange, now: now, fresh: true)
            return
        }
        let failure = switch code {
        case ECONNRESET: StepFailure(.connectionReset, "Connection reset by peer")
        case 0 where !connection.parser.hasStarted: StepFailure(.connectionClosed, "the server closed the connection without answering")
        case 0: StepFailure(.connectionClosed, "the server closed the connection before the response ended")
        default: StepFailure(.connectionClosed, "the connection failed: \(String(cString: strerror(code)))")
        }
        fail(slot, failure, now: now)
    }

    private func fail(_ slot: Int, _ failure: StepFailure, now: UInt64) {
        let connection = connections[slot]!
        guard let exchange = connection.exchange else { return }
        var outcome = StepOutcome(sentAt: exchange.sentAt, finishedAt: now, failure: failure)
        // A target that accepts a connection and then fails (times out, resets) did establish it.
        if exchange.connectTime != nil { outcome.newConnections = 1 }
        finished.append(Completion(exchange.iteration, outcome))
        connection.exchange = nil
        closeConnection(slot)
    }

    /// Fails exchanges whose timeout has passed, drops queue entries of exchanges that are over, and
    /// returns the earliest deadline still pending.
    private func earliestTimeout(now: UInt64) -> UInt64? {
        var earliest: UInt64?
        for queue in timeouts.indices {
            while let first = timeouts[queue].first {
                let exchange = connections[first.slot]?.exchange
                guard exchange?.serial == first.serial else {
                    timeouts[queue].removeFirst()
                    continue
                }
                guard first.deadline <= now else {
                    earliest = min(earliest ?? .max, first.deadline)
                    break
                }
                timeouts[queue].removeFirst()
                let milliseconds = exchange!.step.timeout / 1000
                fail(first.slot, StepFailure(.timeout, "Operation timed out after \(milliseconds) milliseconds"), now: now)
            }
        }
        return earliest
    }

    private func closeConnection(_ slot: Int) {
        guard let connection = connections[slot] else { return }
        // Closing the descriptor also removes it from the epoll set.
        close(connection.socket)
        if connection.exchange == nil, let index = origins[connection.origin].idle.firstIndex(of: slot) {
            origins[connection.origin].idle.remove(at: index)
        }
        connections[slot] = nil
        freeSlots.append(slot)
        openConnections -= 1
    }

    private func closeOneIdleConnection() {
        if let origin = origins.indices.first(where: { !origins[$0].idle.isEmpty }) {
            closeConnection(origins[origin].idle[0])
        }
    }

    func abandonInFlight() -> [Iteration] {
        var abandoned = finished.map(\.iteration)
        finished = []
        for slot in connections.indices {
            guard let exchange = connections[slot]?.exchange else { continue }
            abandoned.append(exchange.iteration)
            connections[slot]!.exchange = nil
            closeConnection(slot)
        }
        return abandoned
    }

    /// The label for a failed connection attempt (from `connect` or the socket's pending error).
    static func connectFailure(_ code: Int32, _ origin: PlainHTTPOrigin) -> StepFailure {
        let detail = "Couldn't connect to server: connect to \(origin.host) port \(origin.port) failed: \(String(cString: strerror(code)))"
        return switch code {
        case ECONNREFUSED: StepFailure(.connectRefused, detail)
        case ENETUNREACH, EHOSTUNREACH: StepFailure(.connectFailed, detail)
        case ETIMEDOUT: StepFailure(.timeout, detail)
        case EMFILE, ENFILE: StepFailure(.outOfFileDescriptors, "Too many open files: no socket for \(origin.host) port \(origin.port)")
        default: StepFailure(.transport, detail)
        }
    }
}

/// One plain-HTTP step as the lean engine sends it. A class, so that a request carries a reference to
/// it rather than a copy.
private final class LeanStep {
    let template: HTTPRequestTemplate
    let expectations: ResponseExpectations
    /// What is kept of a body that a check or an extraction reads.
    let maxBodyBytes: Int
    let timeout: UInt64
    let timeoutQueue: Int
    let origin: Int

    init(template: HTTPRequestTemplate, expectations: ResponseExpectations, maxBodyBytes: Int, timeout: UInt64, timeoutQueue: Int,
         origin: Int) {
        self.template = template
        self.expectations = expectations
        self.maxBodyBytes = maxBodyBytes
        self.timeout = timeout
        self.timeoutQueue = timeoutQueue
        self.origin = origin
    }
}

/// One request and its response, from `start` to its outcome. A class: updated in place at every
/// write and read, where a struct kept in its connection was copied out and back each time. Reused
/// from request to request (`begin`, `end`).
private final class Exchange {
    /// Set from `begin` to `end`; nil in between, so that a spare exchange holds no iteration (the
    /// driver reuses an ended iteration's object only when nothing else holds it).
    private(set) var iteration: Iteration!
    private(set) var step: LeanStep!
    private(set) var bytes: [UInt8] = []
    private(set) var bodyLength = 0
    private(set) var sentAt: UInt64 = 0
    private(set) var deadline: UInt64 = 0
    private(set) var serial: UInt64 = 0
    var written = 0
    var writeStartedAt: UInt64 = 0
    var firstByteAt: UInt64 = 0
    /// How long the connection this exchange opened took to establish; nil on a reused one.
    var connectTime: UInt64?
    /// Already sent once on a connection that turned out to be closed.
    var isRetry = false

    func begin(iteration: Iteration, step: LeanStep, bytes: [UInt8], bodyLength: Int, sentAt: UInt64, deadline: UInt64, serial: UInt64) {
        self.iteration = iteration
        self.step = step
        self.bytes = bytes
        self.bodyLength = bodyLength
        self.sentAt = sentAt
        self.deadline = deadline
        self.serial = serial
        written = 0
        writeStartedAt = 0
        firstByteAt = 0
        connectTime = nil
        isRetry = false
    }

    func end() {
        iteration = nil
    }
}

private final class Connection {
    let socket: Int32
    let origin: Int
    let connectStartedAt: UInt64
    var isConnected = false
    var watchesWrites = false
    /// A response came back on it before: it is a reused connection.
    var hasServedRequests = false
    var parser = HTTPResponseParser()
    var exchange: Exchange?

    init(socket: Int32, origin: Int, connectStartedAt: UInt64) {
        self.socket = socket
        self.origin = origin
        self.connectStartedAt = connectStartedAt
    }
}
