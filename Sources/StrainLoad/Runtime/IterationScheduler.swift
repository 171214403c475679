import StrainProfile
import Synchronization

/// Decides when one worker starts iterations of one scenario: the open or the closed model as a pure
/// state machine. It reads no clock: the worker passes "now" (µs on the `RunClock`) in, asks for the
/// iterations that are due, and sleeps until `nextWakeup`.
///
/// - Open model: arrivals come from a `Pacer`; at most `slots` iterations run at once. An arrival that
///   finds every slot busy waits in a backlog and keeps its intended time, so its latency includes the
///   wait (counted as `missed`); when the backlog is full it is counted as `dropped`. Nothing is
///   dropped silently.
/// - Closed model: `users` virtual users each run iterations back to back, pausing `thinkTime` between
///   them, until the duration ends or the scenario's shared iteration budget runs out.
public struct IterationScheduler: Sendable {
    /// An iteration to start now.
    public struct Start: Sendable, Equatable {
        /// When it should have started (µs); latency is measured from here.
        public let intended: UInt64
        /// The closed model's virtual user running it; nil in the open model.
        public let user: Int?
        /// True when it had to wait for a free slot: the gap to "now" is then not scheduler lag.
        public let delayed: Bool
    }

    /// Arrivals that were late or never sent, since the last `takeMissed()`.
    public struct Missed: Sendable, Equatable {
        /// Started late because every allowed connection was busy at their intended time.
        public var delayed: UInt64 = 0
        /// Never started: the backlog was full, or the run ended before a slot freed up.
        public var dropped: UInt64 = 0
    }

    // Exactly one is set. Two optionals rather than an enum with payloads, so the models (and their
    // queues) are mutated in place instead of being copied out and back on every call.
    private var open: OpenModel?
    private var closed: ClosedModel?

    /// The open model: `pacer` gives this worker's arrivals, at most `slots` run at once, and up to
    /// `backlogLimit` arrivals wait for a slot.
    public init(open pacer: Pacer, slots: Int, backlogLimit: Int) {
        precondition(slots >= 1, "an open-model scheduler needs at least one slot")
        open = OpenModel(pacer: pacer, freeSlots: slots, backlogLimit: max(backlogLimit, 0))
    }

    /// The closed model: `users` virtual users, `thinkTime` µs between a user's iterations, starting
    /// none after `end` (µs) when given, and only while `budget` lasts when given.
    public init(closedUsers users: Int, thinkTime: UInt64, end: UInt64?, budget: IterationBudget?) {
        closed = ClosedModel(users: users, thinkTime: thinkTime, end: end, budget: budget)
    }

    /// The next iteration due at `now`, or nil when none is (call again until nil).
    public mutating func nextStart(now: UInt64) -> Start? {
        open?.nextStart(now: now) ?? closed?.nextStart(now: now)
    }

    /// An iteration this scheduler started has finished (all its steps, or it was abandoned).
    public mutating func finished(_ start: Start, at now: UInt64) {
        open?.freeSlots += 1
        closed?.finished(user: start.user ?? 0, at: now)
    }

    /// When an iteration will next be due, if one will be without an iteration finishing first.
    public var nextWakeup: UInt64? {
        if let open {
            return open.freeSlots > 0 && !open.backlog.isEmpty ? 0 : open.nextArrival
        }
        guard let closed, !closed.stopped else { return nil }
        return closed.waiting.first?.readyAt
    }

    /// False once no further iteration will start (those in flight may still finish).
    public var willStartMore: Bool {
        if let open { return open.nextArrival != nil || !open.backlog.isEmpty }
        return (closed?.activeUsers ?? 0) > 0
    }

    /// Starts nothing new from now on; the open model's backlog may still be drained.
    public mutating func stop() {
        open?.nextArrival = nil
        closed?.stop()
    }

    /// Gives up on arrivals still waiting for a slot (the drain ran out): they count as dropped.
    public mutating func abandonBacklog() {
        let waiting = UInt64(open?.backlog.count ?? 0)
        open?.missed.dropped += waiting
        open?.backlog.removeAll()
    }

    /// Late and unsent arrivals since the previous call.
    public mutating func takeMissed() -> Missed {
        guard let missed = open?.missed else { return Missed() }
        open?.missed = Missed()
        return missed
    }
}

private struct OpenModel: Sendable {
    var pacer: Pacer
    var freeSlots: Int
    let backlogLimit: Int
    var nextArrival: UInt64?
    var backlog = FIFO<UInt64>()
    var missed = IterationScheduler.Missed()

    init(pacer: Pacer, freeSlots: Int, backlogLimit: Int) {
        self.pacer = pacer
        self.freeSlots = freeSlots
        self.backlogLimit = backlogLimit
        nextArrival = self.pacer.next().map(microseconds(fromSeconds:))
    }

    mutating func nextStart(now: UInt64) -> IterationScheduler.Start? {
        if freeSlots > 0, let waited = backlog.popFirst() {
            freeSlots -= 1
            return .init(intended: waited, user: nil, delayed: true)
        }
        while let arrival = nextArrival, arrival <= now {
            nextArrival = pacer.next().map(microseconds(fromSeconds:))
            if freeSlots > 0 {
                freeSlots -= 1
                return .init(intended: arrival, user: nil, delayed: false)
            }
            if backlog.count < backlogLimit {
                backlog.append(arrival)
                missed.delayed += 1
            } else {
                missed.dropped += 1
            }
        }
        return nil
    }
}

private struct ClosedModel: Sendable {
    let thinkTime: UInt64
    let end: UInt64?
    let budget: IterationBudget?
    /// Users not running an iteration, in the order they become ready (think time is the same for all).
    var waiting = FIFO<(user: Int, readyAt: UInt64)>()
    /// Users that may still start an iteration: waiting or running one.
    var activeUsers: Int
    var stopped = false

    init(users: Int, thinkTime: UInt64, end: UInt64?, budget: IterationBudget?) {
        self.thinkTime = thinkTime
        self.end = end
        self.budget = budget
        activeUsers = users
        for user in 0..<users { waiting.append((user, 0)) }
    }

    mutating func nextStart(now: UInt64) -> IterationScheduler.Start? {
        guard !stopped, let next = waiting.first, next.readyAt <= now else { return nil }
        if let end, now >= end {
            stop()
            return nil
        }
        if let budget, !budget.claim() {
            stop()
            return nil
        }
        waiting.removeFirst()
        return .init(intended: next.readyAt, user: next.user, delayed: false)
    }

    mutating func finished(user: Int, at now: UInt64) {
        let readyAt = now + thinkTime
        if stopped || (end.map { readyAt >= $0 } ?? false) {
            activeUsers -= 1
        } else {
            waiting.append((user, readyAt))
        }
    }

    /// Waiting users retire now; running ones retire when they finish.
    mutating func stop() {
        stopped = true
        activeUsers -= waiting.count
        waiting.removeAll()
    }
}

/// The iterations a closed-model scenario may still run, shared by all its workers.
public final class IterationBudget: Sendable {
    private let remaining: Atomic<Int>

    public init(iterations: Int) {
        remaining = Atomic(iterations)
    }

    /// Takes one iteration; false when none is left.
    public func claim() -> Bool {
        remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}
