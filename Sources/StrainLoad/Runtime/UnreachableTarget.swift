/// Tells a target that cannot be reached — every attempt fails before a connection is made — from one
/// that answers badly. Going on against such a target would only measure refusals, so the run stops and
/// says so (exit 5) instead of reporting pages of "connect refused", or a rate made of them. Fed the
/// run's intervals in order; pure.
struct UnreachableTarget {
    /// How long a run tries before it gives up on a target that has never accepted a connection.
    static let patience: UInt64 = 2_000_000
    /// How long a target that was reached may refuse every connection before the run gives up on it:
    /// longer, so a restart gets its chance.
    static let patienceOnceReached: UInt64 = 5_000_000

    /// Failures that mean no connection was made: nothing of the target was reached.
    static let connectionFailures: Set<ErrorLabel> = [.connectRefused, .connectFailed, .dns]

    /// Whether the target was ever reached: a response, or a failure after connecting.
    private var reached = false
    /// The start (µs on the run clock) of the first interval with attempts since it was last reached:
    /// where the refusals began (a scenario may pause between requests for longer than the patience).
    private var refusingSince: UInt64?
    /// Attempts since it was last reached (or since the start), the failure labels among them and one example.
    private var attempts: UInt64 = 0
    private var labels: Set<ErrorLabel> = []
    private var example: String?

    /// Adds the interval that began at `start` (µs on the run clock).
    mutating func add(_ steps: some Sequence<StepTally>, start: UInt64) {
        if steps.contains(where: { $0.responses > 0 || $0.errors.keys.contains { !Self.connectionFailures.contains($0) } }) {
            self = UnreachableTarget()
            reached = true
            return
        }
        for tally in steps where tally.requests > 0 {
            refusingSince = refusingSince ?? start
            attempts += tally.requests
            labels.formUnion(tally.errors.keys)
            example = example ?? tally.errors.first?.value.example
        }
    }

    /// Why the run should stop, or nil while the target may yet be reached. A target never reached gets
    /// `patience` (or the whole of a shorter run); one that stopped accepting connections gets
    /// `patienceOnceReached` from the start of the interval in which the refusals began.
    func reason(elapsed: UInt64, runEnded: Bool) -> String? {
        guard attempts > 0, let example, let refusingSince, !labels.isEmpty, labels.isSubset(of: Self.connectionFailures)
        else { return nil }
        let failed = Set(labels.map(\.name)).sorted().joined(separator: ", ")
        guard reached else {
            guard runEnded || elapsed >= Self.patience else { return nil }
            let within = runEnded ? "" : " in the first \(Milliseconds.text(elapsed))"
            return "the target is unreachable: all \(attempts) attempts\(within) failed to connect (\(failed)), e.g. \(example)"
        }
        guard elapsed >= refusingSince + Self.patienceOnceReached else { return nil }
        return "the target stopped accepting connections \(Milliseconds.text(refusingSince)) into the run: all \(attempts) "
            + "attempts since failed to connect (\(failed)), e.g. \(example)"
    }
}
