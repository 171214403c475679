/// How early a worker asks to be woken, so that it starts iterations on time.
///
/// A sleeping thread wakes late: even with its timer slack at 1 ns, a virtual machine here woke
/// 40 µs after the asked time at the median. An open model counts latency from the intended send
/// time, so that delay would show as latency the target never caused. The worker therefore asks to
/// be woken this lead before its deadline and spends the rest of the way polling its sockets
/// without sleeping, as a spinning load generator does, but only for the part of a wait the kernel
/// would have overshot anyway.
///
/// The lead follows the median of the observed overshoots (a frugal streaming estimate: one step
/// towards each new observation), capped so that a host that wakes its threads late by
/// milliseconds (a busy machine) does not make a worker spin for milliseconds.
struct WakeLead {
    /// The longest a worker polls without sleeping before a deadline, µs.
    static let maximum: UInt64 = 200
    /// How far one observation moves the estimate, µs.
    static let step: UInt64 = 1

    /// The current lead, µs.
    private(set) var lead: UInt64 = 0

    /// When to ask for the wake-up ahead of `deadline`; `now` when the deadline is within the lead.
    func wakeTime(for deadline: UInt64, now: UInt64) -> UInt64 {
        max(now, deadline >= lead ? deadline - lead : 0)
    }

    /// A sleep asked to end at `asked` ended at `woke`; earlier means a socket woke the worker, which
    /// says nothing about the timer.
    mutating func observe(asked: UInt64, woke: UInt64) {
        guard woke >= asked else { return }
        let overshoot = woke - asked
        if overshoot > lead {
            lead = min(lead + Self.step, Self.maximum)
        } else if overshoot < lead {
            lead -= Self.step
        }
    }
}
