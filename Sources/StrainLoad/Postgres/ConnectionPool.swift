/// Who gets which connection of one scenario's pool on a worker, as a pure state machine: no sockets,
/// no clock, no sessions. The engine reports what happened (a request for a connection, a connection
/// that became free, time that passed) and carries out the actions returned; what a connection can take
/// it answers through `capacity`, a session's own state. Unit-tested without a server.
///
/// - Without pipeline mode a connection runs one iteration at a time. Free ones are listed as they free
///   up and taken most recently freed first (its server process and caches are warm); a listed one that
///   has broken since is skipped.
/// - In pipeline mode every connection takes statements until its pipeline is full; a request goes to the
///   one with the fewest in flight, so every connection (a server process of its own) gets its share.
///
/// Requests that find no connection wait in arrival order, and are served before any later one; each
/// fails once it has waited its own timeout. `Request` is whatever the engine needs to send one later.
struct ConnectionPool<Request> {
    enum Action {
        /// Send the request on connection `session`; `poolWait` is all the time it waited for one.
        case send(Request, session: Int, poolWait: UInt64)
        /// No connection came within the request's timeout: fail it. `poolWait` counts the earlier wait
        /// too; `waited` is the time in this queue.
        case timeOut(Request, poolWait: UInt64, waited: UInt64)
    }

    /// What a connection can take now: nil when nothing (broken, reconnecting, busy without pipeline
    /// mode, or its pipeline full), else how many statements it has in flight.
    typealias Capacity = (_ session: Int) -> Int?

    let sessions: Range<Int>
    let pipelined: Bool
    /// Without pipeline mode: connections that were free when listed, most recently freed last.
    private var available: [Int] = []
    private var listed: [Bool]
    private var waiting = FIFO<Waiting>()

    private struct Waiting {
        let request: Request
        let since: UInt64
        /// Time already spent waiting elsewhere (the open model's backlog).
        let earlierWait: UInt64
        let timeout: UInt64
    }

    init(sessions: Range<Int>, pipelined: Bool) {
        self.sessions = sessions
        self.pipelined = pipelined
        listed = Array(repeating: false, count: sessions.count)
    }

    var hasWaiting: Bool { !waiting.isEmpty }

    /// A connection for a new request: one that can take it, when no request waits before it; nil when
    /// the request is to wait (`enqueue`). Split from `enqueue` so a request sent at once is never
    /// stored (its parameters stay in the engine's reused buffer).
    mutating func connectionForNewRequest(capacity: Capacity) -> Int? {
        waiting.isEmpty ? take(capacity) : nil
    }

    /// Queues a request that found no connection at `now`.
    mutating func enqueue(_ request: Request, now: UInt64, earlierWait: UInt64, timeout: UInt64) {
        waiting.append(Waiting(request: request, since: now, earlierWait: earlierWait, timeout: timeout))
    }

    /// Without pipeline mode: `session` can take an iteration again. Listed once however often it is said.
    mutating func free(_ session: Int) {
        guard !pipelined, !listed[session - sessions.lowerBound] else { return }
        listed[session - sessions.lowerBound] = true
        available.append(session)
    }

    /// The oldest waiting request, sent on a connection that can take it now; nil when none waits or
    /// none can. Call until nil after connections free up.
    mutating func nextDispatch(now: UInt64, capacity: Capacity) -> Action? {
        guard let first = waiting.first, let session = take(capacity) else { return nil }
        waiting.removeFirst()
        return .send(first.request, session: session, poolWait: first.earlierWait + (now - min(now, first.since)))
    }

    /// The oldest waiting request if its timeout has passed at `now`; call until nil. Requests behind
    /// an unexpired one wait for it (they came later, and steps share their timeout).
    mutating func nextExpired(now: UInt64) -> Action? {
        guard let first = waiting.first, first.since + first.timeout <= now else { return nil }
        waiting.removeFirst()
        return .timeOut(first.request, poolWait: first.earlierWait + first.timeout, waited: now - first.since)
    }

    /// When the oldest waiting request times out.
    var nextExpiry: UInt64? { waiting.first.map { $0.since + $0.timeout } }

    /// Empties the queue (the run abandons what waits), handing back the requests.
    mutating func removeWaiting() -> [Request] {
        defer { waiting.removeAll() }
        return waiting.map(\.request)
    }

    private mutating func take(_ capacity: Capacity) -> Int? {
        if pipelined {
            var least: (session: Int, load: Int)?
            for session in sessions {
                guard let load = capacity(session) else { continue }
                if load < least?.load ?? .max { least = (session, load) }
            }
            return least?.session
        }
        while let session = available.popLast() {
            listed[session - sessions.lowerBound] = false
            if capacity(session) != nil { return session }
        }
        return nil
    }
}
